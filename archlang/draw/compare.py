"""`archlang diff`'s drawing: model A and model B side by side, every stage coloured by what
became of it (style.DIFF): removed red, added green, changed amber, the same grey.

Each model is drawn as `archlang draw` draws it (view.py, emit_view), inside a frame of its
own; only the colours of its boxes come from the comparison (archlang/analysis/diff.py).
"""
from __future__ import annotations

from ..analysis.diff import top_level
from . import emit_view, style
from .view import View, build_view


def marks(diff, side: str) -> dict[int, str]:
    """Graph node of model `side` ("a" or "b") → the status of the stage that holds it."""
    out = {}
    for row in diff.rows:
        stage = getattr(row, side)
        if stage is not None:
            out.update(dict.fromkeys(stage.nodes, row.status))
    return out


def _prefixed(view: View, prefix: str) -> View:
    """Both models' boxes share one DOT graph: their names must not collide."""
    for box in view.boxes():
        box.name = f"{prefix}_{box.name}"
    for cluster in view.clusters():
        cluster.name = f"cluster_{prefix}_{cluster.name.removeprefix('cluster_')}"
    return view


def diff_digraph(diff, *, rankdir: str = "TB", depth: int | None = 1, edge_shapes: bool = True,
                 legend: bool = True):
    """The two models of a Diff side by side as one graphviz.Digraph, differences coloured.

    depth: as `archlang draw --depth` (default 1: every stage that is a block or a repeat is
    one box, so a box is a row of the diff's table); None draws every layer."""
    import graphviz
    dot = graphviz.Digraph("diff", graph_attr={**style.GRAPH, "rankdir": rankdir},
                           node_attr=style.NODE, edge_attr=style.EDGE)
    for letter, side in (("a", diff.a), ("b", diff.b)):
        # A body that is one block call is opened into its stages (analysis/diff.top_level):
        # so is its drawing, one level deeper.
        opened = top_level(side.report.model.tree)[1]
        view = _prefixed(build_view(side.report, depth=depth and depth + opened), letter)
        with dot.subgraph(name=f"cluster_{letter}") as sub:
            sub.attr(label=style.html(f"<b>{letter.upper()}   {style.escape(style.clip(view.title))}</b>",
                                      style.small(f"{view.params:,} params")),
                     style="rounded", color=style.CLUSTER_BORDER, labeljust="l", labelloc="t",
                     fontsize="12", margin="12")
            emit_view(sub, view, edge_shapes=edge_shapes, marks=marks(diff, letter))
    counts = diff.counts()
    title = (f"<b>{style.escape(style.clip(f'{diff.a.name} → {diff.b.name}'))}</b>   "
             + style.small(f"{diff.delta('params'):+,} params; {counts['changed']} changed, "
                           f"{counts['added']} added, {counts['removed']} removed", size=11))
    # Set last, so that the frames do not inherit the graph's label.
    dot.attr(label=style.legend_table(title, list(style.DIFF) if legend else [], style.DIFF),
             labelloc="t", labeljust="c")
    return dot


__all__ = ["diff_digraph", "marks"]
