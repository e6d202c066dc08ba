"""The integer functions of expressions: `max(a, b)`, `ceil(x)`, `make_divisible(v, 8)` ….

Each function is declared once in FUNCTIONS: its parameters, what each must be (a number or
a whole number), its rule, and the Python it mirrors (shown by docs and completions). They
are evaluated while a spec is lowered, on numbers: a block's parameters are numbers when the
block is called, so `make_divisible(c * w, 8)` inside a block is a number per call.

`apply` raises ArgProblem at the smallest span that is wrong (an argument, a keyword, the
call); the lowerer turns it into a diagnostic. Results are plain ints where the function
rounds (`ceil`, `floor`, `round`, `cdiv`, `make_divisible`); `max` and `min` return the
argument they pick, as Python's do.
"""
from __future__ import annotations

import math
from typing import Callable

from .layers.args import Arg, describe
from .layers.base import ArgProblem
from .records import dataclass
from .source import Span
from .suggest import did_you_mean

NUMBER, WHOLE, POSITIVE = "a number", "a whole number", "a positive whole number"


@dataclass(frozen=True)
class Function:
    """One function: its parameters as (name, what it must be: NUMBER, WHOLE or POSITIVE),
    of which the last `optional` may be left out (the rule's own default then applies), or
    `variadic`: two or more arguments of what the one parameter must be."""

    name: str
    params: tuple[tuple[str, str], ...]
    rule: Callable
    python: str                  # the equivalent Python (or PyTorch library) code
    doc: str
    optional: int = 0            # how many trailing params may be left out
    variadic: bool = False
    divisor: str = ""            # the parameter that divides: 0 is division by zero (E0204)

    @property
    def signature(self) -> str:
        if self.variadic:
            return f"{self.name}(a, b, ...)"
        names = [n for n, _ in self.params]
        required = len(names) - self.optional
        shown = names[:required] + [f"{n}=…" for n in names[required:]]
        return f"{self.name}({', '.join(shown)})"


