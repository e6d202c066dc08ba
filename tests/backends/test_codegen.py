"""The generated source reads like hand-written PyTorch: names, blocks, shape comments."""
from __future__ import annotations

import archlang

from conftest import SPECS

from .helpers import compiled, forward_agrees, param_count


def test_model2_source():
    src = archlang.compile(SPECS / "book/model2.arch")
    for line in ["class Model2(nn.Module):",
                 "        self.conv1 = nn.Conv2d(1, 8, kernel_size=5)",
                 "        self.pool1 = nn.MaxPool2d(2)",
                 "        self.fc1 = nn.Linear(400, 10)",
                 "        x = F.relu(self.conv1(x))  # N×8×24×24",
                 "        x = x.flatten(1)           # N×400",
                 "        return x"]:
        assert line in src.splitlines(), line
    assert "input N×1×28×28" in src and "import archlang" not in src


def test_blocks_are_classes_with_their_parameters():
    src = archlang.compile(SPECS / "famous/resnet18.arch")
    assert "class BasicBlock(nn.Module):" in src and "    def __init__(self, c):" in src
    assert "nn.Conv2d(c, c, kernel_size=3, padding=1, bias=False)" in src
    assert "self.basic_blocks1 = nn.Sequential(*[BasicBlock(64) for _ in range(2)])" in src
    assert "self.basic_block_down1 = BasicBlockDown(64, 128, 2)" in src
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


def test_repeats_are_written_one_way_for_every_count():
    # Copies built alike: one comprehension whatever n (the spec's count in one place); the
    # submodules are numbered 0…n−1 as with listed copies, so the state_dict keys are too.
    spec = ("block B(c) = Dense(c => c, relu)\n"
            "model m(x: 4) = Chain(repeat(1, B(4)), repeat(2, B(4)), repeat(3, B(4)))")
    src = archlang.compile(spec)
    for pos, n in [(1, 1), (2, 2), (3, 3)]:
        assert f"        self.bs{pos} = nn.Sequential(*[B(4) for _ in range({n})])" in src.splitlines()
    report, gen, module = compiled(spec)
    assert list(module.state_dict()) == [f"bs{pos}.{k}.fc1.{p}" for pos, n in [(1, 1), (2, 2), (3, 3)]
                                         for k in range(n) for p in ("weight", "bias")]
    forward_agrees(report, gen, module)


def test_copies_that_differ_are_listed_one_per_line_when_long():
    # A first copy whose input channels are inferred differently cannot share the
    # comprehension; DenseNet's long lists go one copy per line.
    short = archlang.compile("block B(c) = Conv((3, 3), _ => c, pad=1)\n"
                             "model m(x: 8×8×3) = repeat(2, B(4))")
    assert "self.bs1 = nn.Sequential(B(4, c_in=3), B(4, c_in=4))" in short
    lines = archlang.compile(SPECS / "zoo/densenet121.arch").splitlines()
    start = lines.index("        self.dense_layers1 = nn.Sequential(")
    assert lines[start + 1:start + 8] == [f"            DenseLayer(32, 4, c_in={c})," for c in
                                          (64, 96, 128, 160, 192, 224)] + ["        )"]


def test_shape_comments_stay_aligned_past_long_lines():
    # ViT's forward has a line of 61 characters: it keeps two spaces before its comment (it
    # once got one: shorter than the column but past the cap), and the other lines align
    # their comments two spaces past the longest line of at most 60.
    source = archlang.compile(SPECS / "zoo/vit_b_16.arch")
    block = source[source.index("class VitB16"):]
    lines = [line for line in block.splitlines() if " # N×" in line]
    assert len(lines) == 11
    codes = [line[:line.index(" # N×")].rstrip() for line in lines]
    long = [line for line, code in zip(lines, codes) if len(code) - 8 > 60]
    assert len(long) == 1 and all("  # N×" in line and "   # N×" not in line for line in long)
    columns = {line.index("# N×") for line, code in zip(lines, codes) if len(code) - 8 <= 60}
    assert columns == {8 + max(len(c) - 8 for c in codes if len(c) - 8 <= 60) + 2}


def test_comment_column_rule():
    from archlang.backends.torch.classes import COMMENT_COLUMN_CAP, commented
    long = "y" * (COMMENT_COLUMN_CAP + 1)
    assert commented([("x = a", "# 1"), ("h = abc", "# 2"), (long, "# 3"), ("return x", "")]) == [
        "x = a    # 1", "h = abc  # 2", f"{long}  # 3", "return x"]


def test_a_block_called_on_an_image_and_on_a_vector_compiles():
    # Found by the hour-long fuzz: one block class for calls of different ranks had no
    # common shape comment (an IndexError while writing it).
    text = ("block D(p) = Dropout(p)\n"
            "model m(x: 4×4×2) = Chain(D(0.5), flatten, D(0.5), Dense(32 => 2))\n")
    report, gen, module = compiled(text)
    assert "x = self.drop1(x)  # N×… (the calls differ in rank)" in gen.source
    assert param_count(module) == report.params == 32 * 2 + 2
    forward_agrees(report, gen, module)
