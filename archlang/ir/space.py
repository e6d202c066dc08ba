"""The search space of a program: its `param` declarations, the domain of each, the points
of the space (enumerated or sampled), and a point's values as the lowerer's constants.

A *point* is a dict from each searched parameter's name to its value: an int or a float for
a range, and for a set of choices the choice's *label*: its number (`{32, 64}`) or else its
text as written (`{relu, gelu}`). Labels are plain data (JSON, Optuna's categories, `--set`).
`param c = expr` declares a constant: it is no dimension of the space, and is evaluated for
each point, in the order of the declarations, so it may use the parameters declared before it.

The domain's bounds and choices are evaluated once, with the built-in names only (a domain
never depends on a point). docs/language.md, "Search spaces".
"""
from __future__ import annotations

import itertools
import math
from typing import Iterator

from ..diagnostics import Diagnostic, Diagnostics, Label, Problem
from ..layers import args as A
from ..records import dataclass, field
from ..source import Span
from ..suggest import did_you_mean
from ..syntax import ast
from ..vocabulary import builtin
from .lower import Env, Lowerer

# `archlang sweep --check` enumerates a finite space of at most this many points; a larger
# one, or one with a continuous range, is sampled.
ENUMERATE_UP_TO = 10_000


class SetError(Exception):
    """A `--set NAME=VALUE` the command line got wrong (no `=`, an unknown name, a value
    that is not an expression): a usage error, exit 2. A value outside its parameter's
    domain is a Diagnostic of the spec instead (E0113)."""


@dataclass
class Dimension:
    """One searched parameter: `kind` is "int" or "float" (a range; `step` None for a
    continuous float range) or "choice" (`labels`, and the value of each in `choices`)."""

    decl: ast.ParamDef
    kind: str
    low: int | float = 0
    high: int | float = 0
    step: int | float | None = None
    labels: tuple = ()
    choices: dict = field(default_factory=dict)      # label → A.Arg

    @property
    def name(self) -> str:
        return self.decl.name

    @property
    def domain_text(self) -> str:
        return self.decl.domain.span.text

    @property
    def finite(self) -> bool:
        return self.kind != "float" or self.step is not None

    def values(self, limit: int | None = None) -> list:
        """The values of a finite dimension in order (the first is the default); with
        `limit`, at most that many (a range may hold 2⁶³ values)."""
        count = self.size if limit is None else min(self.size, limit)
        return [self.value_at(i) for i in range(count)]

    def value_at(self, i: int):
        """The i-th value of a finite dimension."""
        if self.kind == "choice":
            return self.labels[i]
        if self.kind == "int":
            return self.low + i * self.step
        return _clean(self.low + i * self.step)

    @property
    def size(self) -> int | None:
        if not self.finite:
            return None
        if self.kind == "choice":
            return len(self.labels)
        if self.kind == "int":
            return (self.high - self.low) // self.step + 1
        # Float steps: 0.1..0.3 by 0.1 has 3 values, though (0.3 - 0.1) / 0.1 < 2 in floats.
        return math.floor((self.high - self.low) / self.step + 1e-9) + 1

    @property
    def default(self):
        return self.labels[0] if self.kind == "choice" else self.low

    def contains(self, value) -> bool:
        if self.kind == "choice":
            return value in self.labels
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if self.kind == "int" and not isinstance(value, int):
            return False
        if not self.low <= value <= self.high:
            return False
        if self.step is None:
            return True
        k = (value - self.low) / self.step
        return abs(k - round(k)) < 1e-9

    def sample(self, rng):
        if self.kind == "float" and self.step is None:
            return _clean(rng.uniform(self.low, self.high))
        return self.value_at(rng.randrange(self.size))

    def arg(self, value) -> A.Arg:
        """The value of `value` (a point's entry) as the lowerer sees it."""
        if self.kind == "choice":
            return self.choices[value]
        return A.Arg(value, self.decl.name_span)


