"""BatchNorm, LayerNorm and Dropout: parameters versus state."""
from __future__ import annotations

from conftest import errors_of, model_of


def test_batchnorm_parameters_and_running_statistics():
    m = model_of("model m(x: 8×8×4) = Chain(Conv((3, 3), 4 => 6), BatchNorm(6, relu), Dropout(0.5), "
                 "flatten, Dense(216, 3))")
    assert m.params == 885                     # BatchNorm(6): γ and β, 12 parameters
    assert m.layers[1].params == 12
    assert m.state == 12                       # running mean and variance are state
    assert str(m.layers[1].layer) == "BatchNorm(6, relu)"


def test_batchnorm_on_a_vector_and_inferred():
    m = model_of("model m(x: 10) = Chain(BatchNorm(_), LayerNorm(10), Dropout(0.25))")
    assert [i.params for i in m.layers] == [20, 20, 0]


def test_batchnorm_channel_mismatch():
    (err,) = errors_of("model m(x: 8×8×4) = BatchNorm(6)")
    assert err.message == "BatchNorm(6) receives 4 channels"
    assert err.help == "write BatchNorm(4)"


def test_dropout_probability_is_checked():
    (err,) = errors_of("model m(x: 8) = Dropout(1.5)")
    assert err.code == "E0202" and "[0, 1)" in err.message
