"""Feeding batches: data on the GPU whole when it fits, else pinned host memory with
non-blocking copies; samples on disk through DataLoader workers into pinned memory; the
same shuffle on every device and after every resume. `feeder(data, ...)` picks the kind."""

from __future__ import annotations

import numpy as np
import torch

from .dataset import Streamed

# Put a data set on the GPU when it takes at most this share of the free memory.
GPU_SHARE = 0.4


def epoch_order(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The shuffle of epoch `epoch`: a permutation drawn from its own generator seeded by
    (seed, epoch), so a resumed run shuffles exactly as an uninterrupted one."""
    key = int(np.random.SeedSequence([seed, epoch]).generate_state(1, np.uint64)[0] >> 1)
    return torch.randperm(n, generator=torch.Generator().manual_seed(key))


def feeder(data, device: torch.device, channels_last: bool = False, workers: int = 0,
           pipeline=None):
    """The feeder of one split: `Feeder` for tensors in memory, `StreamFeeder` for samples
    read from disk (dataset.Streamed), `LoaderFeeder` for the user's DataLoader.

    `pipeline` (transforms.Pipeline or None): `batches(order, batch, epoch)` applies its
    random steps, drawn for (seed, epoch, sample position), then its normalisation;
    `batches` without an epoch and `in_order` apply the normalisation only. Samples read
    from disk are transformed one by one in the loader's workers, others per batch on the
    device."""
    from .dataset import Batches, Streamed
    if isinstance(data, Streamed):
        return StreamFeeder(data, device, channels_last, workers, pipeline)
    if isinstance(data, Batches):
        return LoaderFeeder(data.loader, device, channels_last, pipeline)
    return Feeder(data.x, data.y, device, channels_last, workers, pipeline)


class Feeder:
    """Holds one split (x, y) where it is cheapest to batch from, and yields device batches.

    `resident`: the data live on the training device (always on CPU; on a GPU when they
    fit), and a batch is an index_select there. Otherwise each epoch's shuffled copy is
    pinned, so batch copies overlap compute (non_blocking), or `workers` DataLoader
    processes assemble the batches.
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, device: torch.device,
                 channels_last: bool = False, workers: int = 0, pipeline=None):
        self.device, self.workers, self.pipeline = device, workers, pipeline
        self.channels_last = channels_last and x.dim() == 4
        self.n = len(x)
        self.resident = device.type != "cuda" or _fits(x, y, device)
        if self.resident:
            x, y = x.to(device), y.to(device)
            if self.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
        self.x, self.y = x, y

    labels_known = True       # targets(order) gives every target of an epoch up front

    def steps(self, order: torch.Tensor, batch: int) -> int:
        return (len(order) + batch - 1) // batch

    def batches(self, order: torch.Tensor, batch: int, epoch: int | None = None):
        """Yield (x, y) batches on the device, taking samples in `order` (a CPU index
        tensor), transformed by the pipeline (random steps only with an `epoch`)."""
        if not self.pipeline:
            yield from self._batches(order, batch)
            return
        start = 0
        for xb, yb in self._batches(order, batch):
            if epoch is None:
                xb = self.pipeline.eval(xb)
            else:
                xb = self.pipeline.train(xb, epoch, order[start:start + len(yb)])
            start += len(yb)
            if self.channels_last:
                xb = xb.contiguous(memory_format=torch.channels_last)
            yield xb, yb

    def _batches(self, order: torch.Tensor, batch: int):
        if self.resident:
            order = order.to(self.device, non_blocking=True)
            for i in range(0, len(order), batch):
                idx = order[i:i + batch]
                yield self.x.index_select(0, idx), self.y.index_select(0, idx)
            return
        if self.workers > 0:  # the workers gather the batches, in parallel with training
            loader = torch.utils.data.DataLoader(
                _Gather(self.x, self.y, order, batch), batch_size=None,
                num_workers=self.workers, pin_memory=self.device.type == "cuda")
            for xb, yb in loader:
                yield self._to_device(xb, yb)
            return
        xs, ys = self.x[order], self.y[order]  # one gather per epoch, then plain slices
        if self.device.type == "cuda":
            xs, ys = xs.pin_memory(), ys.pin_memory()
        for i in range(0, len(xs), batch):
            yield self._to_device(xs[i:i + batch], ys[i:i + batch])

    def targets(self, order: torch.Tensor) -> torch.Tensor:
        """y taken in `order`, on the device (to score a whole epoch's predictions at once)."""
        if self.resident:
            return self.y.index_select(0, order.to(self.device, non_blocking=True))
        return self.y[order].to(self.device, non_blocking=True)

    def in_order(self, batch: int):
        """Yield all samples in stored order (validation)."""
        yield from self.batches(torch.arange(self.n), batch)

    def _to_device(self, xb: torch.Tensor, yb: torch.Tensor):
        xb = xb.to(self.device, non_blocking=True)
        if self.channels_last:
            xb = xb.contiguous(memory_format=torch.channels_last)
        return xb, yb.to(self.device, non_blocking=True)