@dataclass
class Space:
    """The parameters of a file in declaration order: searched ones (`dimensions`) and
    constants. A file without `param ... in` has an empty space of one point, `{}`."""

    dimensions: list[Dimension] = field(default_factory=list)
    declarations: list[ast.ParamDef] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.declarations]

    def dimension(self, name: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.name == name), None)

    @property
    def size(self) -> int | None:
        """The number of points, None when a range is continuous."""
        sizes = [d.size for d in self.dimensions]
        return None if None in sizes else math.prod(sizes)

    def default(self) -> dict:
        """The point checked when none is given: the first value of every parameter (a
        range's lower bound, a set's first choice)."""
        return {d.name: d.default for d in self.dimensions}

    def points(self) -> Iterator[dict]:
        """Every point of a finite space, the last dimension varying fastest."""
        names = [d.name for d in self.dimensions]
        for values in itertools.product(*(d.values() for d in self.dimensions)):
            yield dict(zip(names, values))

    def sample(self, count: int, seed: int = 0) -> list[dict]:
        """`count` points drawn uniformly and independently (seeded: the same every run);
        distinct where the space has that many."""
        import random               # not on every check's path: only a sweep samples
        rng = random.Random(seed)
        out, seen = [], set()
        for _ in range(count * 20):
            if len(out) == count:
                break
            point = {d.name: d.sample(rng) for d in self.dimensions}
            key = tuple(point.values())
            if key not in seen:
                seen.add(key)
                out.append(point)
        return out

    def constants(self, point: dict, lowerer: Lowerer, diags: Diagnostics,
                  overrides: dict | None = None) -> dict[str, A.Arg]:
        """The value of every parameter at `point` (a full point of this space), constants
        evaluated in declaration order (those in `overrides`, name → expression, from that
        expression); a constant that fails is diagnosed and left out."""
        out: dict[str, A.Arg] = {}
        overrides = overrides or {}
        for decl in self.declarations:
            if decl.domain is not None:
                out[decl.name] = self.dimension(decl.name).arg(point[decl.name])
                continue
            try:
                out[decl.name] = lowerer.value(overrides.get(decl.name, decl.value), Env(dict(out)))
            except Problem as p:
                diags.add(p.diagnostic)
        return out

    def concrete_text(self, text: str, point: dict) -> str:
        """The file's text with each `param NAME in DOMAIN` written `param NAME = VALUE`."""
        edits = sorted(((d.decl.name_span.end, d.decl.domain.span.end, f" = {value_text(point[d.name])}")
                        for d in self.dimensions), reverse=True)
        for start, end, new in edits:
            text = text[:start] + new + text[end:]
        return text

    # ---- --set ---------------------------------------------------------------------------
    def assignments(self, items: list[str], origin: str = "--set") -> dict[str, ast.Node]:
        """`NAME=VALUE` texts → name → the value's expression; SetError for a malformed one,
        an unknown name (with did-you-mean) or a name given twice."""
        from ..syntax import parse_expression
        out: dict[str, ast.Node] = {}
        for item in items:
            name, eq, text = item.partition("=")
            name = name.strip()
            if not eq or not name or not text.strip():
                raise SetError(f"{origin} takes NAME=VALUE, e.g. `{origin} depth=3`, not `{item}`")
            if name not in self.names:
                known = ", ".join(self.names) or "no parameters"
                raise SetError(f"no parameter `{name}` in the spec"
                               + (f"; {hint}" if (hint := did_you_mean(name, self.names)) else "")
                               + f" (it declares {known})")
            if name in out:
                raise SetError(f"{origin} gives `{name}` twice")
            node = parse_expression(text.strip(), f"{origin} {name}")
            if isinstance(node, Diagnostic):
                raise SetError(f"`{origin} {item}`: {node.message}")
            out[name] = node
        return out

    def given(self, assigned: dict[str, ast.Node], lowerer: Lowerer, diags: Diagnostics) -> dict | None:
        """The point `--set` names (the defaults for the rest) and the constants it overrides
        (name → node); None, with E0113 at the domain, when a value lies outside its domain."""
        point = self.default()
        ok = True
        for name, node in assigned.items():
            dim = self.dimension(name)
            if dim is None:
                continue                       # a constant given another value: bound later
            try:
                value = (_choice(node, lowerer) if dim.kind == "choice" else lowerer.value(node, Env())).value
            except Problem as p:
                raise SetError(f"--set {name}={node.span.text}: {p.diagnostic.message}") from None
            label = _label(node, value) if dim.kind == "choice" else value
            if isinstance(label, float) and label.is_integer() and dim.kind == "int":
                label = int(label)
            if not dim.contains(label):
                ok = False
                diags.add(outside(dim, f"--set {name}={node.span.text}"))
            point[name] = label
        return point if ok else None


