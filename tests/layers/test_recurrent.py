"""Recurrent layers (LSTM, GRU, RNN): shapes, PyTorch's parameter counts, MACs, element ops,
memory, receptive fields and the diagnostics, checked statically (no torch).

The parameter counts are PyTorch 2.13's, `sum(p.numel() for p in m.parameters())` of the
module named in each case; tests/backends/test_recurrent.py builds them and compares again.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from archlang.analysis import analyze_report
from conftest import errors_of, model_of


@pytest.mark.parametrize("layer, out, params", [
    # nn.LSTM(100, 256, num_layers=2, bidirectional=True): 2,310,144 (issue 20)
    ("LSTM(100 => 256; layers=2, bidirectional=true)", (50, 512), 2_310_144),
    ("LSTM(100, 256; num_layers=2, bidirectional=true)", (50, 512), 2_310_144),
    ("LSTM(100 => 20)", (50, 20), 9_760),                       # nn.LSTM(100, 20)
    ("LSTM(_ => 20; bias=false)", (50, 20), 9_600),
    # nn.LSTM(100, 20, num_layers=3, proj_size=5, bidirectional=True): 5 per direction
    ("LSTM(100 => 20; layers=3, proj_size=5, bidirectional=true)", (50, 10), 23_160),
    ("GRU(100 => 20; layers=2, bidirectional=true)", (50, 40), 22_080),
    ("GRU(100 => 20; bias=false)", (50, 20), 7_200),
    ("RNN(100 => 20, relu; layers=2)", (50, 20), 3_280),         # nonlinearity="relu"
    ('RNN(100 => 20; nonlinearity="relu", layers=2)', (50, 20), 3_280),
    ("RNN(100, 20; bidirectional=true)", (50, 40), 4_880),
])
def test_parameters_are_pytorchs(layer, out, params):
    m = model_of(f"model m(x: 50×100) = {layer}")
    assert tuple(m.output_shape) == out and m.params == params


def test_the_counts_by_hand():
    # LSTM(100 => 256), 2 layers, both directions; per direction 4h·in + 4h·h + 2·4h:
    # layer 1 in = 100: 1024·100 + 1024·256 + 2048 = 366,592; layer 2 reads both directions
    # of layer 1, in = 512: 1024·512 + 1024·256 + 2048 = 788,480.
    assert 2 * (366_592 + 788_480) == 2_310_144
    # With proj_size p = 5 (h = 20, 3 layers, both directions) the recurrent matrix is 4h × p
    # and weight_hr p × h; the next layer reads 2p = 10: 80·100 + 80·5 + 160 + 100 = 8,660,
    # then 80·10 + 80·5 + 160 + 100 = 1,460 twice.
    assert 2 * (8_660 + 2 * 1_460) == 23_160


@pytest.mark.parametrize("out, shape, pooled", [
    ('"sequence"', (50, 512), 0), ('"last"', (512,), 0),
    ('"mean"', (512,), 50 * 512), ('"max"', (512,), 50 * 512),
])
def test_the_output_selection(out, shape, pooled):
    m = model_of(f'model m(x: 50×100) = LSTM(100 => 256; layers=2, bidirectional=true, out={out})')
    assert tuple(m.output_shape) == shape and m.params == 2_310_144
    totals = analyze_report(m).totals
    # MACs per step and direction 4h·(in + h): 1024·356 in layer 1, 1024·768 in layer 2;
    # × 50 steps × 2 directions. The selection costs no MACs.
    assert totals.macs == 50 * 2 * (1024 * 356 + 1024 * 768) == 115_097_600
    # Element ops per step, direction and layer: the two products summed (4h), two bias
    # vectors (8h), the cell's 9h: 21·256 = 5,376; mean and max read every output once.
    assert totals.element_ops == 50 * 2 * 2 * 5_376 + pooled


@pytest.mark.parametrize("layer, macs, ops", [
    # GRU: 3h·(in + h) per step: 60·(100 + 20) = 7,200; element ops 3h + 6h + 8h = 340.
    ("GRU(100 => 20)", 10 * 7_200, 10 * 340),
    # RNN: h·(in + h) = 2,400; element ops h + 2h + h = 80.
    ("RNN(100 => 20)", 10 * 2_400, 10 * 80),
    # LSTM with a projection p = 5: 4h·(in + p) + h·p = 80·105 + 100 = 8,500 per step.
    ("LSTM(100 => 20; proj_size=5)", 10 * 8_500, 10 * 21 * 20),
])
def test_macs_per_kind(layer, macs, ops):
    totals = analyze_report(model_of(f"model m(x: 10×100) = {layer}")).totals
    assert (totals.macs, totals.element_ops) == (macs, ops)


@pytest.mark.parametrize("layer, saved", [
    # One layer returning its sequence keeps nothing else but an LSTM's cell states (L·h).
    ("LSTM(100 => 20)", 10 * 20),
    ("GRU(100 => 20)", 0),
    # Two layers, both directions: the lower layer's hidden states (2·L·h) and the cell
    # states of both (2·2·L·h); "last" keeps the last layer's sequence too (L·2h).
    ('LSTM(100 => 20; layers=2, bidirectional=true, out="last")', 10 * (2 * (20 + 2 * 20) + 40)),
    ('GRU(100 => 20; layers=2, out="mean")', 10 * (20 + 20)),
])
def test_memory_keeps_the_recurrent_states(layer, saved):
    m = model_of(f"model m(x: 10×100) = {layer}")
    row = analyze_report(m, batch=1, dtype="fp32").layers[-1]
    assert row.activation_bytes == 4 * (m.output_shape.numel + saved)


def test_the_receptive_field_is_the_whole_input():
    m = model_of('model m(x: 10×100) = Chain(Conv((3,), 100 => 8), LSTM(8 => 4), '
                 'Conv((3,), 4 => 4))')
    fields = [r.rf.text() for r in analyze_report(m).layers]
    assert fields == ["3 /1", "whole input", "whole input"]


@pytest.mark.parametrize("layer", [
    "LSTM(100 => 256, layers=2, bidirectional=true)", 'GRU(100 => 20, out="max")',
    "RNN(100 => 20, relu, bias=false)", "LSTM(100 => 20, proj_size=5, layers=2, dropout=0.1)",
])
def test_a_layer_prints_as_written(layer):
    m = model_of(f"model m(x: 10×100) = {layer}")
    assert str(m.infos[-1].layer) == layer


def test_a_channel_mismatch_names_the_sizes_and_the_fix():
    (err,) = errors_of("model m(x: 50×64) = LSTM(100 => 256)")
    assert err.code == "E0300" and err.span.text == "100"
    assert err.message == "LSTM expects 100 channels per step but the sequence 50×64 has 64"
    assert "LSTM(64 => 256)" in err.help


def test_a_later_error_is_still_found_after_a_mismatch():
    errs = errors_of("model m(x: 50×64) = Chain(GRU(100 => 8; bidirectional=true), Dense(8 => 2))")
    assert [e.code for e in errs] == ["E0300", "E0301"]      # the GRU still gives 50×16


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("shape, help_", [
    ("28×28×1", "reshape(784, 1)"), ("64", "reshape(64, 1)"),
])
def test_only_sequences(kind, shape, help_):
    (err,) = errors_of(f"model m(x: {shape}) = {kind}(1 => 16)")
    assert err.code == "E0303" and err.span.text == f"{kind}(1 => 16)" and help_ in err.help
    assert err.message == f"{kind} applied to {'a 28×28×1 image' if '×' in shape else 'a vector of 64'}"


@pytest.mark.parametrize("layer, code, span, words", [
    ('LSTM(4 => 8; out="lst")', "E0103", '"lst"', "last"),
    ("LSTM(4 => 8; dropout=0.2)", "E0202", "0.2", "layers=2"),
    ("LSTM(4 => 8; proj_size=8)", "E0202", "8", "proj_size < hidden"),
    ("RNN(4 => 8, gelu)", "E0103", "gelu", "relu"),
    ('RNN(4 => 8; nonlinearity="sigmoid")', "E0103", '"sigmoid"', "relu"),
    ("GRU(4 => 8; proj_size=2)", "E0101", "proj_size", "GRU(in => hidden;"),
])
def test_argument_mistakes(layer, code, span, words):
    (err,) = errors_of(f"model m(x: 5×4) = {layer}")
    assert (err.code, err.span.text) == (code, span) and words in err.help


def test_the_example_of_language_md_checks():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "language.md").read_text(encoding="utf-8")
    section = doc.split("### Recurrent layers", 1)[1]
    example = section.split("```", 2)[1]
    m = model_of(example)
    assert tuple(m.output_shape) == (2,) and m.params == 2_310_144 + 512 * 2 + 2


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_token_ids_go_into_an_embedding_first(kind):
    (err,) = errors_of(f"model m(tokens: 20 of int) = {kind}(1 => 8)")
    assert err.code == "E0312" and err.span.text == f"{kind}(1 => 8)"
    assert err.message == f"{kind} takes float values but receives a sequence of 20 integer indices"
    assert "Embedding(vocab => d)" in err.help
    m = model_of(f"model m(tokens: 20 of int) = Chain(Embedding(100 => 8), {kind}(8 => 4))")
    assert tuple(m.output_shape) == (20, 4) and m.output_shape.dtype == "float"
