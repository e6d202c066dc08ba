"""The layer graph: a DAG of layer nodes (plain lists), plus the tree of groups it was written as.

Nodes are numbered in creation order, which is a topological order. Each node keeps the span
of the call that made it and the block calls around it, so diagnostics, tables and drawings
can point into blocks.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..diagnostics import Diagnostic
from ..layers.base import Layer
from ..layers.shape import Shape
from ..layers.structural import JOIN_TEXT, JOINS, Input
from ..limits import MAX_NODES, UNROLL_LIMIT
from ..source import Span
from .terms import Apply, BlockCall, Broken, GraphBody, Leaf, Par, Repeat, Seq, Skip, Term, ValueRef


@dataclass(frozen=True)
class Scope:
    """A block call (or repeat copy) that encloses a node."""

    kind: str          # "block" | "repeat"
    label: str         # "BasicBlock(64)", "repeat 2/3"
    span: Span
    uid: int


@dataclass(eq=False, slots=True)
class Node:
    id: int
    layer: Layer | None                  # None: a Broken term (already diagnosed)
    inputs: tuple[int, ...]
    span: Span
    spans: dict[str, Span] = field(default_factory=dict)
    scope: tuple[Scope, ...] = ()
    skip: bool = False                   # a SkipConnection's join: inputs (layer output, skip input)
    times: int = 1                       # copies it stands for: the product of the counts of the
                                         # folded repeats around it (1: an ordinary node)

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
    times: int = 1                                   # a folded repeat: its count (one copy built)

    def node_ids(self):
        """Every node id under the group, in spec order. One loop with a stack: a generator
        per level would pass each id up through every level of nesting (nodes × depth)."""
        stack = [iter(self.children)]
        while stack:
            for c in stack[-1]:
                if isinstance(c, Group):
                    stack.append(iter(c.children))
                    break
                yield c
            else:
                stack.pop()


@dataclass(frozen=True)
class Fold:
    """A folded repeat: one copy of its body stands for `times` copies (docs/language.md).

    Checking must find the body's output shape equal to its input's (node `input`), so that
    every copy sees the same shapes and the counts of one copy can be multiplied."""

    group: Group
    input: int
    times: int
    span: Span


@dataclass(eq=False)
class Graph:
    """Edges are each node's `inputs` (predecessors, in port order) and, kept beside them,
    each node's successors. Plain lists, not networkx: importing networkx alone took longer
    than checking ResNet-152 (docs/performance.md)."""

    nodes: list[Node] = field(default_factory=list)
    folds: dict[int, list[Fold]] = field(default_factory=dict)    # output node → folds ending there
    _successors: list[list[int]] = field(default_factory=list, repr=False)

    def add(self, layer, inputs, span, spans=None, scope=()) -> int:
        node = Node(len(self.nodes), layer, tuple(inputs), span, spans or {}, scope)
        self.nodes.append(node)
        self._successors.append([])
        for src in node.inputs:
            succ = self._successors[src]
            if not succ or succ[-1] != node.id:      # x + x: one edge, as in a DiGraph
                succ.append(node.id)
        return node.id

    def __getitem__(self, i: int) -> Node:
        return self.nodes[i]

    def __len__(self) -> int:
        return len(self.nodes)

    def successors(self, i: int) -> list[int]:
        """The nodes that take node i as an input, in creation order, each once."""
        return list(self._successors[i])

    @property
    def dag(self):
        """The graph as a networkx.DiGraph (edge attribute `port`), built on demand for
        graph algorithms; checking never needs it."""
        import networkx as nx
        dag = nx.DiGraph()
        dag.add_nodes_from(range(len(self.nodes)))
        for node in self.nodes:
            for port, src in enumerate(node.inputs):
                dag.add_edge(src, node.id, port=port)
        return dag


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
    output: int                  # the first output's node
    inputs: list[int] = field(default_factory=lambda: [0])      # Input nodes, in header order
    outputs: list[tuple[str, int]] = field(default_factory=list)  # (name, node), return order
    graph_body: bool = False     # written as `{ ... return ... }`

    def __post_init__(self):
        if not self.outputs:
            self.outputs = [("out", self.output)]


class TooManyNodes(Exception):
    """A model that is not built: its expansion exceeds MAX_NODES layer nodes (the diagnostic
    says so), or it is large and its layers already have errors (diagnostic None: those stand)."""

    def __init__(self, diagnostic: Diagnostic | None):
        super().__init__(diagnostic.message if diagnostic else "not built")
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

    def add(self, layer, inputs, span, spans=None) -> int:
        """Add one node in the current scope. (Models are sized before they are built, so
        this bound is a safety net: see `_refuse_oversized`.)"""
        self.room_for(1, span)
        return self.graph.add(layer, inputs, span, spans, self.scope)

    def room_for(self, n: int, span: Span) -> None:
        """The one place the node count is bounded: raise TooManyNodes unless `n` more nodes
        fit under MAX_NODES (at the outermost repeat being expanded, else at `span`)."""
        if len(self.graph.nodes) + n > MAX_NODES:
            outer = next((s.span for s in self.scope if s.kind == "repeat"), None)
            raise TooManyNodes(TooManyNodes.at(outer or span))

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
        group = Group("block", term.text, term.span, name=term.name, args=term.args)
        outer, self.scope = self.scope, self._scoped("block", term.text, term.span)
        try:
            group.output = self.build(term.body, x, group)
        finally:
            self.scope = outer
        parent.children.append(group)
        return group.output

    def build_repeat(self, term: Repeat, x: int, parent: Group) -> int:
        """Unroll `repeat(n, body)`, or fold it when the copies would exceed UNROLL_LIMIT layers:
        then one copy is built and stands for all n (its nodes' `times` are multiplied)."""
        if isinstance(term.body, BlockCall):
            what = term.body.text
        elif isinstance(term.body, Leaf):
            what = str(term.body.layer)
        elif isinstance(term.body, Repeat):
            what = f"repeat({term.body.n}, …)"
        else:
            what = "…"
        group = Group("repeat", f"repeat({term.n}, {what})", term.span)
        first_node = len(self.graph)
        x0 = x
        for i in range(term.n):
            copy = Group("copy", f"{i + 1}/{term.n}", term.span)
            outer, self.scope = self.scope, self._scoped("repeat", f"copy {i + 1}/{term.n}", term.span)
            try:
                x = copy.output = self.build(term.body, x, copy)
            finally:
                self.scope = outer
            group.children.append(copy)
            if i == 0 and term.n > 1 and term.n * (len(self.graph) - first_node) > UNROLL_LIMIT:
                # Folded: this copy stands for every copy. A body that is not one block call
                # is named so that the compiled module can make a class of it.
                copy.label = f"1–{term.n:,}"
                if not (len(copy.children) == 1 and isinstance(copy.children[0], Group)
                        and copy.children[0].kind == "block"):
                    copy.name = "Repeated"
                group.times = term.n
                for node in self.graph.nodes[first_node:]:
                    node.times *= term.n
                self.graph.folds.setdefault(x, []).append(Fold(group, x0, term.n, term.span))
                break
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
        out = self.add(JOINS[op](), inputs, span, {})
        group.children.append(out)
        group.output = out
        parent.children.append(group)
        return out


class GraphBuilder(Builder):
    """Wire a graph body: each statement's value under a `value` group named after it."""

    def statements(self, body: GraphBody, env: dict[str, int], tree: Group) -> list[tuple[str, int]]:
        for st in body.statements:
            group = Group("value", st.name, st.span, name=st.name)      # a name the user wrote
            env[st.name] = group.output = self.value(st.value, env, group)
            tree.children.append(group)
        outputs = []
        for name, value in body.outputs:
            if isinstance(value, ValueRef):
                outputs.append((name, env[value.name]))
                continue
            group = Group("value", name, value.span)
            group.output = self.value(value, env, group)
            tree.children.append(group)
            outputs.append((name, group.output))
        return outputs

    def value(self, v: Term, env: dict[str, int], parent: Group) -> int:
        """The node that computes value `v` (new nodes go under `parent`)."""
        if isinstance(v, ValueRef):
            return env[v.name]
        if isinstance(v, Broken):
            out = self.add(None, (), v.span, {})
            parent.children.append(out)
            return out
        assert isinstance(v, Apply), v
        xs = [self.value(a, env, parent) for a in v.args]
        several = isinstance(v.layer, Leaf) and v.layer.layer.arity != 1
        if len(xs) == 1 and not several:
            return self.build(v.layer, xs[0], parent)
        # A join, a layer of several inputs (attention's q, kv), a Parameter (none), or a
        # Broken layer: one node over every input.
        layer = v.layer.layer if isinstance(v.layer, Leaf) else None
        spans = v.layer.spans if isinstance(v.layer, Leaf) else {}
        out = self.add(layer, xs, v.layer.span, spans)
        parent.children.append(out)
        return out


def expanded_size(term: Term, memo: dict[int, int]) -> int:
    """The nodes `term` adds when built, without building it: a folded repeat counts its one
    copy. Memoised by identity, since a block body called with the same arguments is one
    term: blocks that call blocks twice, 40 levels deep, are sized in 40 steps."""
    key = id(term)
    if key in memo:
        return memo[key]
    if isinstance(term, (Leaf, Broken)):
        size = 1
    elif isinstance(term, Seq):
        size = sum(expanded_size(t, memo) for t in term.items)
    elif isinstance(term, Skip):
        size = expanded_size(term.inner, memo) + 1
    elif isinstance(term, Par):
        size = sum(expanded_size(t, memo) for t in term.branches) + 1
    elif isinstance(term, BlockCall):
        size = expanded_size(term.body, memo)
    elif isinstance(term, Repeat):
        one = expanded_size(term.body, memo)
        size = one if term.n > 1 and term.n * one > UNROLL_LIMIT else term.n * one   # build_repeat
    elif isinstance(term, Apply):
        size = expanded_size(term.layer, memo) + sum(expanded_size(a, memo) for a in term.args)
    elif isinstance(term, GraphBody):
        size = sum(expanded_size(s.value, memo) for s in term.statements) + \
            sum(expanded_size(v, memo) for _, v in term.outputs)
    else:                                   # ValueRef: an existing node
        size = 0
    memo[key] = size
    return size


def _has_broken(term: Term, seen: set[int]) -> bool:
    """Whether a term holds a layer that failed to evaluate (visiting each shared term once)."""
    stack = [term]
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if isinstance(t, Broken):
            return True
        stack.extend({Seq: lambda t: t.items, Skip: lambda t: [t.inner], Par: lambda t: t.branches,
                      BlockCall: lambda t: [t.body], Repeat: lambda t: [t.body],
                      GraphBody: lambda t: [st.value for st in t.statements] + [v for _, v in t.outputs],
                      Apply: lambda t: [t.layer, *t.args]}.get(type(t), lambda t: [])(t))
    return False


def _refuse_oversized(body: Term) -> None:
    """TooManyNodes before building a body that expands past MAX_NODES (seconds of building
    spared), at the smallest part of the model as written that does: a block call is not
    entered, so the span stays where the user called it."""
    memo: dict[int, int] = {}
    size = expanded_size(body, memo)
    if size > UNROLL_LIMIT and _has_broken(body, set()):
        # Its layers already have errors: checking shapes past a broken layer finds nothing
        # (its output is unknown), and the same block error repeats in every copy. Building
        # 100,000 such nodes would cost seconds and hundreds of MB for no new diagnostic.
        raise TooManyNodes(None)
    if size <= MAX_NODES:
        return
    term = body
    while True:
        parts = {Seq: lambda t: t.items, Skip: lambda t: [t.inner], Par: lambda t: t.branches,
                 Repeat: lambda t: [t.body],
                 GraphBody: lambda t: [s.value for s in t.statements] + [v for _, v in t.outputs],
                 Apply: lambda t: [t.layer, *t.args]}.get(type(term), lambda t: [])(term)
        big = next((p for p in parts if expanded_size(p, memo) > MAX_NODES), None)
        if big is None:
            break
        term = big
    raise TooManyNodes(TooManyNodes.at(term.span).with_note(
        f"it expands to {expanded_size(term, memo):,} layers"))


def build_graph_model(name, span, name_span, inputs, body: GraphBody) -> Model:
    """A model written as a graph body; `inputs` are (name, Shape or None, span)."""
    _refuse_oversized(body)
    b = GraphBuilder()
    tree = Group("model", name, span)
    env = {}
    ids = []
    for input_name, shape, input_span in inputs:
        env[input_name] = b.graph.add(Input(shape, input_name) if shape is not None else None, (),
                                      input_span)
        ids.append(env[input_name])
    outputs = b.statements(body, env, tree)
    stages = [g.output for g in tree.children]
    first_name, first_shape, first_span = inputs[0]
    tree.output = outputs[0][1]
    return Model(name, span, name_span, first_name, first_shape, first_span, b.graph, tree, stages,
                 outputs[0][1], ids, outputs, graph_body=True)


def _op_text(op: str) -> str:
    return JOIN_TEXT[op]


def build_model(name, span, name_span, input_name, input_shape, input_span, body: Term | None) -> Model:
    if body is not None:
        _refuse_oversized(body)
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
