"""Formatting code text: values, calls with their default keywords, wrapped expressions."""
from __future__ import annotations

import math
import re

from ...layers.torch_code import X, XS, Call, Crop, Method, Op, Raw
from .tables import DEFAULT_KWARGS, KERNEL, KWARG_ORDER


# ---- code text -----------------------------------------------------------------------------
def fmt(value, num=None) -> str:
    """Format a value of a Call tree; `num(int)` renders each int (block parameters)."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return num(value) if num else str(int(value))
    if isinstance(value, float):
        # repr(inf) is `inf`, a NameError in the generated module: never emit it. The language
        # refuses such numbers before they get here; this is the last guard.
        if not math.isfinite(value):
            raise ValueError(f"cannot write the non-finite number {value!r} as Python source")
        return repr(float(value))
    if isinstance(value, tuple):
        items = [fmt(v, num) for v in value]
        return f"({items[0]},)" if len(items) == 1 else "(" + ", ".join(items) + ")"
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Call):
        parts = [fmt(a, num) for a in value.args]
        parts += [f"{k}={fmt(v, num)}" for k, v in value.kwargs]
        return f"{value.fn}({', '.join(parts)})"
    raise TypeError(f"cannot format {value!r}")


def filled(call: Call, names=None) -> Call:
    """`call` with its defaulted keyword arguments written out (only `names`, if given)."""
    defaults = DEFAULT_KWARGS.get(re.sub(r"[123]d$", "", call.fn))
    if not defaults:
        return call
    kws = dict(call.kwargs)
    for k, d in defaults.items():
        if k not in kws and (names is None or k in names):
            kws[k] = call.args[0] if d is KERNEL else d
    order = {k: i for i, k in enumerate(KWARG_ORDER)}
    return Call(call.fn, call.args, tuple(sorted(kws.items(), key=lambda kv: order.get(kv[0], 99))))


def ints_of(value) -> list[int]:
    """The ints of a Call tree in the order `fmt` renders them."""
    out: list[int] = []
    fmt(value, lambda v: out.append(v) or "#")
    return out


def wrap(expr, v: str, vs: list[str]) -> str:
    """An expression of the input tensor(s) X / XS, as code."""
    if expr is X:
        return v
    if expr is XS:
        return "[" + ", ".join(vs) + "]"
    if isinstance(expr, Call):
        parts = [wrap(a, v, vs) if a is X or a is XS else fmt(a) for a in expr.args]
        parts += [f"{k}={fmt(val)}" for k, val in expr.kwargs]
        return f"{expr.fn}({', '.join(parts)})"
    if isinstance(expr, Method):
        return f"{v}.{expr.name}({', '.join(fmt(a) for a in expr.args)})"
    if isinstance(expr, Op):
        return f" {expr.op} ".join(vs)
    if isinstance(expr, Crop):
        idx = [f"{a or ''}:{-b if b else ''}" for a, b in zip(expr.lo, expr.hi)]
        return f"{v}[:, :, {', '.join(idx)}]"
    raise TypeError(f"cannot render {expr!r}")
