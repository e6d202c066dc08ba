"""The joins `+`, `*` and `cat`: shapes, PyTorch's broadcasting of size-1 dimensions, errors."""
from __future__ import annotations

import pytest

from conftest import errors_of, model_of

SE = ("block SE(c, r) = SkipConnection(Chain(GlobalMeanPool(), Conv((1, 1), c => r, relu), "
      "Conv((1, 1), r => c, hardswish)), *)\n")


def test_squeeze_excitation_gate_broadcasts_over_the_image():
    m = model_of(SE + "model m(x: 28×28×16) = SE(16, 4)")
    assert str(m.output_shape) == "28×28×16"
    # 16·4 + 4 and 4·16 + 16: the gate's two 1×1 convolutions.
    assert m.params == 68 + 80
    mul = m.layers[-1]
    assert str(mul.layer) == "*" and [str(s) for s in mul.inputs] == ["1×1×16", "28×28×16"]


@pytest.mark.parametrize("join, branch, out", [
    ("*", "Conv((1, 1), 8 => 1)", "16×16×8"),       # one channel broadcast over eight
    ("+", "Conv((1, 1), 8 => 1)", "16×16×8"),
    ("*", "MeanPool((16, 1))", "16×16×8"),          # 1×16×8: a width of 1 broadcasts
    ("+", "identity", "16×16×8"),
])
def test_skip_joins_broadcast_size_one_dimensions(join, branch, out):
    m = model_of(f"model m(x: 16×16×8) = SkipConnection({branch}, {join})")
    assert str(m.output_shape) == out


def test_parallel_multiplies_every_branch():
    m = model_of("model m(x: 10) = Parallel(*, sigmoid, tanh, identity)")
    assert str(m.output_shape) == "10" and str(m.layers[-1].layer) == "*"


def test_mul_counts_one_element_op_per_output_per_extra_input():
    import archlang
    a = archlang.analyze("model m(x: 10) = Parallel(*, sigmoid, tanh, identity)")
    assert a.layers[-1].element_ops == 2 * 10


@pytest.mark.parametrize("spec, message, label", [
    ("model m(x: 16×16×8) = SkipConnection(Conv((1, 1), 8 => 4), *)",
     "multiplying 16×16×4 by 16×16×8: the channels (4 and 8) differ and neither is 1", "shapes differ"),
    ("model m(x: 16×16×8) = SkipConnection(Conv((3, 3), 8 => 8), +)",
     "adding 14×14×8 to 16×16×8: the widths (14 and 16) differ and neither is 1", "shapes differ"),
    ("model m(x: 16×16×8) = SkipConnection(Chain(GlobalMeanPool(), flatten), *)",
     "multiplying 8 by 16×16×8: they have 1 and 3 dimensions", "ranks differ"),
    ("model m(x: 9×4) = Parallel(+, identity, Conv((3,), 4 => 4))",
     "adding 9×4 to 7×4: the lengths (9 and 7) differ and neither is 1", "shapes differ"),
])
def test_join_errors_name_both_shapes_and_the_dimension(spec, message, label):
    (err,) = errors_of(spec)
    assert err.code == "E0304" and err.message == message and err.label == label
    assert err.span.text in ("*", "+")
    assert len(err.labels) == 2           # one label on each incoming branch


def test_star_join_is_not_a_syntax_error_any_more():
    # It used to be read as a stray comma ("remove the extra comma").
    m = model_of("model m(x: 4×4×2) = SkipConnection(sigmoid, *)")
    assert str(m.output_shape) == "4×4×2"


def test_a_number_is_not_a_join():
    (err,) = errors_of("model m(x: 4) = SkipConnection(relu, 2)")
    assert "expected a join, `+`, `*` or `cat`" in err.message
