"""The layer graph: a DAG (networkx) of layer nodes, plus the tree of groups it was written as.

Nodes are numbered in creation order, which is a topological order. Each node keeps the span
of the call that made it and the block calls around it, so diagnostics, tables and drawings
can point into blocks.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from ..diagnostics import Diagnostic
from ..layers.base import Layer
from ..limits import MAX_NODES
from ..layers.shape import Shape
from ..layers.structural import Add, Concat, Input
from ..source import Span
from .terms import BlockCall, Broken, Leaf, Par, Repeat, Seq, Skip, Term


@dataclass(frozen=True)
class Scope:
    """A block call (or repeat copy) that encloses a node."""

    kind: str          # "block" | "repeat"
    label: str         # "BasicBlock(64)", "repeat 2/3"
    span: Span
    uid: int


@dataclass(eq=False)
class Node:
    id: int
    layer: Layer | None                  # None: a Broken term (already diagnosed)
    inputs: tuple[int, ...]
    span: Span
    spans: dict[str, Span] = field(default_factory=dict)
    scope: tuple[Scope, ...] = ()
    skip: bool = False                   # a SkipConnection's join: inputs (layer output, skip input)

    @property
    def family(self) -> str:
        return self.layer.family if self.layer is not None else "error"


@dataclass(eq=False)
class Group:
    """A piece of the spec as written: the model, a block call, a repeat, a skip, a branch."""

    kind: str          # model | chain | block | repeat | copy | skip | parallel | branch
    label: str
    span: Span
    children: list = field(default_factory=list)     # Group | node id
    output: int | None = None
    name: str = ""                                   # a block's name ("BasicBlock")
    args: tuple = ()                                 # a block's ((parameter, value), ...)

    def node_ids(self):
        for c in self.children:
            if isinstance(c, Group):
                yield from c.node_ids()
            else:
                yield c


@dataclass(eq=False)
class Graph:
    nodes: list[Node] = field(default_factory=list)
    dag: nx.DiGraph = field(default_factory=nx.DiGraph)

    def add(self, layer, inputs, span, spans=None, scope=()) -> int:
        node = Node(len(self.nodes), layer, tuple(inputs), span, spans or {}, scope)
        self.nodes.append(node)
        self.dag.add_node(node.id)
        for port, src in enumerate(node.inputs):
            self.dag.add_edge(src, node.id, port=port)
        return node.id

    def __getitem__(self, i: int) -> Node:
        return self.nodes[i]

    def __len__(self) -> int:
        return len(self.nodes)

    def successors(self, i: int) -> list[int]:
        return list(self.dag.successors(i))


@dataclass(eq=False)
class Model:
    name: str
    span: Span
    name_span: Span
    input_name: str
    input_shape: Shape | None
    input_span: Span
    graph: Graph
    tree: Group
    stages: list[int]            # output node of each top-level element of the body
    output: int


class TooManyNodes(Exception):
    """A model whose expansion exceeds MAX_NODES layer nodes; carries its diagnostic."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic

    @staticmethod
    def at(span: Span) -> Diagnostic:
        return Diagnostic("E0205", f"the model expands to more than {MAX_NODES:,} layers", span,
                          label="expanded past the limit here",
                          help=f"a model has at most {MAX_NODES:,} layers after its blocks and "
                               "repeats expand; is a count too large?")


