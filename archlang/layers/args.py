"""Evaluated argument values and the converters that turn them into layer fields.

An `Arg` is a value with the span it was written at, so every converter can point at the
smallest piece of text that is wrong. Converters raise ArgProblem; they never guess.
"""
from __future__ import annotations

import math
from typing import Any

from ..records import dataclass
from ..source import Span
from .base import ArgProblem

ACTIVATIONS = ("relu", "relu6", "tanh", "sigmoid", "softmax", "logsoftmax", "leakyrelu", "elu",
               "gelu", "gelu_erf", "swish", "softplus", "hardswish", "hardsigmoid", "mish", "identity")
"""Canonical activation names. `gelu` is NNlib's (the tanh form), `gelu_erf` the exact one."""
ACTIVATION_ALIASES = {"σ": "sigmoid", "silu": "swish", "logσ": "logsoftmax", "ReLU": "relu",
                      "ReLU6": "relu6", "Tanh": "tanh", "Sigmoid": "sigmoid", "Softmax": "softmax",
                      "LogSoftmax": "logsoftmax", "LeakyReLU": "leakyrelu", "ELU": "elu",
                      "GELU": "gelu_erf", "gelu_tanh": "gelu", "SiLU": "swish",
                      "Softplus": "softplus", "Hardswish": "hardswish", "hardσ": "hardsigmoid",
                      "Hardsigmoid": "hardsigmoid", "Mish": "mish", "Identity": "identity",
                      "lrelu": "leakyrelu"}
"""Flux/NNlib and PyTorch spellings. `GELU` is PyTorch's module, whose default is the erf form."""
GELU_FORMS = {"none": "gelu_erf", "tanh": "gelu"}
"""PyTorch's `approximate=` argument of `GELU` → the activation it selects."""


def activation_name(name: str) -> str | None:
    """Canonical activation for a name, or None."""
    if name in ACTIVATIONS:
        return name
    return ACTIVATION_ALIASES.get(name)


def gelu_form(positional: list[Arg], keywords: list[tuple[str, Span, Arg]]) -> str:
    """The activation `GELU(approximate=...)` selects: "none" (PyTorch's default) is the
    exact erf form, "tanh" the approximation (NNlib's `gelu`)."""
    act = "gelu_erf"
    if positional:
        raise ArgProblem("GELU takes `approximate` as a keyword", positional[0].span, code="E0102",
                         label="unexpected positional argument",
                         help='write GELU(approximate="tanh") or GELU(approximate="none")')
    seen = set()
    for key, key_span, arg in keywords:
        if key != "approximate":
            from ..suggest import did_you_mean
            raise ArgProblem(f"GELU has no keyword `{key}`", key_span, code="E0101",
                             label="unknown keyword",
                             help=did_you_mean(key, ["approximate"]) or
                             'the signature is GELU(; approximate="none")')
        if key in seen:
            raise ArgProblem("`approximate` of GELU is given twice", key_span, code="E0102",
                             label="given again here")
        seen.add(key)
        form = arg.value
        if not isinstance(form, str) or form not in GELU_FORMS:
            raise ArgProblem(f'GELU\'s `approximate` is "none" or "tanh", found {describe(form)}',
                             arg.span, label="not a GELU form",
                             help='"none" is the exact (erf) form, PyTorch\'s default; "tanh" '
                                  "the approximation (NNlib's `gelu`)")
        act = GELU_FORMS[form]
    return act


class Arg:
    """An evaluated argument and where it was written. Immutable by convention: a plain
    class with slots, made in a third of a frozen dataclass's time (nine per layer)."""

    __slots__ = ("value", "span")

    def __init__(self, value: Any, span: Span):
        self.value = value
        self.span = span

    def __repr__(self) -> str:
        return f"Arg({self.value!r}, {self.span!r})"

    @property
    def text(self) -> str:
        return self.span.text


@dataclass(frozen=True)
class Pair:
    left: Arg
    right: Arg


@dataclass(frozen=True)
class Activation:
    name: str


@dataclass(frozen=True)
class Symbol:
    """A bare mode name: `nearest` in `Upsample(nearest, scale=2)` (Flux writes `:nearest`)."""

    name: str


MODES = ("nearest", "linear", "bilinear", "trilinear")
"""The bare names a spec may write as values (interpolation modes)."""


@dataclass(frozen=True)
class Join:
    op: str          # "add" | "mul" | "cat" (archlang/layers/structural.py JOINS)


class _Sentinel:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


INFER = _Sentinel("_")
MAX_SIZE = 2 ** 40        # no tensor dimension is larger; a bigger number is a typo
SAME = _Sentinel("SamePad()")


class LayerTerm:
    """A layer expression passed as an argument (`SkipConnection(Conv(...), +)`): the base of
    ir.terms.Term, so that argument checking, below ir, can name one without importing ir."""

    __slots__ = ()


@dataclass(frozen=True)
class ShapeValue:
    dims: tuple[int, ...]


def describe(value: Any) -> str:
    """How a value is named in messages: 'the number 2.5', 'a tuple', '`relu`'."""
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, float):
        return f"the number {value:g}"
    if isinstance(value, str):
        return f'the string "{value}"'
    if isinstance(value, tuple):
        return f"a tuple of {len(value)}"
    if isinstance(value, Pair):
        return "a pair `a => b`"
    if isinstance(value, Activation):
        return f"the activation `{value.name}`"
    if isinstance(value, Symbol):
        return f"`{value.name}`"
    if isinstance(value, Join):
        return f"the join `{ {'add': '+', 'mul': '*'}.get(value.op, value.op)}`"
    if value is INFER:
        return "`_`"
    if value is SAME:
        return "`SamePad()`"
    if isinstance(value, ShapeValue):
        return "a shape"
    if isinstance(value, LayerTerm):
        return "a layer"
    return type(value).__name__


