"""MultiHeadAttention's rule: causal, relative-position bias, attention over windows, counts.

Numbers are by hand (d, heads, lengths small enough to add up); PyTorch's results are in
tests/backends/test_attention.py.
"""
from __future__ import annotations

import pytest

from archlang.analysis import analyze_report
from conftest import errors_of, model_of


def macs_of(text: str) -> int:
    return analyze_report(model_of(text)).totals.macs


def test_causal_changes_neither_parameters_nor_macs():
    plain = model_of("model m(x: 10×64) = MultiHeadAttention(64, 4)")
    causal = model_of("model m(x: 10×64) = MultiHeadAttention(64, 4; causal=true)")
    assert causal.params == plain.params == 4 * 64 * 64 + 4 * 64
    # The masked half of the scores is counted: PyTorch's FLOP counter counts SDPA so.
    assert analyze_report(causal).totals.macs == analyze_report(plain).totals.macs \
        == 4 * 10 * 64 * 64 + 2 * 10 * 10 * 64
    assert str(causal.infos[1].layer) == "MultiHeadAttention(64, 4, causal=true)"


def test_attention_over_windows_counts_every_window():
    # 4 tokens × 3 windows × 8 channels, 2 heads: per window 4·4·8² (projections) and
    # 2·4²·8 (scores and weighted sum), three times; one set of weights.
    m = model_of("model m(x: 4×3×8) = MultiHeadAttention(8, 2)")
    assert tuple(m.output_shape) == (4, 3, 8) and m.params == 4 * 64 + 4 * 8
    a = analyze_report(m)
    assert a.totals.macs == 3 * (4 * 4 * 64 + 2 * 16 * 8) == 3840
    # Output and the 3 windows' 2×4×4 attention matrices, fp32.
    assert a.layers[0].activation_bytes == (4 * 3 * 8 + 3 * 2 * 4 * 4) * 4


def test_swin_t_stage_one_block():
    # Swin-T stage 1: 56×56 tokens of 96 in 64 windows of 7×7, 3 heads; torchvision's
    # ShiftedWindowAttention: qkv 96·288 + 288, proj 96·96 + 96, a 13·13×3 bias table (507),
    # and its relative_position_index buffer of 49·49.
    m = model_of("model m(x: 49×64×96) = MultiHeadAttention(96, 3; relative_bias=7)")
    assert m.params == 4 * 96 * 96 + 4 * 96 + 169 * 3 == 37_755
    assert m.state == 49 * 49
    assert analyze_report(m).totals.macs == 64 * (4 * 49 * 96 * 96 + 2 * 49 * 49 * 96)
    assert str(m.infos[1].layer) == "MultiHeadAttention(96, 3, relative_bias=7)"


def test_a_rectangular_relative_bias():
    m = model_of("model m(x: 6×96) = MultiHeadAttention(96, 3; relative_bias=(3, 2))")
    assert m.params == 4 * 96 * 96 + 4 * 96 + 5 * 3 * 3 and m.state == 36


def test_a_relative_bias_needs_the_windows_tokens():
    (err,) = errors_of("model m(x: 50×96) = MultiHeadAttention(96, 3; relative_bias=7)")
    assert err.code == "E0304" and err.span.text == "7"
    assert err.message == "a relative-position bias over 7×7 windows needs 49 tokens, but " \
                          "attention runs from 50 to 50"
    (err,) = errors_of("model m(x: 8×96) = MultiHeadAttention(96, 3; relative_bias=(2, 2, 2))")
    assert err.code == "E0103" and err.span.text == "(2, 2, 2)"


def test_cross_attention_over_windows_needs_the_same_windows():
    m = model_of("model m(q: 4×3×8, kv: 5×3×8) = { return MultiHeadAttention(8, 2)(q, kv) }")
    assert analyze_report(m).totals.macs == 3 * (4 * 64 + 2 * 5 * 64 + 2 * 4 * 5 * 8 + 4 * 64)
    (err,) = errors_of("model m(q: 4×3×8, kv: 5×2×8) = { return MultiHeadAttention(8, 2)(q, kv) }")
    assert err.code == "E0304" and "batched differently" in err.message
    assert {lab.message for lab in err.labels} == {"gives 4×3×8", "gives 5×2×8"}


@pytest.mark.parametrize("spec, whole", [
    ("model m(x: 10×8) = MultiHeadAttention(8, 2)", True),
    ("model m(x: 10×8) = MultiHeadAttention(8, 2; causal=true)", True),
])
def test_attention_sees_the_whole_sequence(spec, whole):
    assert analyze_report(model_of(spec)).layers[0].rf.whole is whole


def test_attention_over_windows_sees_its_window():
    # Rows of a 5×5 map as windows (5 tokens each), after a 3×3 convolution: the band of
    # token n reaches 4 tokens either side (2·5 − 1 = 9, plus the convolution's 2: 11 before
    # clipping, all 7 columns after it), and 3 rows: its own window only.
    a = analyze_report(model_of(
        "model m(x: 7×7×8) = Chain(Conv((3, 3), 8 => 8), MultiHeadAttention(8, 2))"))
    rf = a.layers[1].rf
    assert not rf.whole and rf.pixels == (11, 3) and rf.jump == (1, 1) and rf.left == (-4, 0)
    # Centred like the skip around it: a residual block does not warn (W0401).
    m = model_of("model m(x: 7×5×8) = SkipConnection(MultiHeadAttention(8, 2), +)")
    assert not analyze_report(m).warnings
    assert analyze_report(m).layers[-1].rf.text() == "13×1 /1"


