"""The DOT structure of drawings, against counts worked out by hand from the specs."""
from __future__ import annotations

import re

import pytest

import archlang
from archlang.draw import build_view

from .helpers import cluster_labels, clusters, edges, fan_in, joins, nodes, spec


@pytest.fixture(scope="module")
def resnet18():
    return archlang.check(spec("famous/resnet18.arch")).model()


@pytest.fixture(scope="module")
def googlenet():
    return archlang.check(spec("famous/googlenet.arch")).model()


def test_model2_is_a_chain_from_input_to_output():
    src = archlang.draw(spec("book/model2.arch")).source
    # input, Conv, MaxPool, Conv, MaxPool, flatten, Dense, output
    assert nodes(src) == ["input", "n1", "n2", "n3", "n4", "n5", "n6", "output"]
    assert edges(src) == [("input", "n1"), ("n1", "n2"), ("n2", "n3"), ("n3", "n4"),
                          ("n4", "n5"), ("n5", "n6"), ("n6", "output")]
    assert clusters(src) == [] and joins(src) == {}


def test_model2_labels_show_layer_shape_and_params():
    src = archlang.draw(spec("book/model2.arch")).source
    assert "<b>Conv((5, 5), 1 =&gt; 8, relu)</b>" in src
    assert "24×24×8 · 208 params" in src
    assert "model2(x: 28×28×1) → 10" in src and "5,386 params" in src


def test_edges_carry_the_shape_only_where_it_changes():
    src = archlang.draw(spec("book/model2.arch")).source
    assert 'n1 -> n2 [label=" 24×24×8 "' in src
    assert not re.search(r"input -> n1 \[label", src)          # the boxes say it
    assert not re.search(r"n6 -> output \[label", src)
    src = archlang.draw(spec("famous/resnet18.arch")).source
    assert not re.search(r"n5 -> n6 \[label", src)  # BatchNorm keeps 56×56×64


def test_resnet18_expanded(resnet18):
    src = archlang.draw(resnet18).source
    # 60 layers + input + output = 62; the 8 relus after the additions merge into them.
    assert len(nodes(src)) == 62 - 8
    # one edge per layer input (60 + 8 second inputs of joins) + output, less the 8 merged
    assert len(edges(src)) == 69 - 8
    assert list(joins(src).values()) == ["+"] * 8
    assert all(fan_in(src)[j] == 2 for j in joins(src))
    assert [c.split("_")[1] for c in clusters(src)] == ["repeat"] + ["block"] * 8
    assert cluster_labels(src) == [
        "repeat(2, BasicBlock(64))", "BasicBlock(64)", "BasicBlock(64)",
        "BasicBlockDown(64, 128, 2)", "BasicBlock(128)", "BasicBlockDown(128, 256, 2)",
        "BasicBlock(256)", "BasicBlockDown(256, 512, 2)", "BasicBlock(512)"]


def test_resnet18_without_merging_activations(resnet18):
    src = archlang.draw(resnet18, merge_activations=False).source
    assert len(nodes(src)) == 62 and len(edges(src)) == 69


def test_resnet18_collapsed_is_one_box_per_block(resnet18):
    src = archlang.draw(resnet18, collapse=True).source
    # input, stem (3), BasicBlock(64) × 2, 6 blocks, pool, flatten, Dense, output
    assert len(nodes(src)) == 15 and len(edges(src)) == 14
    assert clusters(src) == [] and joins(src) == {}
    assert "<b>BasicBlock(64) × 2</b>" in src
    assert "56×56×64 · 147,968 params · 12 layers" in src
    assert "<b>BasicBlockDown(64, 128, 2)</b>" in src and "230,144 params" in src


def test_depth_2_folds_the_blocks_inside_the_repeat(resnet18):
    src = archlang.draw(resnet18, depth=2).source
    assert len(nodes(src)) == 54 - 2 * 5 + 2
    assert cluster_labels(src)[0] == "repeat(2, BasicBlock(64))"
    assert len(clusters(src)) == 7       # the repeat and the 6 blocks after it


def test_fold_repeats_draws_one_copy_as_times_n(resnet18):
    src = archlang.draw(resnet18, fold_repeats=True).source
    assert len(nodes(src)) == 54 - 5
    assert cluster_labels(src)[0] == "BasicBlock(64) × 2"
    assert "147,968 params" in src                            # both copies' parameters
    # the first copy's output feeds the block after the repeat
    view = build_view(resnet18, fold_repeats=True)
    names = [b.name for b in view.boxes()]
    assert len(names) == len(set(names)) == 49


def test_googlenet_inceptions_are_clusters_with_four_way_cat(googlenet):
    src = archlang.draw(googlenet).source
    # 140 layers (stem 8, 9 Inceptions × 14, 2 pools, pool/flatten/dropout/dense) + in + out
    assert len(nodes(src)) == 142
    assert len(edges(src)) == 140 + 9 * 3 + 1
    assert list(joins(src).values()) == ["cat"] * 9
    assert all(fan_in(src)[j] == 4 for j in joins(src))
    assert cluster_labels(src)[0] == "Inception(64, 96, 128, 16, 32, 32)"
    assert len(clusters(src)) == 9


