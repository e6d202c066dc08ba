"""draw/compare.py: two models side by side in one DOT graph, boxes coloured by their
stage's status (style.DIFF), names kept apart."""
from __future__ import annotations

import re

import archlang
from archlang.draw import digraph, style
from archlang.draw.compare import diff_digraph, marks

from .helpers import ROOT, clusters, edges, nodes

DIFF = ROOT / "tests" / "fixtures" / "diff"


def fills(source: str) -> dict[str, str]:
    """DOT node name → its fill colour."""
    return dict(re.findall(r"^\t+(\w+) \[.*?fillcolor=\"(#\w+)\"", source, re.M))


def by_colour(source: str, status: str) -> list[str]:
    return sorted(n for n, f in fills(source).items() if f == style.DIFF[status][0])


def test_each_model_in_its_frame_with_its_own_names():
    d = archlang.diff(DIFF / "small.arch", DIFF / "small_meanpool.arch")
    source = diff_digraph(d).source
    assert clusters(source) == ["cluster_a", "cluster_b"]
    names = nodes(source)
    # input, 6 layers, output on each side, each name once.
    assert len(names) == len(set(names)) == 16
    assert all(n.startswith(("a_", "b_")) for n in names)
    assert not any((x.startswith("a_")) != (y.startswith("a_")) for x, y in edges(source))
    assert by_colour(source, "removed") == ["a_n4"]          # MaxPool, A's 4th layer
    assert by_colour(source, "added") == ["b_n4"]            # MeanPool in its place
    assert by_colour(source, "changed") == []
    assert len(by_colour(source, "same")) == 2 * 5


def test_marks_cover_every_node_of_a_stage():
    d = archlang.diff(ROOT / "specs/famous/resnet18.arch", ROOT / "specs/famous/resnet34.arch")
    b = marks(d, "b")
    report = d.b.report
    assert set(b) == {i.node.id for i in report.layers}      # every layer, never the input
    # repeat(3, BasicBlock(64)) of ResNet-34: 3 × 6 layers, all amber.
    # repeat(3, BasicBlock(128)), repeat(5, BasicBlock(256)), repeat(2, BasicBlock(512)).
    assert sum(1 for v in b.values() if v == "changed") == 18 + 18 + 30 + 12


def test_open_blocks_colour_their_layers():
    d = archlang.diff(ROOT / "specs/famous/resnet18.arch", ROOT / "specs/famous/resnet34.arch")
    source = diff_digraph(d, depth=None).source
    # Every layer its own box: 60 and 108 layers, minus the activations merged into the layer
    # before them (as `archlang draw` draws each model).
    per_side = [len(nodes(digraph(side.report).source)) for side in (d.a, d.b)]
    assert len(nodes(source)) == sum(per_side)
    changed = by_colour(source, "changed")
    assert changed and all(n.startswith(("a_", "b_")) for n in changed)


def test_a_body_that_is_one_block_is_drawn_open():
    net = DIFF / "net_block.arch"
    d = archlang.diff(net, net, model=("net16", "net32"))
    source = diff_digraph(d).source
    assert len(by_colour(source, "changed")) == 2 * 4        # its four layers, on each side


def test_the_legend_names_every_mark():
    source = diff_digraph(archlang.diff(DIFF / "small.arch", DIFF / "small.arch")).source
    for fill, border, text in style.DIFF.values():
        assert f'bgcolor="{fill}"' in source and text in source
    assert "+0 params; 0 changed, 0 added, 0 removed" in source
