"""MAC counts: by hand for model2 and odd convolutions, and the published totals."""
from __future__ import annotations

import pytest

import archlang
from conftest import SPECS


def test_model2_by_hand():
    a = archlang.analyze(SPECS / "book/model2.arch")
    # conv1: k_w·k_h·c_in·c_out·out_w·out_h = 5·5·1·8·24·24 = 115,200
    # conv2: 3·3·8·16·10·10 = 115,200
    # dense: 400·10 = 4,000; pools and flatten: no MACs (pooling is element ops)
    assert [r.macs for r in a.layers] == [115_200, 0, 115_200, 0, 0, 4_000]
    assert a.totals.macs == 234_400 and a.totals.flops == 468_800
    # Element ops: conv1 bias + relu on 24·24·8 = 2·4,608; pool1 4 compares per output 4·1,152;
    # conv2 2·1,600; pool2 4·400; dense bias 10.
    assert [r.element_ops for r in a.layers] == [9_216, 4_608, 3_200, 1_600, 0, 10]


def test_groups_and_dilation_by_hand():
    a = archlang.analyze("""model m(x: 10×10×8) = Chain(
        Conv((3, 3), 8 => 16, groups=4, dilation=2, pad=2),    # 10×10×16
        DepthwiseConv((3, 3), 16 => 16, pad=1, bias=false),    # 10×10×16
        Conv((1, 1), 16 => 4, stride=2))                       # 5×5×4""")
    # Grouped: each output sees c_in/groups = 2 channels; dilation widens the window,
    # not the number of taps: 3·3·2·16·10·10 = 28,800.
    # Depthwise: one input channel per output: 3·3·1·16·10·10 = 14,400.
    # Strided 1×1: 1·1·16·4·5·5 = 1,600.
    assert [r.macs for r in a.layers] == [28_800, 14_400, 1_600]


def test_a_3d_and_a_1d_convolution():
    a = archlang.analyze("model m(x: 8×8×8×2) = Chain(Conv((3, 3, 3), 2 => 4))")
    assert a.layers[0].macs == 27 * 2 * 4 * 6 ** 3
    b = archlang.analyze("model m(x: 100×2) = Chain(Conv((5,), 2 => 3, stride=5))")
    assert b.layers[0].macs == 5 * 2 * 3 * 20


# torchvision's weights metadata ("GFLOPS", which are GMACs: convolutions and linear layers,
# without bias, batch norm, pooling or activations), to its published precision.
PUBLISHED = {
    "resnet18": 1.81, "resnet34": 3.66, "resnet50": 4.09, "resnet152": 11.51,
    "vgg16": 15.47, "vgg19": 19.63, "alexnet": 0.71, "googlenet": 1.50, "mobilenet_v2": 0.30,
}


@pytest.mark.parametrize("name,gmacs", sorted(PUBLISHED.items()))
def test_famous_totals_match_torchvision(name, gmacs):
    a = archlang.analyze(SPECS / f"famous/{name}.arch")
    assert round(a.totals.macs / 1e9, 2) == gmacs
