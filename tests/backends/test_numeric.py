"""Numbers, not just shapes: the book's convolution examples, Flux's conventions (flatten
order, SamePad's odd pixel, −∞ max-pool padding, mean pooling counting zeros), and the
generated modules against hand-written PyTorch with copied weights."""
from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import archlang
from conftest import SPECS

SIGNAL = torch.tensor([[[1.0, 2, 3, 1, 2, 3, 1, 2, 3]]])       # N×C×L = 1×1×9


def averaging(spec: str):
    m = archlang.load(spec)
    with torch.no_grad():
        m.conv1.weight.fill_(1 / 3)
    return m


@pytest.mark.parametrize("args,expected", [
    ("pad=2", [1 / 3, 1, 2, 2, 2, 2, 2, 2, 2, 5 / 3, 1]),
    ("pad=0", [2.0] * 7),
    ("pad=1, stride=2", [1, 2, 2, 2, 5 / 3]),
])
def test_book_moving_average(args, expected):
    # Book §5.3.1: x = [1 2 3 1 2 3 1 2 3] with h = [1 1 1]/3.
    m = averaging(f"model m(x: 9×1) = Conv((3,), 1 => 1, {args}, bias=false)")
    y = m(SIGNAL)
    assert torch.allclose(y[0, 0], torch.tensor(expected, dtype=torch.float32))


def test_flatten_order_is_fluxs_column_major():
    # Spec element (w, h, c) of a W×H×C array sits at w + W·(h + H·c) after Flux's vec().
    m = archlang.load("model m(x: 4×3×2) = flatten")
    x = torch.arange(24.0).reshape(1, 2, 3, 4)          # N×C×H×W
    y = m(x)[0]
    for w in range(4):
        for h in range(3):
            for c in range(2):
                assert y[w + 4 * (h + 3 * c)] == x[0, c, h, w]


def test_reshape_inverts_flatten():
    m = archlang.load("model m(x: 4×3×2) = Chain(flatten, reshape(4, 3, 2))")
    x = torch.randn(2, 2, 3, 4)
    assert torch.equal(m(x), x)


def test_nonsquare_kernel_and_input_follow_w_h_order():
    # Kernel (5, 3) is 5 wide, 3 high: PyTorch's kernel_size is (3, 5) (H, W).
    m = archlang.load("model m(x: 10×6×1) = Conv((5, 3), 1 => 1)")
    assert m.conv1.kernel_size == (3, 5)
    assert tuple(m(torch.randn(1, 1, 6, 10)).shape) == (1, 1, 4, 6)


def test_samepad_puts_the_odd_pixel_low():
    # Kernel 4: total padding 3, Flux puts 2 on the low side and 1 on the high side.
    m = archlang.load("model m(x: 5×1) = Conv((4,), 1 => 1, pad=SamePad(), bias=false)")
    with torch.no_grad():
        m.conv1.weight.zero_()
        m.conv1.weight[0, 0, 0] = 1.0                    # picks the first element of each window
    x = torch.arange(1.0, 6.0).reshape(1, 1, 5)
    assert m(x).flatten().tolist() == [0, 0, 1, 2, 3]


def test_uneven_padding_matches_explicit_pad():
    m = archlang.load("model m(x: 10×12×1) = Conv((3, 3), 1 => 2, pad=(1, 2, 0, 3))")
    x = torch.randn(1, 1, 12, 10)
    ref = F.conv2d(F.pad(x, (1, 2, 0, 3)), m.conv1.weight, m.conv1.bias)
    assert torch.allclose(m(x), ref)


def test_maxpool_padding_beyond_half_the_window_is_minus_infinity():
    # PyTorch's MaxPool refuses pad > k // 2; the compiled module pads with −∞ itself.
    m = archlang.load("model m(x: 4×4×1) = MaxPool((2, 2), pad=1)")
    x = -torch.rand(1, 1, 4, 4) - 1                      # all negative: zero padding would show
    y = m(x)
    assert tuple(y.shape) == (1, 1, 3, 3)
    assert (y < 0).all() and y[0, 0, 0, 0] == x[0, 0, 0, 0]


def test_meanpool_counts_padding_zeros():
    m = archlang.load("model m(x: 2×2×1) = MeanPool((2, 2), pad=1)")
    y = m(torch.ones(1, 1, 2, 2))
    assert torch.allclose(y, torch.full((1, 1, 2, 2), 0.25))


def test_skip_cat_order_is_layer_output_then_input():
    m = archlang.load("model m(x: 3×3×2) = SkipConnection(Conv((1, 1), 2 => 1), cat)")
    x = torch.randn(1, 2, 3, 3)
    y = m(x)
    assert torch.allclose(y[:, :1], m.conv1(x)) and torch.equal(y[:, 1:], x)


