"""Where training runs: device choice and, under torchrun, the process group."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from .errors import TrainError


@dataclass
class Placement:
    """This process's place in the run. world = 1 outside torchrun; rank 0 writes outputs."""

    device: torch.device
    rank: int = 0
    world: int = 1
    owns_group: bool = False  # we called init_process_group, so we tear it down

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        """Wait for every rank (a no-op for one process)."""
        if self.world > 1:
            dist.barrier()

    def close(self) -> None:
        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()
            self.owns_group = False


def place(device: str) -> Placement:
    """Pick the device and, when torchrun's RANK/WORLD_SIZE say so, join the process group
    (nccl on CUDA, gloo on CPU). Each rank of a multi-GPU run takes GPU LOCAL_RANK."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", str(rank)))
    chosen = pick_device(device, local if world > 1 else None)
    owns = False
    if world > 1 and not dist.is_initialized():
        if "MASTER_ADDR" not in os.environ:
            raise TrainError("WORLD_SIZE is set but MASTER_ADDR is not",
                             "launch with torchrun --nproc_per_node N, which sets both")
        backend = "nccl" if chosen.type == "cuda" else "gloo"
        # The store of torchrun's agent outlives a restart of the workers and keeps the
        # first attempt's keys (a dead rank's address, which gloo would dial): each attempt
        # keeps its own keys under a prefix.
        store, _, _ = next(dist.rendezvous("env://", rank, world))
        store = dist.PrefixStore(f"archlang/attempt-{restart_count()}", store)
        dist.init_process_group(backend, store=store, rank=rank, world_size=world)
        owns = True
    if world > 1:
        rank, world = dist.get_rank(), dist.get_world_size()
    return Placement(chosen, rank, world, owns)


def pick_device(name: str, local_rank: int | None = None) -> torch.device:
    """auto → the GPU if there is one, else the CPU; cuda → GPU local_rank (0 alone);
    cuda:N → that GPU. TrainError when a GPU is asked for and absent."""
    if name == "cpu" or (name == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise TrainError(f"device `{name}` asked for, but this machine has no CUDA GPU",
                         "use device = \"cpu\" or \"auto\"")
    index = int(name.split(":")[1]) if ":" in name else (local_rank or 0)
    if index >= torch.cuda.device_count():
        raise TrainError(f"device cuda:{index} asked for, but there are "
                         f"{torch.cuda.device_count()} GPUs", "GPUs count from cuda:0")
    torch.cuda.set_device(index)
    return torch.device("cuda", index)


def all_reduce_sum(t: torch.Tensor, placement: Placement) -> torch.Tensor:
    """Sum `t` over all ranks in place (a no-op for a single process)."""
    if placement.world > 1:
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t


# torchrun's elastic agent runs every worker with these; a restarted worker sees a count > 0.
def restart_count() -> int:
    """How many times torchrun's agent has restarted this worker group (0 outside torchrun)."""
    return int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") or 0)


def launch_id() -> str | None:
    """The id of this torchrun launch (`--rdzv-id`, or a fresh one under --standalone), the
    same across the agent's restarts; None outside torchrun. Checkpoints record it so that a
    restarted worker resumes its own run and never an older one in the same folder."""
    if "TORCHELASTIC_RESTART_COUNT" not in os.environ:
        return None
    return os.environ.get("TORCHELASTIC_RUN_ID")


def lost_peer(err: BaseException) -> bool:
    """Whether `err` says another process of the group went away (it crashed or was killed):
    gloo raises a plain RuntimeError naming the closed connection, NCCL a DistError."""
    text = str(err)
    return isinstance(err, dist.DistError) or "closed by peer" in text or \
        "reset by peer" in text
