"""Architecture diagrams: a checked model → a graphviz.Digraph → DOT, SVG, PNG or PDF.

    view.py   which boxes, clusters and edges a drawing shows (folding, merged activations)
    style.py  colours per layer family and the HTML-like labels

`graphviz` (the Python package) is imported only when a drawing is made; rendering needs
Graphviz's `dot` program, writing DOT does not.
"""
from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

from . import style
from .view import Box, Cluster, View, build_view

FORMATS = ("svg", "png", "pdf", "dot")


class DotMissing(Exception):
    """Rendering needs Graphviz's `dot` program, and it is not on PATH."""


def digraph(report, *, rankdir: str = "TB", collapse: bool = False, depth: int | None = None,
            fold_repeats: bool = False, merge_activations: bool = True, edge_shapes: bool = True,
            legend: bool = True, failed=frozenset()):
    """The drawing of a checked model (a ModelReport) as a graphviz.Digraph.

    collapse: every top-level block and repeat is one box with subtotals (= depth 1).
    depth: fold blocks nested that deep, as `archlang check --depth`. fold_repeats: draw
    repeat(n, …) open as its first copy labelled `× n`. merge_activations: a standalone
    activation joins the box of the layer before it. edge_shapes: label an edge with its
    tensor's shape where the layer before it changed the shape. failed: node ids to mark.
    """
    import graphviz
    if collapse and depth is None:
        depth = 1
    view = build_view(report, depth=depth, fold_repeats=fold_repeats,
                      merge_activations=merge_activations, failed=frozenset(failed))
    dot = graphviz.Digraph(report.name, graph_attr={**style.GRAPH, "rankdir": rankdir},
                           node_attr=style.NODE, edge_attr=style.EDGE)
    emit_view(dot, view, edge_shapes=edge_shapes)
    title = f"<b>{style.escape(style.clip(view.title))}</b>   " \
        + style.small(f"{view.params:,} params", size=11)
    shown = {"error" if b.failed else b.family for b in view.boxes()}
    families = [f for f in style.FAMILIES if f in shown and f != "output"]
    # Set last, so that clusters do not inherit the graph's label.
    dot.attr(label=style.legend_table(title, families if legend else []), labelloc="t",
             labeljust="c")
    return dot


def emit_view(dot, view: View, *, edge_shapes: bool = True, marks=None) -> None:
    """Add a View's boxes, clusters and edges to `dot` (a Digraph or a subgraph of one).

    marks: graph node → a key of style.DIFF ("added", "removed", "changed", "same"); a box
    holding a marked node is coloured by its mark instead of its family (archlang diff's
    drawing, draw/compare.py)."""
    _emit(dot, view.root, 0, marks)
    fan_out = Counter(a.name for a, _, _ in view.edges)
    fan_in = Counter(b.name for _, b, _ in view.edges)
    labelled = set()
    for a, b, _ in view.edges:
        chain = fan_out[a.name] == 1 and fan_in[b.name] == 1
        # A fan-out carries one tensor: say its shape once.
        label = edge_shapes and a.shape is not None and a.shape != a.in_shape \
            and a.family != "input" and b.family != "output" and a.name not in labelled
        if label:
            labelled.add(a.name)
        # Heavier chain edges keep straight runs of layers straight; branches bend around.
        dot.edge(a.name, b.name, label=f" {a.shape} " if label else None,
                 weight="4" if chain else None)
    for a, b in view.ties:
        # One weight in two layers (`tie=`): a dashed line that does not rank the layout.
        dot.edge(a.name, b.name, label=" tied ", **style.TIE)


def _emit(dot, cluster: Cluster, level: int, marks=None) -> None:
    for item in cluster.items:
        if isinstance(item, Box):
            dot.node(item.name, **_box_attrs(item, marks))
            continue
        with dot.subgraph(name=item.name) as sub:
            sub.attr(label=style.html(f"<b>{style.escape(style.clip(item.label))}</b>   "
                                      + style.small(f"{item.params:,} params")),
                     style="rounded,filled", fillcolor=style.CLUSTER_FILLS[level % 2],
                     color=style.CLUSTER_BORDER, labeljust="l", labelloc="t", fontsize="11",
                     margin="10")
            _emit(sub, item, level + 1, marks)


def mark_of(box: Box, marks) -> str | None:
    """The mark a box is drawn with: the most telling of its nodes' marks (a box merges an
    activation into the layer before it, which may be another stage)."""
    found = {marks[i] for i in box.nodes if i in marks} if marks else set()
    return next((m for m in style.DIFF if m in found), None)


def _box_attrs(box: Box, marks=None) -> dict:
    mark = mark_of(box, marks)
    fill, border = style.DIFF[mark][:2] if mark else \
        style.colours("error" if box.failed else box.family)
    attrs = dict(fillcolor=fill, color=border)
    shape = str(box.shape) if box.shape is not None else "?"
    title = style.escape(style.clip(box.title))
    if box.family == "join":
        lines = [f'<font point-size="14"><b>{title}</b></font>']
        lines += [style.small(m) for m in style.runs(box.merged)]
        attrs.update(shape="circle" if box.title == "+" else "ellipse", margin="0.02",
                     width="0.35", tooltip=f"{style.clip(box.title)} → {shape}")
    elif box.family in ("input", "output"):
        lines = [f"<b>{title}</b>", style.small(shape)]
        attrs.update(penwidth="1.6")
    else:
        head = "<b>" + title + "</b>"
        if box.merged:
            head += " " + style.small("→ " + " → ".join(style.runs(box.merged)), "#343a40", 11)
        info = [shape]
        if box.params:
            info.append(f"{box.params:,} params")
        if box.layers:
            info.append(f"{box.layers} layers")
        lines = [head, style.small(" · ".join(info))]
        if box.family == "block":
            attrs.update(penwidth="1.8", peripheries="1")
    if box.failed:
        attrs.update(penwidth="2.5")
        lines.append(style.small("shape check failed here", "#c92a2a"))
    attrs["label"] = style.html(*lines)
    return attrs


def write(dot, path) -> Path:
    """Write a drawing; the format is the file's suffix (.svg .png .pdf, or .dot/.gv: the source).

    Raises DotMissing when a rendered format is asked for and `dot` is not installed.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt in ("dot", "gv"):
        path.write_text(dot.source, encoding="utf-8")
        return path
    if fmt not in FORMATS:
        raise ValueError(f"cannot write .{fmt}; name a .svg, .png, .pdf or .dot file")
    if fmt == "png":                      # sharp on high-density screens and slides
        dot = dot.copy()
        dot.attr(dpi=str(style.PNG_DPI))
    path.write_bytes(_pipe(dot, fmt))
    return path


def _pipe(dot, fmt: str) -> bytes:
    import graphviz
    if shutil.which("dot") is None:
        raise DotMissing(fmt)
    try:
        # quiet: dot warns on stderr when it scales a huge bitmap down to fit.
        return dot.pipe(format=fmt, quiet=True)
    except graphviz.ExecutableNotFound as err:
        raise DotMissing(fmt) from err


def svg(report, **options) -> str:
    """The SVG text of a model's drawing: what a report's `_repr_svg_` can return for Jupyter.

    Takes the same options as digraph(); raises DotMissing without Graphviz's `dot`.
    """
    return _pipe(digraph(report, **options), "svg").decode("utf-8")


__all__ = ["digraph", "svg", "write", "build_view", "View", "Box", "Cluster", "DotMissing",
           "FORMATS"]
