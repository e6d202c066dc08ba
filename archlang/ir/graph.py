"""The layer graph: a DAG of layer nodes (plain lists), plus the tree of groups it was written
as (its kinds and predicates: ir/groups.py).

Nodes are numbered in creation order, which is a topological order. Each node keeps the span
of the call that made it and the block calls around it, so diagnostics, tables and drawings
can point into blocks.
"""
from __future__ import annotations

from ..diagnostics import Diagnostic, release_reserve
from ..layers.base import Layer
from ..layers.shape import Shape
from ..layers.structural import JOIN_TEXT, JOINS, Input
from ..limits import MAX_NODES, MAX_PROGRAM_NODES, UNROLL_LIMIT
from ..records import dataclass, field
from ..source import Span
from .groups import Group, GroupKind
from .terms import Apply, BlockCall, Broken, GraphBody, Leaf, Par, Repeat, Seq, Skip, Term, ValueRef


@dataclass(frozen=True)
class Scope:
    """A block call (or repeat copy) that encloses a node."""

    kind: GroupKind    # BLOCK, or REPEAT (a copy of a repeat's body)
    label: str         # "BasicBlock(64)", "copy 2/3"
    span: Span
    uid: int

    @property
    def is_block(self) -> bool:
        return self.kind is GroupKind.BLOCK


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
    attr: str = ""                       # the compiled module's attribute, if `name=` gave one
    tie: tuple[int, str, Span] | None = None   # `tie=v`: the node whose weight it shares,
                                               # the value's name, where the tie is written

    @property
    def family(self) -> str:
        return self.layer.family if self.layer is not None else "error"


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
    """A model that is not built: its expansion exceeds MAX_NODES layer nodes, or with the
    models before it MAX_PROGRAM_NODES (the diagnostic says which), or it is large and its
    layers already have errors (diagnostic None: those stand)."""

    def __init__(self, diagnostic: Diagnostic | None):
        super().__init__(diagnostic.message if diagnostic else "not built")
        self.diagnostic = diagnostic

    @staticmethod
    def at(span: Span) -> Diagnostic:
        return Diagnostic("E0205", f"the model expands to more than {MAX_NODES:,} layers", span,
                          label="expanded past the limit here",
                          help=f"a model has at most {MAX_NODES:,} layers after its blocks and "
                               "repeats expand; is a count too large?")

    @staticmethod
    def in_file(span: Span, size: int | None, before: int) -> Diagnostic:
        """Past the file's bound: `before` layers (or terms) already built for earlier models."""
        return Diagnostic(
            "E0205", f"the models of this file expand to more than {MAX_PROGRAM_NODES:,} layers "
            "together", span, label=f"{size:,} more layers here" if size is not None else
            "past the file's limit here",
            notes=(f"the models before it use {before:,} of them",),
            help=f"one check builds at most {MAX_PROGRAM_NODES:,} layers (at most {MAX_NODES:,} "
                 "per model); check the largest models in files of their own")