def test_the_counting_convention_is_printed():
    from archlang.present.table import summary_lines
    m = model_of("model m(x: 10×8) = MultiHeadAttention(8, 2)")
    a = analyze_report(m)
    note = a.count_notes["MultiHeadAttention"]
    assert "2·Lq·Lk·d" in note and "causal ones in full" in note and "upper bound" in note
    assert f"  MultiHeadAttention: {note}" in summary_lines(m, a)
    assert a.json()["count_notes"] == {"MultiHeadAttention": note}
    plain = analyze_report(model_of("model m(x: 10) = Dense(10 => 2)"))
    assert "count_notes" not in plain.json()


def test_shifted_windows():
    # Swin-T stage 1 as a grid: 49 tokens × 8 × 8 windows × 96; the shift mask adds no
    # parameter and no state (torchvision computes it in forward).
    m = model_of("model m(x: 49×8×8×96) = MultiHeadAttention(96, 3; relative_bias=7, shift=3)")
    assert m.params == 37_755 and m.state == 49 * 49
    assert str(m.infos[1].layer) == "MultiHeadAttention(96, 3, relative_bias=7, shift=3)"
    assert str(model_of("model m(x: 49×8×8×96) = MultiHeadAttention(96, 3; relative_bias=7, "
                        "shift=0)").infos[1].layer) == "MultiHeadAttention(96, 3, relative_bias=7)"


@pytest.mark.parametrize("spec, code, at", [
    ("model m(x: 49×8×8×96) = MultiHeadAttention(96, 3; shift=3)", "E0102", "3"),
    ("model m(x: 49×8×8×96) = MultiHeadAttention(96, 3; relative_bias=7, shift=7)", "E0202", "7"),
    ("model m(x: 49×8×8×96) = MultiHeadAttention(96, 3; relative_bias=7, shift=(1, 2, 3))",
     "E0103", "(1, 2, 3)"),
    ("model m(x: 49×64×96) = MultiHeadAttention(96, 3; relative_bias=7, shift=3)", "E0303", "3"),
])
def test_shift_diagnostics(spec, code, at):
    (err,) = errors_of(spec)
    assert err.code == code and err.span.text == at, (err.code, err.span.text, err.message)


def test_a_key_mask_is_one_bool_per_key():
    m = model_of("model m(q: 5×16, kv: 9×16, keep: 9 of bool) = "
                 "{ return MultiHeadAttention(16, 4)(q, kv; mask=keep) }")
    assert tuple(m.output_shape) == (5, 16) and m.params == 4 * 256 + 4 * 16
    a = analyze_report(m)
    assert a.totals.macs == 5 * 256 + 2 * 9 * 256 + 2 * 5 * 9 * 16 + 5 * 256
    # An add per score for the mask, beside scaling and softmax (2 per score) and the biases.
    assert a.layers[0].element_ops == 4 * 5 * 9 * 3 + (3 * 5 + 5) * 16


@pytest.mark.parametrize("spec, code, at, message", [
    ("model m(x: 7×16, keep: 6 of bool) = { return MultiHeadAttention(16, 4)(x; mask=keep) }",
     "E0304", "mask=keep", "a mask of 6 keys for attention over 7 keys"),
    ("model m(q: 5×16, kv: 9×16, keep: 5 of bool) = "
     "{ return MultiHeadAttention(16, 4)(q, kv; mask=keep) }",
     "E0304", "mask=keep", "a mask of 5 keys for attention over 9 keys"),
    ("model m(x: 7×16, f: 7) = { return MultiHeadAttention(16, 4)(x; mask=f) }",
     "E0312", "mask=f", "the mask of MultiHeadAttention holds float values (7), not bools"),
    ("model m(x: 7×16, keep: 7 of bool) = { return MultiHeadAttention(16, 4)(x, keep) }",
     "E0312", "MultiHeadAttention(16, 4)",
     "MultiHeadAttention takes float values but input 2 is a boolean mask of 7"),
    ("model m(x: 7×2×16, keep: 7 of bool) = { return MultiHeadAttention(16, 4)(x; mask=keep) }",
     "E0303", "mask=keep", "a key mask on attention over a 7×2×16 image"),
    ("model m(x: 7×16, keep: 7 of bool) = "
     "{ return MultiHeadAttention(16, 4)(x; mask=keep, mask=keep) }",
     "E0102", "mask", "`mask` is given twice"),
    ("model m(x: 7×16, keep: 7 of bool) = { return MultiHeadAttention(16, 4)(x; mas=keep) }",
     "E0101", "mas", "`mas` is not a value MultiHeadAttention takes"),
    ("model m(x: 7×16, keep: 7 of bool) = { return Dense(16 => 2)(x; mask=keep) }",
     "E0101", "mask", "a layer is applied to values, not keywords"),
])
def test_key_mask_diagnostics(spec, code, at, message):
    (err,) = errors_of(spec)
    assert (err.code, err.span.text, err.message) == (code, at, message)


def test_a_masked_attention_sees_the_whole_sequence_it_masks():
    # The mask is not a second source of the field (which would make it `?`).
    a = analyze_report(model_of("model m(x: 7×16, keep: 7 of bool) = "
                                "{ return x + MultiHeadAttention(16, 4)(x; mask=keep) }"))
    assert [r.rf.whole for r in a.layers] == [True, True]
