"""flatten, reshape, activations as layers."""
from __future__ import annotations

import pytest

from conftest import errors_of, model_of


def test_flatten_multiplies_all_dims():
    assert tuple(model_of("model m(x: 5×5×16) = flatten").output_shape) == (400,)


@pytest.mark.parametrize("layer, out", [
    ("reshape(7, 7, 64)", "7×7×64"),
    ("reshape(7×7×64)", "7×7×64"),
    ("reshape((_, 7, 64))", "7×7×64"),
])
def test_reshape(layer, out):
    assert str(model_of(f"model m(x: 3136) = {layer}").output_shape) == out


def test_reshape_must_keep_the_element_count():
    (err,) = errors_of("model m(x: 3136) = reshape(7, 7, 63)")
    assert err.code == "E0307"


@pytest.mark.parametrize("act", ["relu", "relu6", "tanh", "sigmoid", "softmax", "leakyrelu", "elu",
                                 "gelu", "swish", "identity", "σ", "ReLU()", "Softmax()"])
def test_activations_as_layers(act):
    m = model_of(f"model m(x: 10) = Chain(Dense(10, 10), {act})")
    assert tuple(m.output_shape) == (10,)


def test_activation_as_argument():
    m = model_of("model m(x: 10) = Dense(10, 5, gelu)")
    assert str(m.layers[0].layer) == "Dense(10 => 5, gelu)"


def test_unknown_activation_argument():
    (err,) = errors_of("model m(x: 10) = Dense(10, 5, relu2)")
    assert err.code == "E0100" and err.help == "did you mean `relu` or `relu6`?"