def _cdiv(a: int, b: int) -> int:
    # Floor division of the negation, exact for any size (Triton's cdiv): no float rounding.
    return -(-a // b)


def make_divisible(v, divisor: int, min_value: int | None = None) -> int:
    """torchvision's `_make_divisible` (models/_utils.py; timm's `make_divisible` with its
    default round_limit 0.9): the multiple of `divisor` nearest to v, halves rounded up,
    at least `min_value` (default: divisor), and never more than 10% below v."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    # Make sure that rounding down does not go down by more than 10%.
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


FUNCTIONS: dict[str, Function] = {f.name: f for f in (
    Function("max", (("a", NUMBER),), max, "max(a, b, ...)",
             "the largest of two or more numbers", variadic=True),
    Function("min", (("a", NUMBER),), min, "min(a, b, ...)",
             "the smallest of two or more numbers", variadic=True),
    Function("ceil", (("x", NUMBER),), math.ceil, "math.ceil(x)",
             "the least whole number ≥ x"),
    Function("floor", (("x", NUMBER),), math.floor, "math.floor(x)",
             "the greatest whole number ≤ x"),
    # Python's round: halves go to the even neighbour (round(2.5) = 2), as torch.round. It is
    # what torchvision's RegNet rounds widths with (its SE width int(round(0.25 * w_in)),
    # torch.round in BlockParams.from_init_params).
    Function("round", (("x", NUMBER),), round, "round(x)",
             "the whole number nearest to x, halves to even (round(2.5) = 2, round(3.5) = 4)"),
    Function("cdiv", (("a", WHOLE), ("b", WHOLE)), _cdiv, "-(-a // b)",
             "ceiling division of whole numbers: cdiv(7, 2) = 4", divisor="b"),
    Function("make_divisible", (("v", NUMBER), ("divisor", POSITIVE), ("min_value", WHOLE)),
             make_divisible, "torchvision.models._utils._make_divisible(v, divisor, min_value)",
             "v rounded to a multiple of divisor, halves up, at least min_value (default: "
             "divisor) and at least 90% of v", optional=1, divisor="divisor"),
)}


def apply(fn: Function, span: Span, positional: list[Arg],
          keywords: list[tuple[str, Span, Arg]]) -> int | float:
    """`fn` called at `span` with evaluated arguments; ArgProblem when the call is wrong."""
    if fn.variadic:
        return fn.rule(*_variadic(fn, span, positional, keywords))
    given = _bind(fn, span, positional, keywords)
    # In parameter order; an optional parameter left out is left to the rule's default.
    values = {n: _check(fn, given[n], kind) for n, kind in fn.params if n in given}
    if fn.divisor and values[fn.divisor] == 0:
        raise ArgProblem("division by zero", given[fn.divisor].span, code="E0204",
                         label="divides by zero")
    return fn.rule(*values.values())


def _variadic(fn: Function, span: Span, positional: list[Arg], keywords) -> list:
    if keywords:
        raise ArgProblem(f"`{fn.name}` takes no keyword arguments", keywords[0][1], code="E0101",
                         label="unexpected keyword", help=f"write {fn.signature}")
    if len(positional) < 2:
        raise ArgProblem(f"`{fn.name}` takes two or more numbers, found {len(positional)}",
                         span, code="E0102", label="needs two or more", help=f"write {fn.signature}")
    return [_check(fn, a, fn.params[0][1]) for a in positional]


def _bind(fn: Function, span: Span, positional: list[Arg], keywords) -> dict[str, Arg]:
    """Parameter name → its argument; every required parameter given, none twice."""
    names = [n for n, _ in fn.params]
    if len(positional) > len(names):
        extra = positional[len(names)]
        raise ArgProblem(f"`{fn.name}` takes {_count(len(names))}, found {len(positional)}",
                         extra.span, code="E0102", label="unexpected argument",
                         help=f"write {fn.signature}")
    given: dict[str, Arg] = dict(zip(names, positional))
    for key, key_span, arg in keywords:
        if key not in names:
            raise ArgProblem(f"`{fn.name}` has no parameter `{key}`", key_span, code="E0101",
                             label="unknown keyword",
                             help=did_you_mean(key, names) or f"write {fn.signature}")
        if key in given:
            raise ArgProblem(f"`{key}` of `{fn.name}` is given twice", key_span, code="E0102",
                             label="given again here")
        given[key] = arg
    required = names[:len(names) - fn.optional]
    missing = [n for n in required if n not in given]
    if missing:
        raise ArgProblem(f"`{fn.name}` takes {_count(len(required))}, found {len(given)}", span,
                         code="E0102", label=f"missing `{missing[0]}`", help=f"write {fn.signature}")
    return given


def _count(n: int) -> str:
    return "one argument" if n == 1 else f"{n} arguments"


def _check(fn: Function, arg: Arg, kind: str) -> int | float:
    v = arg.value
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ArgProblem(f"`{fn.name}` needs {kind}, found {describe(v)}", arg.span,
                         label="not a number")
    if kind == NUMBER:
        return v
    v = _whole(fn, arg)
    if kind == POSITIVE and v < 0:      # 0 is division by zero, reported by `apply`
        raise ArgProblem(f"`{fn.name}` needs {kind}, found {v}", arg.span, code="E0202",
                         label="must be positive")
    return v


def _whole(fn: Function, arg: Arg) -> int:
    v = arg.value
    if isinstance(v, float):
        if not v.is_integer():
            shown = arg.text if arg.text == f"{v:g}" else f"{arg.text} = {v:g}"
            raise ArgProblem(f"{shown} is not a whole number", arg.span, code="E0201",
                             label="not a whole number",
                             help=f"`{fn.name}` takes whole numbers here; round first with "
                                  "`round(x)`, `ceil(x)` or `floor(x)`")
        return int(v)
    return v
