"""Sequence layers: per-token Dense, Select, cat along a dimension, Parameter, attention."""
from __future__ import annotations

import pytest

from archlang.analysis import analyze_report
from conftest import errors_of, model_of


@pytest.mark.parametrize("layer, out, params, macs", [
    ("Dense(768 => 3072)", (197, 3072), 768 * 3072 + 3072, 197 * 768 * 3072),
    ("Dense(_ => 10, relu)", (197, 10), 7690, 197 * 7680),
])
def test_dense_on_a_sequence_is_per_token(layer, out, params, macs):
    m = model_of(f"model m(x: 197×768) = {layer}")
    assert tuple(m.output_shape) == out and m.params == params
    assert analyze_report(m).totals.macs == macs


def test_dense_of_the_whole_sequence_asks_to_choose():
    (err,) = errors_of("model m(x: 4×8) = Dense(32 => 10)")
    assert err.code == "E0303"
    assert err.message == "Dense(32 => 10) applied to a 4×8 sequence: on a sequence Dense acts per token"
    assert err.span.text == "32" and "flatten" in err.help and "Dense(8 => 10)" in err.help


def test_dense_with_the_wrong_token_size():
    (err,) = errors_of("model m(x: 4×8) = Dense(7 => 10)")
    assert err.code == "E0301" and err.message == "Dense expects 7 inputs per token but the sequence 4×8 has 8 channels"


def test_dense_on_an_image_is_per_pixel():
    # nn.Linear on N×H×W×C (ConvNeXt's and Swin's MLPs): 8·10 + 10 weights, 36 pixels.
    m = model_of("model m(x: 6×6×8) = Dense(8 => 10)")
    assert tuple(m.output_shape) == (6, 6, 10) and m.params == 90
    assert analyze_report(m).totals.macs == 36 * 80


def test_dense_on_an_image_of_other_channels_asks_for_the_per_pixel_form():
    (err,) = errors_of("model m(x: 6×6×8) = Dense(7 => 10)")
    assert err.code == "E0303" and err.message == "Dense applied to a 6×6×8 image"
    assert "Dense(8 => 10)" in err.help and "flatten" in err.help


@pytest.mark.parametrize("spec, out", [
    ("model m(x: 197×768) = Select(1)", (768,)),             # ViT's class token
    ("model m(x: 197×768) = Select(5; dims=2)", (197,)),
    ("model m(x: 4×3×2) = Select(2)", (3, 2)),
    ("model m(x: 4×3×2) = Select(1; dims=3)", (4, 3)),
])
def test_select_drops_its_dimension(spec, out):
    assert tuple(model_of(spec).output_shape) == out


def test_select_out_of_range():
    (err,) = errors_of("model m(x: 4×8) = Select(5)")
    assert err.code == "E0202" and err.span.text == "5"
    (err,) = errors_of("model m(x: 4×8) = Select(1; dims=3)")
    assert err.code == "E0202" and err.span.text == "3"
    (err,) = errors_of("model m(x: 8) = Select(1)")
    assert err.code == "E0303"


@pytest.mark.parametrize("join, out", [
    ("cat(a, b; dims=1)", (7, 8)), ("cat(a, a)", (3, 16)), ("cat(a, a; dims=2)", (3, 16)),
])
def test_cat_along_a_dimension(join, out):
    m = model_of(f"model m(x: 3×8, y: 4×8) = {{ a = relu(x) b = relu(y) return {join} }}")
    assert tuple(m.output_shape) == out


def test_cat_along_tokens_needs_equal_channels():
    (err,) = errors_of("model m(x: 3×8, y: 4×7) = { return cat(x, y; dims=1) }")
    assert err.code == "E0304" and err.message == "concatenating 3×8 with 4×7 along dimension 1"


def test_a_parameter_counts_its_elements():
    m = model_of('model m(x: 197×768) = { return x + Parameter(197×768; init="normal") }')
    assert m.params == 197 * 768
    m = model_of("model m(x: 3×4) = { return cat(Parameter(1, 4), x; dims=1) }")
    assert m.params == 4 and tuple(m.output_shape) == (4, 4)


@pytest.mark.parametrize("d, heads, bias, params", [
    (768, 12, "", 4 * 768 ** 2 + 4 * 768),             # 2,362,368 as torchvision's ViT-B
    (64, 4, "; bias=false", 4 * 64 ** 2),
])
def test_attention_parameters_follow_pytorch(d, heads, bias, params):
    m = model_of(f"model m(x: 10×{d}) = MultiHeadAttention({d}, {heads}{bias})")
    assert m.params == params and tuple(m.output_shape) == (10, d)


def test_attention_macs_and_memory_include_the_l_squared_terms():
    a = analyze_report(model_of("model m(x: 197×768) = MultiHeadAttention(768, 12)"))
    L, d = 197, 768
    assert a.totals.macs == 3 * L * d * d + L * L * d + L * L * d + L * d * d
    # Its output and the heads×L×L attention matrix, fp32.
    assert a.layers[0].activation_bytes == (L * d + 12 * L * L) * 4
    assert a.layers[0].rf.whole


def test_cross_attention_from_q_to_kv():
    m = model_of("model m(q: 5×16, kv: 9×16) = { return MultiHeadAttention(16, 2)(q, kv) }")
    assert tuple(m.output_shape) == (5, 16)
    # projections q 5·16², k and v 2·9·16², scores and sum 2·5·9·16, out 5·16²
    assert analyze_report(m).totals.macs == 5 * 256 + 2 * 9 * 256 + 2 * 5 * 9 * 16 + 5 * 256


def test_attention_diagnostics():
    (err,) = errors_of("model m(x: 10×64) = MultiHeadAttention(64, 5)")
    assert err.code == "E0305" and err.span.text == "5"
    (err,) = errors_of("model m(x: 10×32) = MultiHeadAttention(64, 4)")
    assert err.code == "E0300"
    (err,) = errors_of("model m(x: 64) = MultiHeadAttention(64, 4)")
    assert err.code == "E0303" and err.message == "MultiHeadAttention applied to a vector of 64"
    # A 4×4×64 value is four sequences of four tokens (windows): tests/layers/test_attention.py
