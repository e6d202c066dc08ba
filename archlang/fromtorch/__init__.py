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
    from .trace import build, parse_shape, trace_all
    from .write import write
    # A target built here is never returned: built without weights (its values are not read).
    module, label = build(module_or_target, args, kwargs or {}, meta=True)
    dims = parse_shape(input_shape)
    traced = trace_all(module, dims)
    return write(traced, dims, name or label)


__all__ = ["from_torch", "Unsupported"]
