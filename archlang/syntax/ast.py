"""The AST: one dataclass per grammar rule, each with the span of the text it came from.

Nodes are immutable by convention and compared by identity (their spans are): frozen
dataclasses took 15 ms of every start to create and made each node 2.5 times slower to
build (docs/performance.md).

Rule names in grammars/archlang.lark, these classes and the transformer's methods share one
name (`call` → Call, `block_def` → BlockDef).
"""
from __future__ import annotations

from ..records import dataclass
from ..source import Source, Span


@dataclass(eq=False, slots=True)
class Node:
    span: Span


# ---- expressions ---------------------------------------------------------------------
@dataclass(eq=False, slots=True)
class Number(Node):
    value: int | float


@dataclass(eq=False, slots=True)
class AsciiShape(Node):
    """`28x28x1`: one token."""
    dims: tuple[int, ...]


@dataclass(eq=False, slots=True)
class Name(Node):
    id: str


@dataclass(eq=False, slots=True)
class Infer(Node):
    """`_`: a size inferred from the incoming shape."""


@dataclass(eq=False, slots=True)
class String(Node):
    value: str


@dataclass(eq=False, slots=True)
class Tuple(Node):
    items: tuple[Node, ...]


@dataclass(eq=False, slots=True)
class Pair(Node):
    """`a => b`."""
    left: Node
    right: Node


@dataclass(eq=False, slots=True)
class Shape(Node):
    """`w × h × c`."""
    dims: tuple[Node, ...]


@dataclass(eq=False, slots=True)
class BinOp(Node):
    op: str          # + - * / ÷ // ^
    left: Node
    right: Node
    op_span: Span


@dataclass(eq=False, slots=True)
class Neg(Node):
    operand: Node


@dataclass(eq=False, slots=True)
class Keyword(Node):
    name: str
    name_span: Span
    value: Node


@dataclass(eq=False, slots=True)
class JoinOp(Node):
    """The bare `+` or `*` of `SkipConnection(layer, +)` and `Parallel(*, ...)`."""
    op: str


@dataclass(eq=False, slots=True)
class Numbered(Node):
    """`12: Conv(...)`, a pasted Metalhead printout line inside a Chain."""
    label: int
    expr: Node


@dataclass(eq=False, slots=True)
class Call(Node):
    func: str
    func_span: Span
    args: tuple[Node, ...]           # positional nodes, Keyword, JoinOp, Numbered

    @property
    def positional(self) -> list[Node]:
        return [a for a in self.args if not isinstance(a, Keyword)]

    @property
    def keywords(self) -> list[Keyword]:
        return [a for a in self.args if isinstance(a, Keyword)]


@dataclass(eq=False, slots=True)
class Apply(Node):
    """`Dense(_ => 10)(h)`: a layer expression applied to values (graph bodies)."""
    layer: Call
    args: tuple[Node, ...]           # value expressions (a Keyword is diagnosed when lowered)


# ---- definitions ---------------------------------------------------------------------
@dataclass(eq=False, slots=True)
class ModelInput(Node):
    """`x: 28×28×1` or `tokens: 1024 of int` in a model's header; `dtype` is the word after
    `of` as written (None: float), checked when the model is lowered."""
    name: str
    name_span: Span
    shape: Node
    dtype: str | None = None
    dtype_span: Span | None = None


@dataclass(eq=False, slots=True)
class Statement(Node):
    """`h = Dense(_ => 10)(x)` in a graph body."""
    name: str
    name_span: Span
    value: Node


@dataclass(eq=False, slots=True)
class ReturnStmt(Node):
    values: tuple[Node, ...]


@dataclass(eq=False, slots=True)
class GraphBody(Node):
    """`{ statements return values }`: a model body that names its values."""
    statements: tuple[Statement, ...]
    returns: ReturnStmt


@dataclass(eq=False, slots=True)
class Param(Node):
    name: str
    default: Node | None


@dataclass(eq=False, slots=True)
class BlockDef(Node):
    name: str
    name_span: Span
    params: tuple[Param, ...]
    body: Node


@dataclass(eq=False, slots=True)
class ModelDef(Node):
    name: str
    name_span: Span
    input_name: str                  # the first input's (every model has one)
    input_shape: Node
    body: Node                       # a layer expression or a GraphBody
    inputs: tuple[ModelInput, ...] = ()


@dataclass(eq=False, slots=True)
class Setting(Node):
    name: str
    name_span: Span
    value: Node


@dataclass(eq=False, slots=True)
class TrainDef(Node):
    model: str
    model_span: Span
    settings: tuple[Setting, ...]


@dataclass(eq=False, slots=True)
class ValueRange(Node):
    """`2..6`, `2..10 by 2`, `0.1..0.5`: the bounds inclusive."""
    low: Node
    high: Node
    step: Node | None


@dataclass(eq=False, slots=True)
class Choices(Node):
    """`{32, 64, 128}`: the values a parameter may take, in the order written."""
    items: tuple[Node, ...]


@dataclass(eq=False, slots=True)
class ParamDef(Node):
    """`param depth = 3` (a constant) or `param depth in 2..6` (a dimension of the search
    space): exactly one of `value` and `domain` is set."""
    name: str
    name_span: Span
    value: Node | None
    domain: ValueRange | Choices | None


@dataclass(eq=False, slots=True)
class ImportStmt(Node):
    path: str
    path_span: Span


@dataclass(eq=False, slots=True)
class Module:
    source: Source
    definitions: tuple[Node, ...]

    @property
    def models(self) -> list[ModelDef]:
        return [d for d in self.definitions if isinstance(d, ModelDef)]

    @property
    def blocks(self) -> list[BlockDef]:
        return [d for d in self.definitions if isinstance(d, BlockDef)]

    @property
    def imports(self) -> list[ImportStmt]:
        return [d for d in self.definitions if isinstance(d, ImportStmt)]

    @property
    def params(self) -> list[ParamDef]:
        return [d for d in self.definitions if isinstance(d, ParamDef)]

    @property
    def trains(self) -> list[TrainDef]:
        return [d for d in self.definitions if isinstance(d, TrainDef)]
