"""From a PyTorch nn.Module to a spec: `archlang from-torch` and `archlang.from_torch`.

Stages, in the order data flows: trace.py (build the module, run it once, trace each module's
forward with torch.fx), recognise.py (a PyTorch module or function → an archlang layer, or a
diagnostic), patterns.py and dense.py (several torch operations that are one layer or none,
rewritten in the traced graphs: a channel shuffle, a chunk, a layer scale, LayerNorm2d, a
dense block), structure.py (a traced graph → Chain / Parallel / SkipConnection), layout.py
(permute pairs around per-position layers), write.py (classes → blocks with parameters, the
spec's text). Imports torch: nothing below the CLI's
`from-torch` and `archlang.from_torch` loads this package.

The contract (tests/fromtorch): the spec's compiled module loads the original state_dict with
strict=True and computes the same outputs, and converting that compiled module gives the same
spec back.
"""
from __future__ import annotations

from .recognise import Unsupported


def from_torch(module_or_target, input_shape, *, args: tuple = (), kwargs: dict | None = None,
               name: str | None = None) -> str:
    """The spec (formatted text) of an nn.Module, or of a target `pkg.mod:Callable` /
    `file.py:Class` built with `args` and `kwargs`, for inputs of `input_shape` (spec order,
    W×H×C: `(224, 224, 3)` or `"224x224x3"`). Raises Unsupported (a diagnostic naming the
    module and the operation) for what no spec can express, ValueError for a bad target."""
    from .trace import build, parse_shape
    dims = parse_shape(input_shape)
    # A target built here is never returned: built without weights where that suffices.
    module, label = build(module_or_target, args, kwargs or {}, meta=True)
    return convert(module, dims, name or label,
                   rebuild=lambda: build(module_or_target, args, kwargs or {})[0])


def convert(module, dims: tuple, name: str, rebuild=None) -> str:
    """The spec of `module` for inputs of `dims`. A module built on the meta device
    (`build(meta=True)`) whose conversion reads a value (ConvNeXt's layer scale writes its
    initial value, `init=1e-6`) or whose forward makes a tensor of its own is converted again
    from `rebuild()`, the module with weights; any other failure is the conversion's."""
    from .trace import trace_all
    from .write import write
    try:
        return write(trace_all(module, dims), dims, name)
    except Exception:
        if rebuild is None or not is_meta(module):
            raise
    module = rebuild()
    return write(trace_all(module, dims), dims, name)


def is_meta(module) -> bool:
    """Whether the module holds its weights on the meta device (no values)."""
    return any(t.is_meta for t in (*module.parameters(), *module.buffers()))


__all__ = ["convert", "from_torch", "is_meta", "Unsupported"]
