"""Layer terms: what a layer expression means, before it is wired into a graph.

A term is a description, so one term can be built many times: `repeat(3, Res(4))` builds
its body three times into three sets of nodes, with separate weights.

`attr` is the name a spec gives a layer, block call, repeat or Chain with `name="fc"`: the
compiled module's attribute for it, or its key in a named Chain's nn.Sequential
(backends/torch/occurrences.py), "" when none was given; ir/names.py says which are valid.
"""
from __future__ import annotations

from ..layers.args import LayerTerm
from ..layers.base import Layer
from ..records import dataclass, field
from ..source import Span


@dataclass(eq=False, slots=True)
class Term(LayerTerm):
    span: Span


@dataclass(eq=False, slots=True)
class Leaf(Term):
    layer: Layer
    spans: dict[str, Span] = field(default_factory=dict)   # argument name → where it was written
    attr: str = ""
    attr_span: Span | None = None     # where `name=` gave it (ir/names.py)


@dataclass(eq=False, slots=True)
class Seq(Term):
    items: list[Term]
    attr: str = ""
    attr_span: Span | None = None     # where `name=` gave it (ir/names.py)


@dataclass(eq=False, slots=True)
class Skip(Term):
    inner: Term
    op: str                     # "add" | "mul" | "cat"
    op_span: Span


@dataclass(eq=False, slots=True)
class Par(Term):
    op: str
    op_span: Span
    branches: list[Term]


@dataclass(eq=False, slots=True)
class BlockCall(Term):
    name: str
    text: str                   # the call with its arguments evaluated: BasicBlock(64)
    body: Term
    defined_at: Span
    args: tuple = ()            # ((parameter, value), ...) with values as plain Python
    attr: str = ""
    attr_span: Span | None = None     # where `name=` gave it (ir/names.py)


@dataclass(eq=False, slots=True)
class Repeat(Term):
    n: int
    body: Term
    attr: str = ""
    attr_span: Span | None = None     # where `name=` gave it (ir/names.py)


@dataclass(eq=False, slots=True)
class Broken(Term):
    """A layer expression that failed to evaluate (already diagnosed): its output is unknown."""


# ---- graph bodies: values ------------------------------------------------------------
@dataclass(eq=False, slots=True)
class ValueRef(Term):
    """A name in a graph body: a model input or an earlier statement."""

    name: str


@dataclass(eq=False, slots=True)
class Apply(Term):
    """A layer term applied to values: `Dense(_ => 10)(h)`, `a + b` (a join), `cat(a, b)`,
    `Parameter(...)` (no values)."""

    layer: Term
    args: list[Term]
    tie: ValueRef | None = None      # `tie=wte`: the value whose layer's weight it shares


@dataclass(eq=False, slots=True)
class Statement(Term):
    name: str
    value: Term


@dataclass(eq=False, slots=True)
class GraphBody(Term):
    """`{ name = value ... return a, b }`; outputs are (name, value) in return order."""

    statements: list[Statement]
    outputs: list[tuple[str, Term]]