def test_conv_transpose_uneven_padding_crops():
    m = archlang.load("model m(x: 5×5×1) = ConvTranspose((4, 4), 1 => 1, stride=2, pad=(1, 2, 0, 1))")
    x = torch.randn(1, 1, 5, 5)
    full = F.conv_transpose2d(x, m.convt1.weight, m.convt1.bias, stride=2)      # 12×12
    assert torch.allclose(m(x), full[:, :, 0:12 - 1, 1:12 - 2])


def test_init_is_applied():
    m = archlang.load('model m(x: 10) = Dense(10 => 4, init="zeros")')
    assert m.fc1.weight.abs().sum() == 0 and m.fc1.bias.abs().sum() == 0
    archlang.load('model m(x: 8×8×3) = Conv((3, 3), 3 => 4, init="kaiming_normal")')


class HandModel2(nn.Module):
    """The book's model2 written by hand."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 8, 5)
        self.c2 = nn.Conv2d(8, 16, 3)
        self.fc = nn.Linear(400, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.fc(torch.flatten(x, 1))


def _copy(dst: nn.Module, src: nn.Module) -> None:
    """Copy parameters and buffers in order (the two modules declare them alike)."""
    with torch.no_grad():
        for a, b in zip(list(dst.parameters()) + list(dst.buffers()),
                        list(src.parameters()) + list(src.buffers()), strict=True):
            a.copy_(b)


def test_model2_equals_hand_written():
    m = archlang.load(SPECS / "book/model2.arch").eval()
    hand = HandModel2().eval()
    _copy(hand, m)
    x = torch.randn(4, 1, 28, 28)
    assert torch.allclose(m(x), hand(x), atol=1e-6)


class HandBasicBlock(nn.Module):
    """torchvision's BasicBlock (identity shortcut) written by hand."""

    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + x)


@pytest.mark.parametrize("train", [False, True])
def test_basic_block_equals_hand_written(train):
    spec = 'import "std/resnet.arch"\nmodel m(x: 8×8×16) = BasicBlock(16)'
    m = archlang.load(spec)
    hand = HandBasicBlock(16)
    with torch.no_grad():                       # non-trivial BatchNorm statistics
        for bn in (m.basic_block1.bn1, m.basic_block1.bn2):
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
            bn.weight.uniform_(0.5, 2)
            bn.bias.uniform_(-1, 1)
    _copy(hand, m)
    m.train(train)
    hand.train(train)
    x = torch.randn(3, 16, 8, 8)
    assert torch.allclose(m(x), hand(x), atol=1e-5)


@pytest.mark.parametrize("shape, layer", [
    ("112×112×8", "MaxPool((3, 3), stride=2, ceil=true)"),
    ("5×5×1", "MaxPool((2, 2), pad=1, ceil=true)"),
    ("13×11×2", "MaxPool((2, 3), stride=(2, 2), ceil=true)"),
    ("7×6×5×2", "MeanPool((2, 2, 2), ceil=true)"),
    ("9×1", "MeanPool((2,), ceil=true)"),
])
def test_ceil_mode_pools_agree_with_pytorch(shape, layer):
    import torch

    import archlang
    from archlang.backends.torch import torch_shape
    text = f"model m(x: {shape}) = {layer}"
    report = archlang.check(text).model()
    y = archlang.load(text)(torch.randn(2, *torch_shape(report.input_shape)))
    assert tuple(y.shape[1:]) == torch_shape(report.output_shape)


def test_squeeze_excitation_equals_hand_written():
    # The gate is computed on the pooled map and multiplies every pixel (broadcasting 1×1).
    spec = ("block SE(c, r) = SkipConnection(Chain(GlobalMeanPool(), Conv((1, 1), c => r, relu), "
            "Conv((1, 1), r => c, sigmoid)), *)\n"
            "model m(x: 7×5×6) = Chain(SE(6, 2), SkipConnection(Conv((1, 1), 6 => 1), +))")
    m = archlang.load(spec).eval()
    x = torch.randn(3, 6, 5, 7)
    se = m.se1
    gate = torch.sigmoid(se.conv2(F.relu(se.conv1(x.mean((2, 3), keepdim=True)))))
    h = gate * x
    conv = [mod for mod in m.children() if isinstance(mod, nn.Conv2d)][0]
    expected = conv(h) + h                       # one channel broadcast over six
    assert torch.allclose(m(x), expected, atol=1e-6)
