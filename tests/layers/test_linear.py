"""Dense layers: the forms of the book and Flux, inference of the input, bias."""
from __future__ import annotations

import pytest

from conftest import errors_of, model_of


@pytest.mark.parametrize("layer, params, printed", [
    ("Dense(784, 200, relu)", 157_000, "Dense(784 => 200, relu)"),
    ("Dense(784 => 200)", 157_000, "Dense(784 => 200)"),
    ("Dense(_ => 200, tanh)", 157_000, "Dense(784 => 200, tanh)"),
    ("Dense(784, 200; bias=false)", 156_800, "Dense(784 => 200, bias=false)"),
    ("Linear(784, 200)", 157_000, "Dense(784 => 200)"),
    ("Dense(28*28 => 2*100)", 157_000, "Dense(784 => 200)"),
])
def test_dense(layer, params, printed):
    m = model_of(f"model m(x: 784) = {layer}")
    assert tuple(m.output_shape) == (200,)
    assert m.params == params
    assert str(m.layers[0].layer) == printed


def test_dense_on_an_image_asks_for_flatten():
    (err,) = errors_of("model m(x: 24×24×8) = Dense(4608, 10)")
    assert err.code == "E0303"
    assert err.message == "Dense applied to a 24×24×8 image"
    assert "add `flatten`" in err.help and "4,608" in err.help


def test_dense_mismatch_explains_the_flattening():
    (err,) = errors_of("model m(x: 28×28×1) = Chain(Conv((3, 3), 1 => 4), flatten, Dense(784, 10))")
    assert err.message == "Dense expects 784 inputs but receives 2,704 (26×26×4 after layer 1, flattened)"
    assert "26×26×4 = 2,704" in err.notes
    assert err.help.endswith("or write Dense(2704 => 10)")


def test_checking_goes_on_after_a_dense_mismatch():
    errs = errors_of("model m(x: 100) = Chain(Dense(99, 10), Dense(11, 2))")
    assert [e.code for e in errs] == ["E0301", "E0301"]