def test_a_fan_out_is_labelled_once(googlenet):
    src = archlang.draw(googlenet).source
    # n8, the max pool before inception 3a, feeds its four branches
    out = [line for line in src.splitlines() if line.startswith("\tn8 -> ")]
    assert len(out) == 4 and sum('label=" 28×28×192 "' in line for line in out) == 1


def test_googlenet_collapsed(googlenet):
    src = archlang.draw(googlenet, collapse=True).source
    assert len(nodes(src)) == 8 + 9 + 2 + 4 + 2
    assert src.count("· 14 layers") == 9


def test_rankdir_and_legend():
    src = archlang.draw(spec("book/model2.arch"), rankdir="LR").source
    assert "rankdir=LR" in src
    for family in ("convolution", "pooling", "dense", "reshape"):
        assert family in src
    assert "normalisation" not in src        # only families the drawing uses
    assert "convolution" not in archlang.draw(spec("book/model2.arch"), legend=False).source


def test_draw_takes_text_and_picks_a_model():
    text = "model a(x: 4) = Dense(4, 2)\nmodel b(x: 4) = Chain(Dense(4, 3), relu)\n"
    src = archlang.draw(text, model="b").source
    assert nodes(src) == ["input", "n1", "output"]       # relu merged into the Dense
    assert "→ relu" in src
    with pytest.raises(archlang.SpecError):
        archlang.draw(text, model="c")
    with pytest.raises(archlang.SpecError):
        archlang.draw("model a(x: 4) = Dense(5, 2)")


@pytest.mark.parametrize("name", ["book/model2.arch", "famous/resnet18.arch", "famous/resnet50.arch",
                                  "famous/googlenet.arch", "famous/mobilenet_v2.arch",
                                  "famous/vgg19.arch"])
@pytest.mark.parametrize("options", [{}, {"collapse": True}, {"depth": 2}, {"fold_repeats": True},
                                     {"merge_activations": False}])
def test_every_edge_joins_drawn_boxes(name, options):
    src = archlang.draw(spec(name), **options).source
    drawn = nodes(src)
    assert len(drawn) == len(set(drawn))
    assert {n for e in edges(src) for n in e} <= set(drawn)
    assert len(set(edges(src))) == len(edges(src))


INLINE = """model m(x: 16×16×3) = Chain(
    Conv((3, 3), 3 => 8, pad=1), relu,
    repeat(3, Chain(Conv((3, 3), 8 => 8, pad=1), BatchNorm(8), relu)),
    Parallel(cat, Conv((1, 1), 8 => 4), Chain(MaxPool((3, 3), stride=1, pad=1), Conv((1, 1), 8 => 4))),
    flatten, Dense(2048, 10), softmax)
"""


def test_an_inline_repeat_shows_its_copies_or_one_copy_times_n():
    src = archlang.draw(INLINE).source
    assert cluster_labels(src) == ["repeat(3, …)", "copy 1/3", "copy 2/3", "copy 3/3"]
    # input, Conv→relu, 3 × (Conv, BatchNorm→relu), 3 Parallel layers + cat, flatten, Dense→softmax, output
    assert len(nodes(src)) == 1 + 1 + 6 + 4 + 2 + 1
    folded = archlang.draw(INLINE, fold_repeats=True).source
    assert cluster_labels(folded) == ["× 3"] and len(nodes(folded)) == 15 - 4
    assert "<b>repeat(3, …)</b>" in archlang.draw(INLINE, collapse=True).source


def test_a_graph_body_draws_every_input_and_output():
    from conftest import FIXTURES
    report = archlang.check(FIXTURES / "graphs" / "two_heads.arch").model("two")
    view = build_view(report)
    ends = {(b.name, b.title, str(b.shape)) for b in view.boxes() if b.family in ("input", "output")}
    assert ends == {("input", "img", "32×32×3"), ("input1", "side", "10"),
                    ("output", "out", "2"), ("output2", "f", "8")}
    names = {(a.title, b.title) for a, b, _ in view.edges}
    assert ("side", "cat") in names and ("flatten", "f") in names and ("Dense(18 => 2)", "out") in names
    assert view.title == "two(img: 32×32×3, side: 10) → out: 2, f: 8"


def test_a_one_layer_statement_is_drawn_with_its_name():
    report = archlang.check(spec("zoo/vit_b_16.arch")).model()
    titles = {b.title for b in build_view(report, depth=1).boxes()}
    assert {"class_token = Parameter(1×768)", 'pos_embedding = Parameter(197×768; init="normal")',
            "x", "logits"} <= titles