# ---- converters ------------------------------------------------------------------------
def whole(arg: Arg, what: str = "a size", minimum: int = 1) -> int:
    v = arg.value
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ArgProblem(f"expected {what} (a whole number), found {describe(v)}", arg.span,
                         label="not a number")
    if isinstance(v, float):
        if not v.is_integer():
            shown = arg.text if arg.text == f"{v:g}" else f"{arg.text} = {v:g}"
            raise ArgProblem(f"{shown} is not a whole number", arg.span, code="E0201",
                             label="not a whole number",
                             help="sizes are whole numbers; round with `round(x)`, `ceil(x)` or "
                                  "`make_divisible(x, 8)`, or divide with `÷` (exact) or `//` (floor)")
        v = int(v)
    if v > MAX_SIZE:
        raise ArgProblem(f"{what} of {v:,} is too large", arg.span, code="E0203",
                         label="too large", help=f"sizes are at most 2⁴⁰ = {MAX_SIZE:,}")
    if v < minimum:
        rule = "positive" if minimum == 1 else f"at least {minimum}"
        raise ArgProblem(f"{what} must be {rule}, found {v}", arg.span, code="E0202",
                         label=f"must be {rule}")
    return v


def size(arg: Arg) -> int:
    return whole(arg, "a size")


def count(arg: Arg) -> int:
    return whole(arg, "a count", minimum=0)


def sizes(arg: Arg, what: str = "a size") -> tuple[int, ...]:
    """An int or a tuple of ints."""
    if isinstance(arg.value, tuple):
        if not arg.value:
            raise ArgProblem(f"expected {what} or a tuple of them, found an empty tuple", arg.span)
        return tuple(whole(a, what) for a in arg.value)
    if isinstance(arg.value, ShapeValue):
        return arg.value.dims
    return (whole(arg, what),)


def nonneg_sizes(arg: Arg, what: str = "a padding") -> tuple[int, ...]:
    if isinstance(arg.value, tuple):
        return tuple(whole(a, what, minimum=0) for a in arg.value)
    return (whole(arg, what, minimum=0),)


def size_or_infer(arg: Arg) -> int | None:
    return None if arg.value is INFER else size(arg)


def channels_pair(arg: Arg) -> tuple[int | None, int]:
    """`c_in => c_out`, with `_` for an inferred c_in."""
    if not isinstance(arg.value, Pair):
        raise ArgProblem(f"expected channels `in => out`, found {describe(arg.value)}", arg.span,
                         label="expected `in => out`",
                         help="write the input and output channels as a pair, e.g. `1 => 8` or `_ => 8`")
    out = arg.value.right
    if out.value is INFER:
        raise ArgProblem("the output size cannot be inferred", out.span, label="write a number",
                         help="only the input size may be `_`")
    return size_or_infer(arg.value.left), size(out)


def activation(arg: Arg) -> str:
    if isinstance(arg.value, Activation):
        return arg.value.name
    raise ArgProblem(f"expected an activation, found {describe(arg.value)}", arg.span,
                     label="not an activation",
                     help="activations: " + ", ".join(ACTIVATIONS))


def boolean(arg: Arg) -> bool:
    if isinstance(arg.value, bool):
        return arg.value
    raise ArgProblem(f"expected `true` or `false`, found {describe(arg.value)}", arg.span)


def number(arg: Arg) -> float:
    v = arg.value
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ArgProblem(f"expected a number, found {describe(v)}", arg.span)
    if not math.isfinite(v):
        raise ArgProblem(f"expected a finite number, found {v}", arg.span, code="E0203",
                         label="not finite")
    return float(v)


def probability(arg: Arg) -> float:
    p = number(arg)
    if not 0 <= p < 1:
        raise ArgProblem(f"a probability must be in [0, 1), found {p:g}", arg.span, code="E0202",
                         label="out of range")
    return p


def positive_number(arg: Arg) -> float:
    v = number(arg)
    if v <= 0:
        raise ArgProblem(f"expected a positive number, found {v:g}", arg.span, code="E0202")
    return v


def string(arg: Arg) -> str:
    if isinstance(arg.value, str):
        return arg.value
    raise ArgProblem(f"expected a string, found {describe(arg.value)}", arg.span)


INITS = ("default", "kaiming_normal", "kaiming_uniform", "xavier_normal", "xavier_uniform",
         "normal", "zeros", "ones", "orthogonal")


def init(arg: Arg) -> str:
    v = arg.value
    name = v if isinstance(v, str) else None
    if name is None:
        raise ArgProblem(f'expected an initialiser name as a string, found {describe(v)}', arg.span,
                         help='e.g. init="kaiming_normal"; known: ' + ", ".join(INITS))
    if name not in INITS:
        from ..suggest import did_you_mean
        raise ArgProblem(f'unknown initialiser "{name}"', arg.span,
                         help=did_you_mean(name, INITS) or "known: " + ", ".join(INITS))
    return name


def padding(arg: Arg):
    """`pad`: an int, a tuple per dimension, a (lo, hi) tuple per dimension, or SamePad()."""
    if arg.value is SAME:
        return SAME
    return nonneg_sizes(arg)
