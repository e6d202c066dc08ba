"""Transfer learning: load matching weights from a checkpoint (`init_from`) and freeze
parameters (`freeze`), as in the book's §5.4.4 (reuse trained convolutions, retrain the
dense layers)."""

from __future__ import annotations

from torch import nn

from . import checkpoint
from .config import parse_freeze
from .errors import TrainError


def init_from(model: nn.Module, path) -> tuple[list[str], list[str]]:
    """Copy into `model` every tensor of the checkpoint at `path` (a file or run folder)
    whose name and shape match one of the model's; the rest of the model keeps its values.
    Returns (loaded names, skipped notes such as 'fc.weight: shape 10×400 ≠ 10×256')."""
    source = checkpoint.model_state(checkpoint.load(path))
    target = model.state_dict()
    loaded, skipped, update = [], [], {}
    for name, value in target.items():
        if name not in source:
            skipped.append(f"{name}: not in the checkpoint")
        elif source[name].shape != value.shape:
            skipped.append(f"{name}: shape {_dims(source[name].shape)} in the checkpoint, "
                           f"{_dims(value.shape)} here")
        else:
            update[name] = source[name]
            loaded.append(name)
    if not loaded:
        raise TrainError(f"init_from {path}: no weight matches this model by name and shape",
                         "was the checkpoint trained from a related spec?")
    model.load_state_dict(update, strict=False)
    return loaded, skipped


def freeze(model: nn.Module, spec: str | None) -> list[str]:
    """Set requires_grad=False on the parameters `spec` selects (see config.parse_freeze);
    returns their names. Unknown layer numbers or prefixes raise TrainError."""
    items = parse_freeze(spec)
    if not items:
        return []
    children = [name for name, _ in model.named_children()]
    prefixes = []
    for item in items:
        if isinstance(item, int):
            if item > len(children):
                raise TrainError(f"freeze: the model has {len(children)} layers, not {item}",
                                 "layers: " + ", ".join(f"{i + 1}={n}" for i, n in enumerate(children)))
            prefixes.append(children[item - 1])
        else:
            prefixes.append(item)
    frozen = []
    for prefix in prefixes:
        hits = [(n, p) for n, p in model.named_parameters()
                if n == prefix or n.startswith(prefix + ".")]
        if not hits and prefix not in children:  # a parameter-free layer chosen by name is fine
            raise TrainError(f"freeze: no parameter is named `{prefix}` or starts with `{prefix}.`",
                             "top-level layers: " + ", ".join(children))
        for name, param in hits:
            param.requires_grad_(False)
            frozen.append(name)
    return sorted(set(frozen))


def _dims(shape) -> str:
    return "×".join(map(str, shape)) or "scalar"
