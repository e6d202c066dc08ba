"""Activations: names and aliases, GELU's two forms, the calls that are refused."""
from __future__ import annotations

import pytest
from conftest import errors_of, model_of


@pytest.mark.parametrize("written,canonical", [
    ("gelu", "gelu"), ("gelu_tanh", "gelu"), ('GELU(approximate="tanh")', "gelu"),
    ("GELU", "gelu_erf"), ("GELU()", "gelu_erf"), ('GELU(approximate="none")', "gelu_erf"),
    ("gelu_erf", "gelu_erf"), ("hardsigmoid", "hardsigmoid"), ("hardσ", "hardsigmoid"),
    ("Hardsigmoid()", "hardsigmoid"), ("mish", "mish"), ("Mish()", "mish"),
])
def test_names_and_aliases(written, canonical):
    m = model_of(f"model m(x: 6) = Chain(Dense(6 => 4, {written}), {written})")
    assert [str(i.layer) for i in m.layers] == [f"Dense(6 => 4, {canonical})", canonical]
    assert m.layers[1].params == 0 and m.output_shape == (4,)


def test_activation_layer_keeps_an_image_shape():
    m = model_of("model m(x: 5×4×3) = Chain(mish, hardsigmoid, GELU())")
    assert [tuple(i.out) for i in m.layers] == [(5, 4, 3)] * 3


def test_gelu_unknown_form():
    (err,) = errors_of('model m(x: 4) = GELU(approximate="fast")')
    assert err.code == "E0103"
    assert err.message == 'GELU\'s `approximate` is "none" or "tanh", found the string "fast"'
    assert err.span.text == '"fast"'


def test_gelu_positional_argument():
    (err,) = errors_of('model m(x: 4) = GELU("tanh")')
    assert err.code == "E0102" and err.message == "GELU takes `approximate` as a keyword"
    assert err.help == 'write GELU(approximate="tanh") or GELU(approximate="none")'


def test_gelu_unknown_keyword():
    (err,) = errors_of('model m(x: 4) = GELU(approxmate="tanh")')
    assert err.code == "E0101" and err.message == "GELU has no keyword `approxmate`"
    assert err.span.text == "approxmate" and "approximate" in err.help


def test_other_activations_take_no_arguments():
    (err,) = errors_of("model m(x: 4) = Chain(mish(2))")
    assert err.code == "E0102" and err.message == "`mish` takes no arguments"
    assert err.span.text == "2"
