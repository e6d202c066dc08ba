"""The types every data source returns (data.py, folders.py, table.py, localization.py):
tensors in PyTorch layout held in memory (`Dataset`), samples read from disk one at a time
(`Streamed`), or the user's own DataLoader (`Batches`). Each has a length, a name, the class
names when it knows them, `head(k)` (its first samples, to probe the model) and `labels`
(every target when known without reading the samples, else None)."""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Dataset:
    """x: float32, N × per-sample PyTorch shape (int64 token ids N×L for text); y: int64
    labels (N), per-token targets (N×L) or float targets (N×K). `vocab`: how text sources'
    ids read as text (text.Vocabulary), None for other data."""

    x: torch.Tensor
    y: torch.Tensor
    name: str
    layout: str = "torch"  # how x's sample axes are ordered: torch | spec | auto (npz only)
    classes: list[str] | None = None
    vocab: object | None = None

    def __len__(self) -> int:
        return len(self.x)

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.x.shape[1:])

    @property
    def labels(self) -> torch.Tensor:
        return self.y

    def subset(self, index: torch.Tensor) -> "Dataset":
        return Dataset(self.x[index], self.y[index], self.name, classes=self.classes,
                       vocab=self.vocab)

    def head(self, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[:k], self.y[:k]


class Streamed(torch.utils.data.Dataset):
    """Samples `items[index[i]]` of a map-style torch Dataset that yields (x, y) already in
    the spec's PyTorch shape, read when a batch needs them (by DataLoader workers): image
    files, or a Dataset given to `fit`. `y`: every target when known up front (an image
    folder's class numbers), else None (read with the samples)."""

    def __init__(self, items, name: str, y: torch.Tensor | None = None,
                 index: torch.Tensor | None = None, classes: list[str] | None = None):
        self.items, self.name, self.classes = items, name, classes
        self.index = torch.arange(len(items)) if index is None else index
        self.y = y

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int):
        return self.items[int(self.index[i])]

    @property
    def labels(self) -> torch.Tensor | None:
        return None if self.y is None else self.y[self.index]

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(torch.as_tensor(self[0][0]).shape)

    def subset(self, index: torch.Tensor) -> "Streamed":
        return Streamed(self.items, self.name, self.y, self.index[index], self.classes)

    def head(self, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        pairs = [self[i] for i in range(min(k, len(self)))]
        return (torch.stack([torch.as_tensor(x, dtype=torch.float32) for x, _ in pairs]),
                torch.stack([torch.as_tensor(y) for _, y in pairs]))


@dataclass
class Batches:
    """A DataLoader given to `fit`: its batches are used as they come (its own batch size,
    order and workers); it is never split."""

    loader: object
    name: str
    classes: list[str] | None = None
    labels = None

    def __len__(self) -> int:
        return len(self.loader.dataset)

    def head(self, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = next(iter(self.loader))
        return torch.as_tensor(x)[:k], torch.as_tensor(y)[:k]

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.head(1)[0].shape[1:])
