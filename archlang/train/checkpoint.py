"""Checkpoints: atomic writes, and contents that `torch.load(weights_only=True)` accepts.

A checkpoint is a dict of tensors and plain containers only:
    format "archlang-train/1", name, input_shape, epoch (completed epochs),
    model (state_dict), optimizer (state_dict), scaler (GradScaler state or None),
    history (list of per-epoch metric dicts), rng (see `rng_state`), config (plain dict),
    launch (torchrun's run id, or None: a restarted worker resumes only its own launch),
    shards (a sharded run's folder of DCP shards, relative to the checkpoint's, else None;
    the optimizer state is then there, and `optimizer` is None).
"""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

import numpy as np
import torch

from .errors import TrainError

FORMAT = "archlang-train/1"
SAFE_LOAD_TORCH = (2, 10)     # pyproject.toml's minimum; tests/test_torch_load.py ties the two


def torch_version() -> tuple[int, int]:
    """(major, minor) of the torch imported ("2.13.0+cpu" → (2, 13))."""
    major, minor = torch.__version__.split(".")[:2]
    return int(major), int("".join(c for c in minor if c.isdigit()) or 0)


def atomic_write(path, write) -> None:
    """Call `write(file)` on a temporary file beside `path`, then make it `path` atomically.

    Readers see the old file or the complete new one, never a torn one, even if this
    process is killed at any instant: the data reach the disk (flush + fsync) before the
    rename (os.replace is atomic within a file system), and the folder is fsynced after it
    so the rename itself survives a power cut. On an exception the temporary file is removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A writer killed outright (SIGKILL) cannot clean up: its temporary file is removed by
    # the next save of the same path (one writer per path: rank 0).
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())   # mkstemp makes 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(path.parent)


def _umask() -> int:
    mask = os.umask(0)   # the only way to read it is to set it; put it straight back
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open folders; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save(path, checkpoint: dict) -> None:
    """Atomically write `checkpoint` (see the module docstring) with torch.save, every
    tensor moved to the CPU so the file loads on a machine without the GPU it came from."""
    cpu = _to_cpu(checkpoint)
    atomic_write(path, lambda f: torch.save(cpu, f))


def _to_cpu(obj):
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: _to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_cpu(v) for v in obj)
    return obj


def load(path) -> dict:
    """Read a checkpoint with weights_only=True (no pickled code runs); TrainError if the
    file is missing or unreadable."""
    path = Path(path)
    if path.is_dir():
        path = path / "best.pt"
    if not path.is_file():
        raise TrainError(f"no checkpoint at {path}",
                         "point to a best.pt / last.pt file or to a run folder holding one")
    if torch_version() < SAFE_LOAD_TORCH:
        raise TrainError(f"torch {torch.__version__} cannot read checkpoints safely: before 2.10 "
                         "its weights_only loader can run code or corrupt memory "
                         "(CVE-2025-32434, CVE-2026-24747)", "pip install 'torch>=2.10'")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several kinds for a corrupt or foreign file
        raise TrainError(f"cannot read checkpoint {path}: {str(err).splitlines()[0]}",
                         "the file is corrupt or was not written by archlang train") from None


def model_state(checkpoint: dict) -> dict:
    """The model weights in a checkpoint, or the checkpoint itself if it is a bare
    state_dict (torch.save(model.state_dict()), a torchvision .pth); another program's
    checkpoint dict holding it under "state_dict" or "model"; DDP/compile prefixes removed."""
    state = None
    if isinstance(checkpoint, dict):
        held = checkpoint.get("model", checkpoint.get("state_dict"))
        state = held if isinstance(held, dict) else checkpoint
    if not isinstance(state, dict):
        raise TrainError("the checkpoint holds no model weights")
    return {strip_prefixes(k): v for k, v in state.items() if isinstance(v, torch.Tensor)}


def trained_for(checkpoint: dict) -> str | None:
    """The model a checkpoint written by `archlang train` belongs to, as `name` or
    `name of SPEC` (None for a bare state_dict)."""
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        return None
    meta = checkpoint.get("module") or {}
    name = meta.get("model") or checkpoint.get("name")
    spec = meta.get("spec")
    return None if name is None else f"`{name}`" + (f" of {spec}" if spec else "")


def strip_prefixes(name: str) -> str:
    """'module._orig_mod.conv1.weight' → 'conv1.weight' (added by DDP and torch.compile)."""
    for prefix in ("module.", "_orig_mod."):
        while name.startswith(prefix):
            name = name[len(prefix):]
    return name


def rng_state() -> dict:
    """Every RNG the loop touches, as tensors and plain values (weights_only-safe)."""
    np_kind, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    py_version, py_state, py_gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {"kind": np_kind, "keys": torch.from_numpy(np_keys.astype(np.int64)),
                  "pos": int(np_pos), "has_gauss": int(np_has_gauss), "gauss": float(np_gauss)},
        "python": {"version": py_version, "state": torch.tensor(py_state, dtype=torch.int64),
                   "gauss": py_gauss},
    }


def set_rng_state(state: dict) -> None:
    """Restore what `rng_state` captured (CUDA states only if this machine has the GPUs)."""
    torch.set_rng_state(state["torch"])
    cuda = state.get("cuda") or []
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)
    n = state["numpy"]
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"],
                         n["has_gauss"], n["gauss"]))
    p = state["python"]
    random.setstate((p["version"], tuple(int(v) for v in p["state"].tolist()), p["gauss"]))