class Builder:
    """Wire terms into a Graph; each walk of a term makes new nodes (separate weights)."""

    def __init__(self):
        self.graph = Graph()
        self.scope: tuple[Scope, ...] = ()
        self._uid = 0
        self._least: dict[int, int] = {}     # id(term) → least_nodes(term); the terms outlive it

    def add(self, layer, inputs, span, spans=None) -> int:
        """Add one node in the current scope."""
        self.room_for(1, span)
        return self.graph.add(layer, inputs, span, spans, self.scope)

    def room_for(self, n: int, span: Span) -> None:
        """The one place the node count is bounded: raise TooManyNodes unless `n` more nodes
        fit under MAX_NODES (at the outermost repeat being expanded, else at `span`)."""
        if len(self.graph.nodes) + n > MAX_NODES:
            outer = next((s.span for s in self.scope if s.kind == "repeat"), None)
            raise TooManyNodes(TooManyNodes.at(outer or span))

    def least_nodes(self, term: Term) -> int:
        """Nodes `term` adds at the least: a repeat counts once (it may be folded). Block
        bodies are shared terms, so this is linear in the distinct terms of the spec."""
        known = self._least.get(id(term))
        if known is not None:
            return known
        if isinstance(term, (Leaf, Broken)):
            n = 1
        elif isinstance(term, Seq):
            n = sum(self.least_nodes(t) for t in term.items)
        elif isinstance(term, BlockCall):
            n = self.least_nodes(term.body)
        elif isinstance(term, Repeat):
            n = self.least_nodes(term.body) if term.n else 0
        elif isinstance(term, Skip):
            n = self.least_nodes(term.inner) + 1
        elif isinstance(term, Par):
            n = sum(self.least_nodes(b) for b in term.branches) + 1
        else:
            n = 0
        self._least[id(term)] = n
        return n

    def _scoped(self, kind, label, span):
        self._uid += 1
        return self.scope + (Scope(kind, label, span, self._uid),)

    def build(self, term: Term, x: int, parent: Group) -> int:
        """Add the nodes of `term` applied to node `x` under `parent`; return the output node."""
        return getattr(self, "build_" + type(term).__name__.lower())(term, x, parent)

    def build_leaf(self, term: Leaf, x: int, parent: Group) -> int:
        out = self.add(term.layer, (x,), term.span, term.spans)
        parent.children.append(out)
        return out

    def build_broken(self, term: Broken, x: int, parent: Group) -> int:
        out = self.add(None, (x,), term.span, {})
        parent.children.append(out)
        return out

    def build_seq(self, term: Seq, x: int, parent: Group) -> int:
        # A chain adds nothing to show: its items join the parent group directly.
        for item in term.items:
            x = self.build(item, x, parent)
        return x

    def build_blockcall(self, term: BlockCall, x: int, parent: Group) -> int:
        # Blocks that call blocks twice, 40 levels deep: refused here at once, not after
        # building MAX_NODES nodes (seconds and hundreds of MB).
        self.room_for(self.least_nodes(term.body), term.span)
        group = Group("block", term.text, term.span, name=term.name, args=term.args)
        outer, self.scope = self.scope, self._scoped("block", term.text, term.span)
        try:
            group.output = self.build(term.body, x, group)
        finally:
            self.scope = outer
        parent.children.append(group)
        return group.output

    def build_repeat(self, term: Repeat, x: int, parent: Group) -> int:
        self.room_for(term.n * self.least_nodes(term.body), term.span)     # n unrolled copies
        what = term.body.text if isinstance(term.body, BlockCall) else "…"
        group = Group("repeat", f"repeat({term.n}, {what})", term.span)
        for i in range(term.n):
            copy = Group("copy", f"{i + 1}/{term.n}", term.span)
            outer, self.scope = self.scope, self._scoped("repeat", f"copy {i + 1}/{term.n}", term.span)
            try:
                x = copy.output = self.build(term.body, x, copy)
            finally:
                self.scope = outer
            group.children.append(copy)
        group.output = x
        parent.children.append(group)
        return x

    def build_skip(self, term: Skip, x: int, parent: Group) -> int:
        group = Group("skip", f"SkipConnection(…, {_op_text(term.op)})", term.span)
        inner = self.build(term.inner, x, group)
        # Flux calls the connection as connection(layer(x), x): the layer's output comes first.
        out = self._join(term.op, (inner, x), term.op_span, group, parent)
        self.graph[out].skip = True
        return out

    def build_par(self, term: Par, x: int, parent: Group) -> int:
        group = Group("parallel", f"Parallel({_op_text(term.op)}, …)", term.span)
        outs = []
        for i, branch in enumerate(term.branches):
            b = Group("branch", f"branch {i + 1}", branch.span)
            b.output = self.build(branch, x, b)
            outs.append(b.output)
            group.children.append(b)
        return self._join(term.op, outs, term.op_span, group, parent)

    def _join(self, op: str, inputs, span: Span, group: Group, parent: Group) -> int:
        out = self.add(Add() if op == "add" else Concat(), inputs, span, {})
        group.children.append(out)
        group.output = out
        parent.children.append(group)
        return out


def _op_text(op: str) -> str:
    return "+" if op == "add" else "cat"


def build_model(name, span, name_span, input_name, input_shape, input_span, body: Term | None) -> Model:
    b = Builder()
    tree = Group("model", name, span)
    x = b.graph.add(Input(input_shape, input_name) if input_shape is not None else None, (),
                    input_span)
    stages = []
    if body is not None:
        items = body.items if isinstance(body, Seq) else [body]
        for item in items:
            x = b.build(item, x, tree)
            stages.append(x)
    tree.output = x
    return Model(name, span, name_span, input_name, input_shape, input_span, b.graph, tree, stages, x)