class StreamFeeder:
    """Samples read when needed (dataset.Streamed): a DataLoader takes them in the epoch's
    `order`, `workers` processes decoding (and transforming) in parallel with training,
    batches in pinned memory on a GPU. Decoding is deterministic and the random transforms
    are drawn per sample, so the batches do not depend on `workers`. The workers live as
    long as the feeder (one loader per batch size, persistent_workers): starting them every
    epoch costs a process start and a copy of the file list each."""

    def __init__(self, data, device: torch.device, channels_last: bool = False, workers: int = 0,
                 pipeline=None):
        self.data, self.device, self.workers = data, device, workers
        self.channels_last = channels_last
        self.n = len(data)
        self.labels_known = data.labels is not None
        self.keys = _Keys()
        self.items = _Transformed(data, pipeline) if pipeline else data
        self.loaders: dict[int, torch.utils.data.DataLoader] = {}

    def steps(self, order: torch.Tensor, batch: int) -> int:
        return (len(order) + batch - 1) // batch

    def batches(self, order: torch.Tensor, batch: int, epoch: int | None = None):
        if batch not in self.loaders:
            # The loader's own generator seeds its workers, so the global RNG (dropout)
            # advances alike with 0 or N workers.
            self.loaders[batch] = torch.utils.data.DataLoader(
                self.items, batch_size=batch, sampler=self.keys, num_workers=self.workers,
                pin_memory=self.device.type == "cuda", persistent_workers=self.workers > 0,
                generator=torch.Generator())
        items = order.tolist()
        self.keys.items = items if isinstance(self.items, Streamed) else [(i, epoch) for i in items]
        yield from _moved(_reraised(self.loaders[batch]), self.device, self.channels_last)

    def targets(self, order: torch.Tensor) -> torch.Tensor:
        return self.data.labels[order].to(self.device, non_blocking=True)

    def in_order(self, batch: int):
        yield from self.batches(torch.arange(self.n), batch)


class LoaderFeeder:
    """The user's DataLoader, its batches as they come (its order, batch size, workers)."""

    labels_known = False

    def __init__(self, loader, device: torch.device, channels_last: bool = False, pipeline=None):
        self.loader, self.device, self.channels_last = loader, device, channels_last
        self.pipeline = pipeline
        self.n = len(loader.dataset)

    def steps(self, order: torch.Tensor, batch: int) -> int:
        return len(self.loader)

    def batches(self, order: torch.Tensor, batch: int, epoch: int | None = None):
        """The loader's batches; transformed per batch, a sample's position being its place
        in the loader's order this epoch."""
        start = 0
        for xb, yb in _moved(self.loader, self.device, self.channels_last):
            if self.pipeline and epoch is not None:
                xb = self.pipeline.train(xb, epoch, torch.arange(start, start + len(xb)))
            elif self.pipeline:
                xb = self.pipeline.eval(xb)
            start += len(xb)
            yield xb, yb

    def in_order(self, batch: int):
        yield from self.batches(None, batch)


def _moved(batches, device: torch.device, channels_last: bool):
    for xb, yb in batches:
        xb = torch.as_tensor(xb)
        # Token ids and masks (`of int`, `of bool` inputs) go in as they are; the rest as float32.
        if xb.dtype not in (torch.int64, torch.bool):
            xb = xb.to(torch.float32)
        xb = xb.to(device, non_blocking=True)
        if channels_last and xb.dim() == 4:
            xb = xb.contiguous(memory_format=torch.channels_last)
        yield xb, torch.as_tensor(yb).to(device, non_blocking=True)


def _reraised(loader):
    """The loader's batches; a TrainError raised in a worker (an unreadable image) comes
    back as the TrainError it was, not wrapped in the worker's traceback."""
    from .errors import TrainError
    try:
        yield from loader
    except TrainError as err:
        text = str(err.message)
        if "Original Traceback" not in text:
            raise
        message = text.rsplit("TrainError: ", 1)[-1].strip()
        first, _, rest = message.partition("\n  = help: ")
        raise TrainError(first.strip(), rest.strip() or None) from None


class _Keys(torch.utils.data.Sampler):
    """The keys of this epoch's samples (set before each pass), for a persistent loader."""

    def __init__(self):
        self.items: list = []

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


class _Transformed(torch.utils.data.Dataset):
    """A Streamed data set's samples, transformed one by one in the loader's workers: key
    (i, epoch) is sample i with the random steps of `epoch`, (i, None) normalised only."""

    def __init__(self, data, pipeline):
        self.data, self.pipeline = data, pipeline
        self.index = data.index.tolist()

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, key):
        i, epoch = key
        items = self.data.items
        if epoch is not None and hasattr(items, "raw"):     # image files: their bytes
            x, y = items.raw(self.index[i])
        else:
            x, y = self.data[i]
            x = torch.as_tensor(x, dtype=torch.float32)
        x = self.pipeline.eval_one(x) if epoch is None else self.pipeline.train_one(x, epoch, i)
        return x, y


class _Gather(torch.utils.data.Dataset):
    """Batch i of one epoch's order, for DataLoader workers (batch_size=None)."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, order: torch.Tensor, batch: int):
        self.x, self.y, self.order, self.batch = x, y, order, batch

    def __len__(self) -> int:
        return (len(self.order) + self.batch - 1) // self.batch

    def __getitem__(self, i: int):
        idx = self.order[i * self.batch:(i + 1) * self.batch]
        return self.x[idx], self.y[idx]


def _fits(x: torch.Tensor, y: torch.Tensor, device: torch.device) -> bool:
    need = x.numel() * x.element_size() + y.numel() * y.element_size()
    free, _ = torch.cuda.mem_get_info(device)
    return need <= GPU_SHARE * free
