"""Pooling shapes: the stride defaults to the window; sizes round down."""
from __future__ import annotations

import pytest

from conftest import errors_of, model_of


@pytest.mark.parametrize("input, layer, out", [
    ("24×24×8", "MaxPool((2, 2))", "12×12×8"),
    ("7×7×3", "MaxPool((2, 2))", "3×3×3"),                               # ⌊7/2⌋
    ("224×224×64", "MaxPool((2, 2), pad = (0, 0, 0, 0), stride = (2, 2))", "112×112×64"),
    ("11×11×2", "MeanPool((3, 3), stride=2, pad=1)", "6×6×2"),           # ⌊(11 + 2 − 3)/2⌋ + 1
    ("112×112×64", "MaxPool((3, 3), stride=2, pad=1)", "56×56×64"),
    ("112×112×64", "MaxPool((3, 3), stride=2, pad=(0, 1, 0, 1))", "56×56×64"),  # ceil_mode by padding
    ("3998×8", "MaxPool((2,))", "1999×8"),
    ("16×12×8×4", "MaxPool((2, 2, 2))", "8×6×4×4"),
    ("10×10×3", "AvgPool2d((2, 2))", "5×5×3"),
    ("10×10×3", "MaxPool((4, 2))", "2×5×3"),                             # W and H windows differ
    ("7×5×16", "GlobalMeanPool()", "1×1×16"),
    ("7×5×16", "GlobalMaxPool()", "1×1×16"),
    ("100×16", "GlobalMeanPool()", "1×16"),
    ("13×13×256", "AdaptiveMeanPool((6, 6))", "6×6×256"),
    ("13×9×256", "AdaptiveMaxPool((6, 3))", "6×3×256"),
    ("13×13×256", "AdaptiveMeanPool(1)", "1×1×256"),
])
def test_pool(input, layer, out):
    m = model_of(f"model m(x: {input}) = {layer}")
    assert str(m.output_shape) == out
    assert m.params == 0


@pytest.mark.parametrize("input, layer, code, fragment", [
    ("1×1×8", "MaxPool((2, 2))", "E0302", "a 2×2 window does not fit a 1×1 input"),
    ("784", "MaxPool((2, 2))", "E0303", "a 2-D pooling applied to a vector of 784"),
    ("784", "GlobalMeanPool()", "E0303", "GlobalMeanPool applied to a vector of 784"),
    ("8×8×3", "AdaptiveMeanPool((2, 2, 2))", "E0303", "3-D output size"),
    ("8×8×3", "MaxPool2d((2, 2, 2))", "E0103", "`MaxPool2d` takes a 2-D window"),
])
def test_pool_errors(input, layer, code, fragment):
    (err,) = errors_of(f"model m(x: {input}) = {layer}")
    assert err.code == code
    assert fragment in err.message
