"""Conv shapes and counts, case by commented case (out = ⌊(n + p_lo + p_hi − d(k−1) − 1)/s⌋ + 1)."""
from __future__ import annotations

import pytest

from conftest import errors_of, model_of


@pytest.mark.parametrize("input, layer, out, params", [
    # 28 − 5 + 1 = 24; 8·(25 + 1)
    ("28×28×1", "Conv((5, 5), 1 => 8, relu)", "24×24×8", 208),
    # ASCII shape, Flux keywords as printed
    ("28x28x1", "Conv((5, 5),1=>8,relu,stride=(1,1),pad=(0,0))", "24×24×8", 208),
    # non-square kernel on a non-square image: W 32−3+1, H 20−5+1
    ("32×20×3", "Conv((3, 5), 3 => 4)", "30×16×4", 3 * 5 * 3 * 4 + 4),
    # stride 2, padding 1: ⌊(32 + 2 − 3)/2⌋ + 1 = 16
    ("32×32×3", "Conv((3, 3), 3 => 8, stride=2, pad=1)", "16×16×8", 224),
    # dilation 2: effective kernel 5; 33 + 2 − 5 = 30, /2 → 15, + 1 = 16
    ("33×33×3", "Conv((3, 3), 3 => 8, stride=2, dilation=2, pad=1)", "16×16×8", 224),
    # per-dimension padding (w 2, h 1): 10 + 4 − 2 = 12; 12 + 2 − 2 = 12
    ("10×12×1", "Conv((3, 3), 1 => 2, pad=(2, 1))", "12×12×2", 20),
    # uneven padding (w_lo, w_hi, h_lo, h_hi): 10 + 3 − 2 = 11; 12 + 3 − 2 = 13
    ("10×12×1", "Conv((3, 3), 1 => 2, pad=(1, 2, 0, 3))", "11×13×2", 20),
    # SamePad keeps the size for odd and even kernels, and with dilation
    ("9×9×1", "Conv((4, 4), 1 => 1, pad=SamePad())", "9×9×1", 17),
    ("9×7×1", "Conv((3, 3), 1 => 1, pad=same, dilation=3)", "9×7×1", 10),
    # SamePad with stride gives ⌈n/s⌉
    ("9×9×1", "Conv((3, 3), 1 => 1, pad=SamePad(), stride=2)", "5×5×1", 10),
    # groups divide the weights: 3·3·(8/8)·16 + 0
    ("16×16×8", "Conv((3, 3), 8 => 16, groups=8, pad=1, bias=false)", "16×16×16", 144),
    # a 1×1 convolution mixes channels only
    ("32×32×3", "Conv((1, 1), 3 => 1)", "32×32×1", 4),
    # 1-D: kernel (9,) on 16000 samples of stereo, stride 4: ⌊(16000 − 9)/4⌋ + 1
    ("16000×2", "Conv((9,), 2 => 8, relu, stride=4)", "3998×8", 9 * 2 * 8 + 8),
    # a bare integer kernel is 1-D
    ("100×1", "Conv(5, 1 => 1)", "96×1", 6),
    # 3-D: a volume W×H×D×C with padding 1 keeps its size
    ("16×12×8×1", "Conv((3, 3, 3), 1 => 4, relu, pad=1)", "16×12×8×4", 112),
    # `_` infers the input channels
    ("8×8×5", "Conv((1, 1), _ => 7)", "8×8×7", 42),
    # stride that does not divide evenly floors (PyTorch, Flux)
    ("224×224×3", "Conv((11, 11), 3 => 64, stride=4, pad=2)", "55×55×64", 23_296),
    # PyTorch-style aliases and keyword
    ("28×28×1", "Conv2d((5, 5), 1 => 8, padding=2)", "28×28×8", 208),
])
def test_conv(input, layer, out, params):
    m = model_of(f"model m(x: {input}) = {layer}")
    assert str(m.output_shape) == out
    assert m.params == params


@pytest.mark.parametrize("input, layer, out, params", [
    # (n − 1)·s − p_lo − p_hi + d(k − 1) + 1 = 6·2 − 2 + 3 + 1 = 14; 4·4·16·8 + 8
    ("7×7×16", "ConvTranspose((4, 4), 16 => 8, stride=2, pad=1)", "14×14×8", 2056),
    # depthwise: one group per input channel
    ("32×32×16", "DepthwiseConv((3, 3), 16 => 32, pad=1)", "32×32×32", 3 * 3 * 32 + 32),
])
def test_other_convolutions(input, layer, out, params):
    m = model_of(f"model m(x: {input}) = {layer}")
    assert str(m.output_shape) == out
    assert m.params == params


@pytest.mark.parametrize("input, layer, code, fragment", [
    ("3×3×1", "Conv((5, 5), 1 => 1)", "E0302", "a 5×5 window does not fit a 3×3 input"),
    ("5×5×1", "Conv((3, 3), 1 => 1, dilation=3)", "E0302", "a 7×7 window (dilated from 3×3)"),
    ("4×4×1", "Conv((5, 5), 1 => 1, pad=(0, 0))", "E0302", "without padding"),
    ("784", "Conv((3, 3), 1 => 4)", "E0303", "a 2-D convolution applied to a vector of 784"),
    ("100×2", "Conv((3, 3), 2 => 4)", "E0303", "a 2-D convolution applied to a 100×2 sequence"),
    ("32×32×3", "Conv((3, 3), 4 => 8)", "E0300", "declares 4 input channels but receives 3"),
    ("16×16×8", "Conv((3, 3), 8 => 12, groups=5)", "E0305", "cannot be split into 5 groups"),
    ("16×16×8", "Conv((3, 3), 8 => 8, pad=(1, 2, 3))", "E0103", "`pad` has 3 entries"),
    ("16×16×8", "Conv((3, 3), 8 => 8, stride=(1, 2, 3))", "E0103", "`stride` has 3 entries"),
    ("16×16×8", "Conv((3, 0), 8 => 8)", "E0202", "must be positive"),
    ("16×16×8", "Conv2d((3,), 8 => 8)", "E0103", "`Conv2d` takes a 2-D kernel"),
    ("16×16×8", "Conv((3, 3), 8)", "E0103", "expected channels `in => out`"),
    ("16×16×8", "Conv((3, 3))", "E0102", "missing its `channels` argument"),
    ("16×16×8", "Conv((3, 3), 8 => 8, strides=2)", "E0101", "Conv has no keyword `strides`"),
    ("16×16×8", "Conv((3, 3), 8 => _)", "E0103", "the output size cannot be inferred"),
    ("7×7×16", "ConvTranspose((4, 4), 16 => 8, pad=SamePad())", "E0103", "not defined for ConvTranspose"),
])
def test_conv_errors(input, layer, code, fragment):
    (err,) = errors_of(f"model m(x: {input}) = {layer}")
    assert err.code == code
    assert fragment in err.message


def test_unknown_keyword_suggests_the_right_one():
    (err,) = errors_of("model m(x: 8×8×1) = Conv((3, 3), 1 => 1, strides=2)")
    assert err.help == "did you mean `stride`?"
    assert err.span.text == "strides"
