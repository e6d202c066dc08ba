"""Pooling shapes: the stride defaults to the window; sizes round down."""
from __future__ import annotations

import pytest

from archlang import check_text
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


@pytest.mark.parametrize("input, layer, out", [
    # ⌈(112 − 3)/2⌉ + 1 = 56, where rounding down gives 55 (torchvision's GoogLeNet)
    ("112×112×64", "MaxPool((3, 3), stride=2, ceil=true)", "56×56×64"),
    ("112×112×64", "MaxPool((3, 3), stride=2)", "55×55×64"),
    # ⌈(5 + 2 − 2)/2⌉ + 1 = 4, but the 4th window would start in the high padding: 3 (PyTorch)
    ("5×5×1", "MaxPool((2, 2), pad=1, ceil=true)", "3×3×1"),
    ("7×7×3", "MeanPool((2, 2), ceil_mode=true)", "4×4×3"),
    ("9×1", "MaxPool((2,), ceil=true)", "5×1"),
])
def test_ceil_mode(input, layer, out):
    assert str(model_of(f"model m(x: {input}) = {layer}").output_shape) == out


@pytest.mark.parametrize("layer, fragment", [
    ("MaxPool((2, 2), pad=(0, 1, 0, 1), ceil=true)", "ceil=true needs the same padding on both sides"),
    ("MaxPool((2, 2), pad=2, ceil=true)", "at most half the window"),
])
def test_ceil_mode_takes_only_what_pytorch_can(layer, fragment):
    (err,) = errors_of(f"model m(x: 8×8×1) = {layer}")
    assert fragment in err.message


def test_ceil_mode_drops_nothing_under_strict():
    import archlang
    result = archlang.check("model m(x: 112×112×64) = MaxPool((3, 3), stride=2, ceil=true)", strict=True)
    assert not result.diagnostics
    result = archlang.check("model m(x: 112×112×64) = MaxPool((3, 3), stride=2)", strict=True)
    assert [d.code for d in result.diagnostics] == ["W0001"]


# ---- windows that see only padding (E0310) ----------------------------------------------------
@pytest.mark.parametrize("input, layer, label", [
    # MaxPool: PyTorch's rule, more than k ÷ 2 on a side, whatever the input
    ("8×8×1", "MaxPool((2, 2), pad=2)", "a window can see only padding: its output is −∞"),
    ("8×8×1", "MaxPool((3, 3), pad=(0, 2, 0, 0))", "more than half the window"),     # W high side
    ("8×8×1", "MaxPool((4, 2), pad=(3, 1))", "more than half the window"),           # W: 3 > 4 ÷ 2
    # MeanPool: only where a window lies wholly in the padding (its output is always 0)
    ("8×8×1", "MeanPool((2, 2), pad=2)", "2 pixels of padding before a 2-pixel window"),
    # 5 + 3 padded: windows at 0, 3, 6; the third covers pixels 6 and 7, both padding
    ("5×1", "MeanPool((2,), stride=3, pad=(0, 3))", "window 3 starts at 6, past the 5 pixels of the input"),
])
def test_a_window_wholly_in_padding_is_an_error_at_the_pad(input, layer, label):
    (err,) = errors_of(f"model m(x: {input}) = {layer}")
    assert err.code == "E0310"
    assert err.span.text == layer[layer.index("pad=") + 4:-1]
    assert err.label == label
    assert err.help.startswith("pad ")


def test_padding_that_still_sees_the_input_is_allowed():
    for layer in ("MaxPool((3, 3), stride=2, pad=1)", "MaxPool((2, 2), pad=1)",
                  "MaxPool((4, 4), pad=SamePad())", "MeanPool((2, 2), pad=1)",
                  "MeanPool((3, 3), pad=2)",         # more than half: Flux's, F.pad then AvgPool
                  "MeanPool((2,), stride=3, pad=(0, 2))"):
        shape = "5×1" if "(2,)" in layer else "8×8×1"
        assert check_text(f"model m(x: {shape}) = {layer}").diagnostics == [], layer


def test_the_maxpool_rule_is_pytorchs():
    torch = pytest.importorskip("torch")
    for k in range(1, 6):
        for p in range(0, k + 2):
            try:
                torch.nn.functional.max_pool1d(torch.zeros(1, 1, 12), k, padding=p)
                refused = False
            except RuntimeError as err:
                assert "at most half" in str(err) or "half of" in str(err)
                refused = True
            errors = check_text(f"model m(x: 12×1) = MaxPool(({k},), pad={p})").errors
            assert [e.code for e in errors] == (["E0310"] if refused else []), (k, p)
    assert refused is True
