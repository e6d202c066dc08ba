"""Folded repeats: a repeat too large to unroll is checked once and its counts multiplied."""
from __future__ import annotations

import pytest

import archlang
from archlang.limits import UNROLL_LIMIT
from conftest import errors_of, model_of
from counting import call_counts


def test_a_billion_dense_layers_check_with_the_work_of_one():
    m = model_of("model m(x: 8) = Chain(repeat(10^9, Dense(8, 8)))")
    assert m.params == 72_000_000_000            # (8·8 + 8) · 10⁹
    assert len(m.model.graph) == 2               # the input and one Dense: nothing unrolled
    assert m.layer_count == 10 ** 9
    # A thousand times the copies, the same work.
    small, large = call_counts(lambda n: model_of(f"model m(x: 8) = Chain(repeat({n}, Dense(8, 8)))"),
                               [10 ** 6, 10 ** 9])
    assert large == small, (small, large)


def test_a_million_relus_fold_with_bounded_memory():
    m = model_of("model m(x: 28×28×1) = Chain(Conv((3, 3), 1 => 4, pad=1), repeat(10^6, relu), "
                 "flatten, Dense(_ => 10))")
    assert len(m.model.graph) == 5
    assert m.params == 40 + 3136 * 10 + 10


def test_small_repeats_still_unroll_with_separate_rows():
    m = model_of("model m(x: 16) = Chain(repeat(3, Dense(16 => 16, relu)))")
    assert len(m.layers) == 3 and all(i.times == 1 for i in m.layers)


def test_the_unroll_limit_decides():
    # n copies of a 2-layer body: unrolled up to UNROLL_LIMIT layers, folded above.
    n = UNROLL_LIMIT // 2
    unrolled = model_of(f"model m(x: 16) = Chain(repeat({n}, Chain(Dense(16 => 16), relu)))")
    folded = model_of(f"model m(x: 16) = Chain(repeat({n + 1}, Chain(Dense(16 => 16), relu)))")
    assert len(unrolled.layers) == 2 * n
    assert len(folded.layers) == 2 and folded.layers[0].times == n + 1
    assert folded.params == (n + 1) * 272 and unrolled.params == n * 272


def test_nested_repeats_multiply():
    m = model_of("model m(x: 16) = Chain(repeat(1000, repeat(1000, Dense(16 => 16))))")
    # The inner repeat unrolls (1,000 layers), the outer folds over it.
    assert len(m.layers) == 1000 and m.layers[0].times == 1000
    assert m.params == 10 ** 6 * 272


def test_analysis_totals_multiply_and_the_peak_does_not():
    a = archlang.analyze("model m(x: 28×28×4) = Chain(repeat(5000, Conv((3, 3), 4 => 4, pad=1, relu)))")
    conv_macs = 9 * 4 * 28 * 28 * 4
    assert a.totals.macs == 5000 * conv_macs
    assert a.totals.params == 5000 * (9 * 4 * 4 + 4)
    assert a.totals.peak_forward_bytes == 2 * 28 * 28 * 4 * 4      # one input, one output alive


def test_receptive_field_of_a_folded_repeat_has_its_closed_form():
    a = archlang.analyze("model m(x: 64×64×3) = Chain(Conv((3, 3), 3 => 4, pad=1), "
                         "repeat(2000, Conv((3, 3), 4 => 4, pad=1)))")
    rf = a.layers[-1].rf
    # 2,001 stride-1 3×3 convolutions: 1 + 2·2001 pixels, padding 2001 on each side.
    assert rf.size == (4003, 4003) and rf.jump == (1, 1) and rf.padding == (2001, 2001)


def test_a_folded_repeat_must_keep_its_shape():
    (err,) = errors_of("model m(x: 28×28×1) = Chain(repeat(2000, Conv((3, 3), _ => 4)), flatten)")
    assert err.code == "E0308"
    assert err.message == ("a folded repeat must keep its input's shape, but one pass maps "
                           "28×28×1 to 26×26×4")
    assert err.span.text == "repeat(2000, Conv((3, 3), _ => 4))"
    assert err.label == "2,000 copies of 1 layer: folded"


def test_table_shows_a_folded_repeat_as_one_group_with_its_multiplicity():
    from archlang.present.table import render
    text = render(model_of("model m(x: 8) = Chain(repeat(10^9, Dense(8, 8)))"))
    assert "repeat(1000000000, Dense(8 => 8))  ×1,000,000,000, folded" in text
    assert "Dense(8 => 8)  ×1,000,000,000" in text
    assert "72,000,000,000" in text
    assert "total params:         72,000,000,000" in text


def test_drawing_shows_one_box_with_the_count():
    from archlang.draw.view import build_view
    view = build_view(model_of("model m(x: 8) = Chain(repeat(5000, Dense(8, 8)))"))
    (cluster,) = list(view.clusters())
    assert cluster.label == "× 5,000" and cluster.params == 5000 * 72
    folded = build_view(model_of("model m(x: 8) = Chain(repeat(5000, Dense(8, 8)))"), depth=1)
    box = [b for b in folded.boxes() if b.family == "block"][0]
    assert box.layers == 5000


def test_a_folded_block_repeat_is_one_table_row_at_depth_1():
    from archlang.present.table import rows
    spec = ("block R(c) = SkipConnection(Chain(Dense(c => c, relu), Dense(c => c)), +)\n"
            "model m(x: 4) = Chain(repeat(600, R(4)), Dense(4 => 2))")
    m = model_of(spec)
    top = rows(m, depth=1)
    assert [r.label for r in top] == ["repeat(600, R(4))  ×600, folded", "Dense(4 => 2)"]
    assert top[0].params == 600 * 40


@pytest.mark.parametrize("n", [1500])
def test_compiled_folded_repeat_builds_every_copy(n):
    torch = pytest.importorskip("torch")
    m = archlang.load(f"model m(x: 8) = Chain(repeat({n}, Dense(8, 8, relu)))")
    assert sum(p.numel() for p in m.parameters()) == n * 72
    assert len(list(m.modules())) > n
    x = torch.randn(2, 8)
    y = x
    for layer in list(m.modules())[2:]:
        if isinstance(layer, torch.nn.Linear):
            y = torch.relu(layer(y))
    assert torch.allclose(m(x), y)


def test_loading_a_model_too_large_to_build_is_a_diagnostic():
    with pytest.raises(archlang.SpecError) as err:
        archlang.load("model m(x: 8) = Chain(repeat(10^9, Dense(8, 8)))")
    (d,) = err.value.diagnostics
    assert d.code == "E0309" and "1,000,000,000 layers" in d.message
    assert d.span.text == "repeat(10^9, Dense(8, 8))"
