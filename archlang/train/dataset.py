"""The type every data source returns (data.py, localization.py): tensors in PyTorch layout."""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Dataset:
    """x: float32, N × per-sample PyTorch shape; y: int64 labels (N) or float targets (N×K)."""

    x: torch.Tensor
    y: torch.Tensor
    name: str
    layout: str = "torch"  # how x's sample axes are ordered: torch | spec | auto (npz only)

    def __len__(self) -> int:
        return len(self.x)

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.x.shape[1:])

    def subset(self, index: torch.Tensor) -> "Dataset":
        return Dataset(self.x[index], self.y[index], self.name)