class Builder:
    """Wire terms into a Graph; each walk of a term makes new nodes (separate weights)."""

    def __init__(self, before: int = 0):
        self.graph = Graph()
        self.scope: tuple[Scope, ...] = ()
        self._uid = 0
        self.before = before          # nodes the file's earlier models have (MAX_PROGRAM_NODES)

    def add(self, layer, inputs, span, spans=None) -> int:
        """Add one node in the current scope. (Models are sized before they are built, so
        this bound is a safety net: see `_refuse_oversized`.)"""
        self.room_for(1, span)
        return self.graph.add(layer, inputs, span, spans, self.scope)

    def room_for(self, n: int, span: Span) -> None:
        """The one place the node count is bounded: raise TooManyNodes unless `n` more nodes
        fit under MAX_NODES, and with the file's earlier models under MAX_PROGRAM_NODES (at
        the outermost repeat being expanded, else at `span`)."""
        count = len(self.graph.nodes) + n
        if count > MAX_NODES or self.before + count > MAX_PROGRAM_NODES:
            outer = next((s.span for s in self.scope if s.kind is GroupKind.REPEAT), None)
            raise TooManyNodes(TooManyNodes.at(outer or span) if count > MAX_NODES else
                               TooManyNodes.in_file(outer or span, None, self.before))

    def _scoped(self, kind, label, span):
        self._uid += 1
        return self.scope + (Scope(kind, label, span, self._uid),)

    def build(self, term: Term, x: int, parent: Group) -> int:
        """Add the nodes of `term` applied to node `x` under `parent`; return the output node."""
        try:
            return getattr(self, "build_" + type(term).__name__.lower())(term, x, parent)
        except MemoryError:
            release_reserve()         # room to unwind the recursion (diagnostics.memory_reserve)
            raise

    def build_leaf(self, term: Leaf, x: int, parent: Group) -> int:
        out = self.add(term.layer, (x,), term.span, term.spans)
        self.graph[out].attr = term.attr
        parent.children.append(out)
        return out

    def build_broken(self, term: Broken, x: int, parent: Group) -> int:
        out = self.add(None, (x,), term.span, {})
        parent.children.append(out)
        return out

    def build_seq(self, term: Seq, x: int, parent: Group) -> int:
        # A chain adds nothing to show: its items join the parent group directly, unless it
        # is named (one nn.Sequential of its layers, as torchvision's `downsample`).
        if term.attr:
            group = Group(GroupKind.CHAIN, f'Chain(…; name="{term.attr}")', term.span,
                          attr=term.attr)
            parent.children.append(group)
            parent = group
        elif parent.kind is GroupKind.CHAIN:
            # A Chain inside a named one is an nn.Sequential inside its nn.Sequential
            # (torchvision's `features.0.0.weight`): it keeps its place, unnamed.
            group = Group(GroupKind.CHAIN, "Chain(…)", term.span)
            parent.children.append(group)
            parent = group
        for item in term.items:
            x = self.build(item, x, parent)
        if term.attr:
            group.output = x
        return x

    def build_blockcall(self, term: BlockCall, x: int, parent: Group) -> int:
        group = Group(GroupKind.BLOCK, term.text, term.span, name=term.name, args=term.args,
                      attr=term.attr)
        outer, self.scope = self.scope, self._scoped(GroupKind.BLOCK, term.text, term.span)
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
        group = Group(GroupKind.REPEAT, f"repeat({term.n}, {what})", term.span, attr=term.attr)
        first_node = len(self.graph)
        x0 = x
        for i in range(term.n):
            copy = Group(GroupKind.COPY, f"{i + 1}/{term.n}", term.span)
            outer, self.scope = self.scope, self._scoped(GroupKind.REPEAT, f"copy {i + 1}/{term.n}", term.span)
            try:
                x = copy.output = self.build(term.body, x, copy)
            finally:
                self.scope = outer
            group.children.append(copy)
            if i == 0 and term.n > 1 and term.n * (len(self.graph) - first_node) > UNROLL_LIMIT:
                # Folded: this copy stands for every copy. A body that is not one block call
                # is named so that the compiled module can make a class of it.
                copy.label = f"1–{term.n:,}"
                if copy.sole_block is None:
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
        group = Group(GroupKind.SKIP, f"SkipConnection(…, {_op_text(term.op)})", term.span)
        inner = self.build(term.inner, x, group)
        # Flux calls the connection as connection(layer(x), x): the layer's output comes first.
        out = self._join(term.op, (inner, x), term.op_span, group, parent)
        self.graph[out].skip = True
        return out

    def build_par(self, term: Par, x: int, parent: Group) -> int:
        group = Group(GroupKind.PARALLEL, f"Parallel({_op_text(term.op)}, …)", term.span)
        outs = []
        for i, branch in enumerate(term.branches):
            b = Group(GroupKind.BRANCH, f"branch {i + 1}", branch.span)
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
            group = Group(GroupKind.VALUE, st.name, st.span, name=st.name)      # a name the user wrote
            env[st.name] = group.output = self.value(st.value, env, group)
            tree.children.append(group)
        outputs = []
        for name, value in body.outputs:
            if isinstance(value, ValueRef):
                outputs.append((name, env[value.name]))
                continue
            group = Group(GroupKind.VALUE, name, value.span)
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
            out = self.build(v.layer, xs[0], parent)
            if v.tie is not None:
                self.graph[out].tie = (env[v.tie.name], v.tie.name, v.tie.span)
            return out
        # A join, a layer of several inputs (attention's q, kv), a Parameter (none), or a
        # Broken layer: one node over every input.
        layer = v.layer.layer if isinstance(v.layer, Leaf) else None
        spans = v.layer.spans if isinstance(v.layer, Leaf) else {}
        out = self.add(layer, xs, v.layer.span, spans)
        if isinstance(v.layer, Leaf):
            self.graph[out].attr = v.layer.attr
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


def _refuse_oversized(body: Term, name_span: Span, before: int) -> None:
    """TooManyNodes before building a body that expands past MAX_NODES (seconds of building
    spared), at the smallest part of the model as written that does: a block call is not
    entered, so the span stays where the user called it. A body within MAX_NODES that would
    take the file past MAX_PROGRAM_NODES, after the `before` nodes of its earlier models, is
    refused at the model's name: sixteen models of 131,072 layers each took 4.4 GB."""
    memo: dict[int, int] = {}
    size = expanded_size(body, memo)
    if size > UNROLL_LIMIT and _has_broken(body, set()):
        # Its layers already have errors: checking shapes past a broken layer finds nothing
        # (its output is unknown), and the same block error repeats in every copy. Building
        # 100,000 such nodes would cost seconds and hundreds of MB for no new diagnostic.
        raise TooManyNodes(None)
    if size <= MAX_NODES:
        if before + size > MAX_PROGRAM_NODES:
            raise TooManyNodes(TooManyNodes.in_file(name_span, size, before))
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


def build_graph_model(name, span, name_span, inputs, body: GraphBody, before: int = 0) -> Model:
    """A model written as a graph body; `inputs` are (name, Shape or None, span). `before`:
    the nodes of the file's models built before it (bounded together by MAX_PROGRAM_NODES)."""
    _refuse_oversized(body, name_span, before)
    b = GraphBuilder(before)
    tree = Group(GroupKind.MODEL, name, span)
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


def build_model(name, span, name_span, input_name, input_shape, input_span, body: Term | None,
                before: int = 0) -> Model:
    """A model of one input written as a layer term; `before` as for build_graph_model."""
    if body is not None:
        _refuse_oversized(body, name_span, before)
    b = Builder(before)
    tree = Group(GroupKind.MODEL, name, span)
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
