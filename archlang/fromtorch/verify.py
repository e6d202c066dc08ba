"""The contract of a conversion, measured: the spec's compiled module loads the original
state_dict with strict=True and computes the same outputs (eval mode)."""
from __future__ import annotations

import torch

from .trace import example


def max_difference(module, compiled, dims) -> float:
    """max |Δ| of the two modules' outputs on one random input of `dims` (spec order)."""
    x = example(dims)
    with torch.no_grad():
        return float((module.eval()(x) - compiled.eval()(x)).abs().max())


def verify(module, text: str, dims, tolerance: float = 1e-4) -> str | None:
    """None when the contract holds at `dims`; else what failed."""
    from ..api import load
    compiled = load(text)
    try:
        compiled.load_state_dict(module.state_dict(), strict=True)
    except RuntimeError as err:
        return f"the spec's module does not take the state_dict: {str(err).splitlines()[-1].strip()}"
    delta = max_difference(module, compiled, dims)
    if not delta <= tolerance:
        return f"the outputs differ by up to {delta:.3g}"
    return None