def outside(dim: Dimension, what: str) -> Diagnostic:
    """E0113: a value given to `dim` that its domain does not hold."""
    shown = dim.values(limit=8) if dim.finite else []
    return Diagnostic(
        "E0113", f"`{what}` is outside the domain of `{dim.name}`", dim.decl.domain.span,
        label=f"`{dim.name}` ranges over {dim.domain_text}",
        help=f"give one of {', '.join(map(value_text, shown))}{', …' if dim.size > 8 else ''}"
        if shown else f"give a number from {value_text(dim.low)} to {value_text(dim.high)}")


def value_text(value) -> str:
    """A point's value as the spec writes it (`3`, `0.25`, `relu`)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def point_text(point: dict) -> str:
    """`depth = 3, width = 64`."""
    return ", ".join(f"{n} = {value_text(v)}" for n, v in point.items())


def _clean(x: float) -> float:
    """0.30000000000000004 → 0.3: steps of a float range printed as they are meant."""
    return float(f"{x:.12g}")


def _label(node: ast.Node, value):
    """A choice's label: its number, or its text as written."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return node.span.text.strip()


# ---- building the space from the declarations -------------------------------------------------
def space_of(params: list[ast.ParamDef], lowerer: Lowerer, diags: Diagnostics) -> Space:
    """The space the root file's `param` declarations span; a wrong declaration is
    diagnosed (E0104 twice, E0107 a built-in's or block's name, E0112 a bad domain) and left
    out of the space."""
    space = Space()
    seen: dict[str, ast.ParamDef] = {}
    for decl in params:
        if decl.name in seen:
            diags.error("E0104", f"parameter `{decl.name}` is declared twice", decl.name_span,
                        label="declared again here",
                        labels=(Label(seen[decl.name].name_span, "first declared here"),),
                        help="rename one of them")
            continue
        taken = builtin(decl.name) or (f"the block `{decl.name}`" if decl.name in lowerer.blocks else None)
        if taken:
            diags.error("E0107", f"parameter `{decl.name}` has the name of {taken}", decl.name_span,
                        label="already a name", help=f"rename the parameter, e.g. `{decl.name}_`")
            continue
        seen[decl.name] = decl
        if decl.domain is None:
            space.declarations.append(decl)
            continue
        try:
            dim = _dimension(decl, lowerer)
        except Problem as p:
            diags.add(p.diagnostic)
            continue
        space.declarations.append(decl)
        space.dimensions.append(dim)
    return space


def _bad(message: str, span: Span, label: str, help_: str) -> Problem:
    return Problem(Diagnostic("E0112", message, span, label=label, help=help_))


def _number(node: ast.Node, lowerer: Lowerer, what: str) -> int | float:
    value = lowerer.value(node, Env()).value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad(f"a range's {what} must be a number, found {A.describe(value)}", node.span,
                   "not a number", "write a range of numbers, `2..6`, or a set, `{relu, gelu}`")
    return value


def _choice(item: ast.Node, lowerer: Lowerer) -> A.Arg:
    """A choice's value; a bare word that names nothing (`{adam, sgd}`, for a train setting)
    is kept as that word."""
    try:
        return lowerer.value(item, Env())
    except Problem:
        if isinstance(item, ast.Name):
            return A.Arg(A.Symbol(item.id), item.span)
        raise


def _dimension(decl: ast.ParamDef, lowerer: Lowerer) -> Dimension:
    domain = decl.domain
    if isinstance(domain, ast.Choices):
        choices: dict = {}
        for item in domain.items:
            arg = _choice(item, lowerer)
            label = _label(item, arg.value)
            if label in choices:
                raise _bad(f"`{value_text(label)}` is a choice of `{decl.name}` twice", item.span,
                           "a repeated choice", "write each choice once")
            choices[label] = arg
        return Dimension(decl, "choice", labels=tuple(choices), choices=choices)
    low = _number(domain.low, lowerer, "lower bound")
    high = _number(domain.high, lowerer, "upper bound")
    step = _number(domain.step, lowerer, "step") if domain.step is not None else None
    whole = all(isinstance(v, int) for v in (low, high, step) if v is not None)
    if high < low:
        raise _bad(f"the range {domain.span.text} is empty", domain.span, "upper bound below the lower",
                   f"write the lower bound first: `{domain.high.span.text}..{domain.low.span.text}`")
    if step is not None and step <= 0:
        raise _bad(f"a range's step must be positive, found {value_text(step)}", domain.step.span,
                   "not positive", "e.g. `2..10 by 2`")
    if whole:
        return Dimension(decl, "int", low, high, step or 1)
    return Dimension(decl, "float", float(low), float(high), float(step) if step is not None else None)
