"""Scale: per-channel factor and shift; counts by hand, printing, diagnostics."""
from __future__ import annotations

import pytest
from conftest import errors_of, model_of


@pytest.mark.parametrize("layer,shape,params", [
    ("Scale(96)", "7×7×96", 192),                             # γ and β
    ("Scale(96, bias=false, init=1e-6)", "7×7×96", 96),      # ConvNeXt's layer scale
    ("Scale(_)", "10", 20),                                  # a vector: one per element
    ("Scale(4; bias=false)", "9×4", 4),                      # a sequence's channels
])
def test_parameters(layer, shape, params):
    m = model_of(f"model m(x: {shape}) = {layer}")
    assert m.params == params and m.output_shape == m.input_shape


@pytest.mark.parametrize("written,printed", [
    ("Scale(8)", "Scale(8)"), ("Scale(8, relu)", "Scale(8, relu)"),
    ("Scale(8, bias=false, init=1e-6)", "Scale(8, bias=false, init=1e-6)"),
    ("Scale(_, init=0.5)", "Scale(8, init=0.5)"),
])
def test_printed(written, printed):
    m = model_of(f"model m(x: 3×3×8) = {written}")
    assert str(m.layers[0].layer) == printed


def test_element_ops():
    from archlang import analyze
    a = analyze("model m(x: 2×3×4) = Chain(Scale(4), Scale(4, relu, bias=false))")
    assert [r.element_ops for r in a.layers] == [2 * 24, 2 * 24]


def test_channel_mismatch():
    (err,) = errors_of("model m(x: 8×8×6) = Scale(4)")
    assert err.code == "E0300" and err.message == "Scale(4) receives 6 channels"
    assert err.span.text == "4" and err.help == "write Scale(6)"


def test_init_must_be_a_number():
    (err,) = errors_of('model m(x: 8×8×6) = Scale(6, init="ones")')
    assert err.code == "E0103" and err.span.text == '"ones"'
