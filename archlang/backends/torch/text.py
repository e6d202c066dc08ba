"""Formatting code text: values, calls with their default keywords, wrapped expressions."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ...layers.torch_code import X, XS, Call, Crop, Index, Method, Op, Raw
from .tables import DEFAULT_KWARGS, KERNEL, KWARG_ORDER


# ---- code text -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Keyed:
    """The modules of an nn.Sequential under keys of their own: `OrderedDict([("conv0", …),
    …])`. Keys are the spec's names (any text without a dot) and positions, written with
    repr: never code."""

    entries: tuple          # ((key, value), ...)


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
    if isinstance(value, Keyed):
        return "OrderedDict([" + ", ".join(f"({_key(k)}, {fmt(v, num)})" for k, v in value.entries) + "])"
    if isinstance(value, Call):
        parts = [fmt(a, num) for a in value.args]
        parts += [f"{k}={fmt(v, num)}" for k, v in value.kwargs]
        return f"{value.fn}({', '.join(parts)})"
    raise TypeError(f"cannot format {value!r}")


def _key(key: str) -> str:
    """A key as a Python string literal (double quotes where repr would pick single)."""
    text = repr(str(key))
    # repr quotes with ' unless the key holds one; with no " inside either, "…" reads the same.
    return '"' + text[1:-1] + '"' if text[0] == "'" and '"' not in text else text


def fmt_lines(value, num, indent: str, width: int) -> str:
    """`fmt(value, num)`; an nn.Sequential longer than `width` on one line is written one
    module per line (torchvision's DenseNet `features`), keyed ones as an OrderedDict."""
    if not (isinstance(value, Call) and value.fn == "nn.Sequential"):
        return fmt(value, num)
    keyed = len(value.args) == 1 and isinstance(value.args[0], Keyed)
    texts = [f"({_key(k)}, {fmt(v, num)})" for k, v in value.args[0].entries] if keyed else \
        [fmt(v, num) for v in value.args]
    head, tail = ("nn.Sequential(OrderedDict([", "]))") if keyed else ("nn.Sequential(", ")")
    one = head + ", ".join(texts) + tail
    if len(one) <= width:
        return one
    return head + "\n" + "".join(f"{indent}    {t},\n" for t in texts) + indent + tail


def uses_keys(value) -> bool:
    """Whether a Call tree holds a Keyed Sequential (the module imports OrderedDict)."""
    if isinstance(value, Keyed):
        return True
    if isinstance(value, Call):
        return any(uses_keys(a) for a in value.args) or any(uses_keys(v) for _, v in value.kwargs)
    if isinstance(value, tuple):
        return any(uses_keys(v) for v in value)
    return False


def calls_of(value):
    """Every function name of a Call tree (the helper classes a module needs)."""
    if isinstance(value, Call):
        yield value.fn
        for a in value.args:
            yield from calls_of(a)
        for _, v in value.kwargs:
            yield from calls_of(v)
    elif isinstance(value, (tuple, Keyed)):
        for v in (value.entries if isinstance(value, Keyed) else value):
            yield from calls_of(v[1] if isinstance(value, Keyed) else v)


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
    if isinstance(expr, Index):
        return f"{v}[{expr.index}]"
    if isinstance(expr, Op):
        return f" {expr.op} ".join(vs)
    if isinstance(expr, Crop):
        idx = [f"{a or ''}:{-b if b else ''}" for a, b in zip(expr.lo, expr.hi)]
        return f"{v}[:, :, {', '.join(idx)}]"
    raise TypeError(f"cannot render {expr!r}")
