"""FSDP2 under torchrun (`--fsdp`): shard a module block by block, and keep its checkpoints
as shards written by every rank with torch.distributed.checkpoint (DCP).

FSDP2's `fully_shard` leaves the wrap policy to the user: which submodules become units
whose parameters are gathered together for their forward and backward. A spec knows it:
the caller passes `units`, the compiled module's blocks and repeat copies, innermost first
(archlang.api.shard_units, read from the code generator's module map); the root is sharded
last and holds what no unit took. This package never imports the code generator.

A run folder of a sharded run holds, besides last.pt / best.pt (rank 0's: the settings,
history, RNG states and the whole model gathered, so `evaluate`, `predict` and `compile`
read it as any other), `shards/epoch-N/`: every rank's shard of the model and the optimizer
state. Resuming reads the shards named by last.pt. On several machines the run folder must
be one shared file system (each rank writes its own shard files there).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import torch
from torch import nn

from .device import Placement
from .errors import TrainError

SHARDS = "shards"


def default_units(model: nn.Module) -> list[tuple[str, ...]]:
    """Without a spec: each top-level child that holds parameters is one unit."""
    return [(name,) for name, child in model.named_children()
            if any(True for _ in child.parameters())]


def local(t: torch.Tensor) -> torch.Tensor:
    """This rank's part of a sharded parameter (a DTensor); any other tensor itself."""
    return t.to_local() if hasattr(t, "to_local") else t


class Sharded:
    """A module sharded with FSDP2 over the process group, and its checkpoints."""

    def __init__(self, model: nn.Module, units: list[tuple[str, ...]] | None, where: Placement):
        if where.world < 2:
            raise TrainError("--fsdp shards the model over torchrun's processes, but this "
                             "is one process",
                             "launch with torchrun --nproc-per-node N (N ≥ 2), or drop --fsdp")
        from torch.distributed.fsdp import fully_shard
        self.model, self.where = model, where
        units = default_units(model) if units is None else units
        for unit in units:
            try:
                modules = [model.get_submodule(path) for path in unit]
            except AttributeError as err:
                raise TrainError(f"cannot shard `{', '.join(unit)}`: {err}",
                                 "shard units are attribute paths of the module") from None
            fully_shard(modules if len(modules) > 1 else modules[0])
        fully_shard(model)
        self.units = units
        self.full: dict | None = None   # rank 0: the last saved epoch's whole model

    def folder(self, out: Path, epoch: int) -> Path:
        return out / SHARDS / f"epoch-{epoch}"

    def save(self, out: Path, epoch: int, optimizer: torch.optim.Optimizer) -> str:
        """Every rank: write its shards of the model and optimizer for `epoch`, and gather
        the whole model on rank 0 (into `self.full`, CPU tensors) for last.pt / best.pt.
        Returns the shard folder relative to `out`, as last.pt records it."""
        import torch.distributed.checkpoint as dcp
        from torch.distributed.checkpoint.state_dict import (StateDictOptions,
                                                             get_model_state_dict,
                                                             get_state_dict)
        folder = self.folder(out, epoch)
        model_state, optim_state = get_state_dict(self.model, optimizer)
        dcp.save({"model": model_state, "optimizer": optim_state}, checkpoint_id=str(folder))
        self.full = get_model_state_dict(
            self.model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
        return folder.relative_to(out).as_posix()

    def load(self, folder: Path, optimizer: torch.optim.Optimizer) -> None:
        """Every rank: read its shards of the model and optimizer from `folder`."""
        import torch.distributed.checkpoint as dcp
        from torch.distributed.checkpoint.state_dict import get_state_dict, set_state_dict
        if not (folder / ".metadata").is_file():
            raise TrainError(f"the sharded checkpoint {folder} is missing or incomplete",
                             "resume from a run folder written by `archlang train --fsdp`, "
                             "on a file system every rank sees")
        model_state, optim_state = get_state_dict(self.model, optimizer)
        state = {"model": model_state, "optimizer": optim_state}
        dcp.load(state, checkpoint_id=str(folder))
        set_state_dict(self.model, optimizer, model_state_dict=state["model"],
                       optim_state_dict=state["optimizer"])

    def prune(self, out: Path, keep: set[int]) -> None:
        """Rank 0: remove the shard folders of earlier epochs that no checkpoint names any
        more (a later one may be a restarted launch's, being written)."""
        for folder in (out / SHARDS).glob("epoch-*"):
            number = folder.name.removeprefix("epoch-")
            if number.isdigit() and int(number) not in keep and int(number) < max(keep):
                shutil.rmtree(folder, ignore_errors=True)
