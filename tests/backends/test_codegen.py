"""The generated source reads like hand-written PyTorch: names, blocks, shape comments."""
from __future__ import annotations

import archlang

from conftest import SPECS

from .helpers import compiled, forward_agrees, param_count


def test_model2_source():
    src = archlang.compile(SPECS / "book/model2.arch")
    for line in ["class Model2(nn.Module):",
                 "        self.conv1 = nn.Conv2d(1, 8, kernel_size=5)",
                 "        self.pool2 = nn.MaxPool2d(2)",
                 "        self.fc6 = nn.Linear(400, 10)",
                 "        x = F.relu(self.conv1(x))  # N×8×24×24",
                 "        x = x.flatten(1)           # N×400",
                 "        return x"]:
        assert line in src.splitlines(), line
    assert "input N×1×28×28" in src and "import archlang" not in src


def test_blocks_are_classes_with_their_parameters():
    src = archlang.compile(SPECS / "famous/resnet18.arch")
    assert "class BasicBlock(nn.Module):" in src and "    def __init__(self, c):" in src
    assert "nn.Conv2d(c, c, kernel_size=3, padding=1, bias=False)" in src
    assert "self.basic_blocks4 = nn.Sequential(BasicBlock(64), BasicBlock(64))" in src
    assert "self.basic_block_down5 = BasicBlockDown(64, 128, 2)" in src
    assert "        x = h + x " in src


def test_inferred_sizes_become_an_extra_keyword_argument():
    spec = "block B(c) = Conv((3, 3), _ => c, pad=1)\nmodel m(x: 8×8×3) = Chain(B(4), B(4))"
    src = archlang.compile(spec)
    assert "def __init__(self, c, *, c_in):" in src
    assert "self.b1 = B(4, c_in=3)" in src and "self.b2 = B(4, c_in=4)" in src
    report, gen, module = compiled(spec)
    assert param_count(module) == report.params
    forward_agrees(report, gen, module)


def test_a_stride_parameter_equal_to_one_shares_the_class():
    spec = ("block D(c, s) = Conv((3, 3), _ => c, stride=s, pad=1)\n"
            "model m(x: 8×8×4) = Chain(D(4, 1), D(4, 2))")
    src = archlang.compile(spec)
    assert src.count("class D") == 1 and "stride=s" in src
    assert "self.d1 = D(4, 1)" in src and "self.d2 = D(4, 2)" in src


def test_block_shape_comments_follow_the_stride():
    # Inside a block called at several sizes, a strided layer's size is written relative to
    # the block's input: H/s where the parameter s is the stride in every call.
    source = archlang.compile(SPECS / "famous/resnet18.arch")
    down = source[source.index("class BasicBlockDown"):source.index("class Resnet18")]
    assert "h = self.conv1(x)        # N×c×H/s×W/s" in down
    plain = source[source.index("class BasicBlock("):source.index("class BasicBlockDown")]
    assert "# N×c×H×W" in plain
