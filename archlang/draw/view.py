"""What a drawing shows, as plain data: boxes in nested clusters, and the edges between them.

A checked model's graph nodes are mapped onto boxes: one per layer, one per folded block or
repeat, and a layer's activation merged into it. Blocks the drawing keeps open become
clusters. Nothing here knows about Graphviz; `archlang.draw` turns a View into DOT.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count

from ..check import ModelReport
from ..ir.groups import Group
from ..layers.shape import Shape


@dataclass(eq=False)
class Box:
    """One node of the drawing: a layer, a folded group, the input or the output."""

    name: str                      # DOT node name: input, n12, g3, output
    title: str                     # the layer (or block call) as written
    family: str                    # a layer family, or block | output | error
    shape: Shape | None            # the tensor it gives
    in_shape: Shape | None         # the tensor it takes (its first input)
    params: int | None             # None: not shown (input, output)
    nodes: list[int] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)   # activations merged in: ["relu"]
    layers: int = 0                # a folded group: how many layers it holds
    failed: bool = False           # the check reported a problem here


@dataclass(eq=False)
class Cluster:
    """A block (or repeat) drawn open: a labelled frame around its boxes."""

    name: str                      # cluster_block_3 (DOT needs the cluster_ prefix)
    label: str                     # BasicBlock(64)
    params: int
    items: list = field(default_factory=list)         # Box | Cluster, in spec order


@dataclass
class View:
    title: str                     # resnet18(x: 224×224×3) → 1000
    params: int
    root: Cluster
    edges: list[tuple[Box, Box, bool]]   # (from, to, main: the first input of `to`)
    ties: list[tuple[Box, Box]] = field(default_factory=list)   # (owner, tied): one weight (`tie=`)

    def boxes(self, cluster: Cluster | None = None):
        for item in (cluster or self.root).items:
            if isinstance(item, Cluster):
                yield from self.boxes(item)
            else:
                yield item

    def clusters(self, cluster: Cluster | None = None):
        for item in (cluster or self.root).items:
            if isinstance(item, Cluster):
                yield item
                yield from self.clusters(item)


def folded_title(group: Group) -> str:
    """`BasicBlock(64)`, or `BasicBlock(64) × 2` for repeat(2, BasicBlock(64))."""
    if not group.is_repeat:
        return group.label
    block = group.children[0].sole_block
    return f"{block.label} × {group.copies:,}" if block else group.label


def build_view(report: ModelReport, *, depth: int | None = None, fold_repeats: bool = False,
               merge_activations: bool = True, failed: frozenset[int] = frozenset()) -> View:
    """Boxes, clusters and edges for a checked model.

    depth: blocks and repeats nested `depth` levels deep (or deeper) become one box each, as
    in `archlang check --depth` (1: every top-level block is a box). fold_repeats: an open
    repeat shows its first copy, labelled `× n`. failed: node ids to highlight.
    """
    infos, model = report.infos, report.model
    owner: dict[int, Box | None] = {}          # graph node → the box that shows it (None: hidden)
    parent: dict[Box, Cluster] = {}
    same_as: dict[int, int] = {}               # a folded repeat's output → its first copy's
    uid = count(1)

    def in_shape(node_id):
        ins = infos[node_id].inputs
        return ins[0] if ins else None

    def add(box: Box, cluster: Cluster):
        cluster.items.append(box)
        parent[box] = cluster
        for i in box.nodes:
            owner[i] = box

    # A graph body's one-layer statement shows its name: `class_token = Parameter(1×768)`.
    named = model.tree.named_layers()

    def layer_box(i: int) -> Box:
        info = infos[i]
        if i in model.inputs:
            name = "input" if i == 0 else f"input{i}"
            return Box(name, info.layer.name, "input", info.out, None, None, [i])
        family = info.node.family if info.layer is not None else "error"
        title = str(info.layer) if info.layer is not None else "(does not parse)"
        if i in named:
            title = f"{named[i]} = {title}"
        return Box(f"n{i}", title, family, info.out, in_shape(i), info.params, [i],
                   failed=i in failed or info.layer is None)

    def group_box(group: Group) -> Box:
        ids = list(group.node_ids())
        return Box(f"g{next(uid)}", folded_title(group), "block", infos[group.output].out,
                   in_shape(ids[0]), report.group_params(group), ids,
                   layers=sum(infos[i].times for i in ids),
                   failed=any(i in failed for i in ids))

    def cluster(kind: str, label: str, group: Group) -> Cluster:
        return Cluster(f"cluster_{kind}_{next(uid)}", label, report.group_params(group))

    def walk(children, into: Cluster, level: int):
        for child in children:
            if not isinstance(child, Group):
                add(layer_box(child), into)
            elif (child.is_block or child.is_repeat) and depth is not None and level >= depth - 1:
                add(group_box(child), into)
            elif child.is_block:
                c = cluster("block", child.label, child)
                walk(child.children, c, level + 1)
                into.items.append(c)
            elif child.is_repeat and (fold_repeats or child.folded):
                # A folded repeat has one copy: it is always drawn this way.
                first, rest = child.children[0], child.children[1:]
                block = first.sole_block
                c = cluster("repeat", folded_title(child) if block else f"× {child.copies:,}",
                            child)
                walk((block or first).children, c, level + 1)
                into.items.append(c)
                for copy in rest:                  # hidden; their output is the first copy's
                    for i in copy.node_ids():
                        owner[i] = None
                same_as[child.output] = first.output
            elif child.is_repeat:
                c = cluster("repeat", child.label, child)
                walk(child.children, c, level + 1)
                into.items.append(c)
            elif child.is_copy and not child.sole_block:
                c = cluster("copy", f"copy {child.label}", child)
                walk(child.children, c, level)
                into.items.append(c)
            else:                                  # skip, parallel, branch: drawn by their edges
                walk(child.children, into, level)

    root = Cluster("", model.name, report.params)
    for i in model.inputs:
        add(layer_box(i), root)
    walk(model.tree.children, root, 0)

    if merge_activations:
        _merge_activations(report, owner, parent)

    outputs = []
    for k, (name, node) in enumerate(model.outputs):
        shape = infos[node].out
        title = "output" if not model.graph_body else name
        outputs.append((Box("output" if k == 0 else f"output{k + 1}", title, "output", shape, shape,
                            None), node))
        root.items.append(outputs[-1][0])

    edges: list[tuple[Box, Box, bool]] = []
    seen = set()
    for node in model.graph.nodes:
        for port, u in enumerate(node.inputs):
            a, b = owner.get(same_as.get(u, u)), owner.get(node.id)
            if a is not None and b is not None and a is not b and (a.name, b.name) not in seen:
                seen.add((a.name, b.name))
                edges.append((a, b, port == 0))
    for output, node in outputs:
        last = owner.get(same_as.get(node, node))
        if last is not None:
            edges.append((last, output, True))

    ties = [(owner.get(node.tie[0]), owner.get(node.id)) for node in model.graph.nodes
            if node.tie is not None]
    return View(report.title(), report.params, root, edges,
                [(a, b) for a, b in ties if a is not None and b is not None and a is not b])


def _merge_activations(report: ModelReport, owner: dict, parent: dict) -> None:
    """Fold a standalone activation (`relu` after `+`) into the box of the layer it follows.

    Only when that layer feeds nothing else and both sit in the same block, so the merged
    box still says exactly what the graph computes.
    """
    model = report.model
    for node in model.graph.nodes:
        box = owner.get(node.id)
        if node.family != "activation" or box is None or box.name != f"n{node.id}" \
                or len(node.inputs) != 1:
            continue
        src = node.inputs[0]
        into = owner.get(src)
        if into is None or not into.name.startswith("n") or into.nodes[-1] != src \
                or len(model.graph.successors(src)) != 1 or model.graph[src].scope != node.scope:
            continue
        into.merged.append(box.title)
        into.shape = box.shape
        into.nodes.append(node.id)
        into.failed = into.failed or box.failed
        owner[node.id] = into
        parent[box].items.remove(box)
