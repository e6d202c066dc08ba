"""Which layout each value of a compiled model takes (backends/torch/layout.py): transposes
only where a layer of one layout meets a value in the other, and the numbers unchanged."""
import pytest
import torch
import torch.nn as nn

import archlang
from archlang.layers.layout import CHANNELS_FIRST, CHANNELS_LAST

from .helpers import compiled, forward_agrees, param_count
from conftest import SPECS


def _forward(source: str, cls: str) -> str:
    body = source[source.index(f"class {cls}("):]
    body = body[body.index("def forward"):]
    return body[:body.index("\nclass ")] if "\nclass " in body else body


def test_a_convolution_net_has_no_conversion():
    source = archlang.compile(SPECS / "famous/resnet18.arch")
    assert ".permute(" not in source and ".transpose(" not in source


def test_vit_encoder_blocks_read_like_torchvisions():
    # torchvision's EncoderBlock: ln → attention → dropout → + → ln → MLP → +, all N×L×C.
    source = archlang.compile(SPECS / "zoo/vit_b_16.arch")
    block = _forward(source, "EncoderBlock")
    assert "transpose" not in block and "permute" not in block
    assert "self.attention1(h)" in block
    # One transpose in the whole model: the patches (a convolution's output) entering the
    # sequence, as torchvision's `x.reshape(n, c, h * w).permute(0, 2, 1)`.
    assert source.count(".transpose(1, 2)") == 1 and ".permute(" not in source
    report, gen, m = compiled(SPECS / "zoo/vit_b_16.arch", device="meta")
    maps = gen.maps[report.name]
    encoded = [i for i in report.infos if str(i.layer).startswith("LayerNorm")][-1]
    assert maps.layouts[encoded.node.id] == CHANNELS_LAST
    conv = next(i for i in report.infos if str(i.layer).startswith("Conv"))
    assert maps.layouts[conv.node.id] == CHANNELS_FIRST


def test_layer_norm_on_an_image_is_per_pixel_and_the_image_leaves_channels_first():
    report, gen, m = compiled("model m(x: 5×4×3) = Chain(Conv((1, 1), 3 => 6), LayerNorm(6), relu)")
    with torch.no_grad():
        m.ln1.weight.normal_()
    x = torch.randn(2, 3, 4, 5)
    h = m.conv1(x)
    want = torch.relu(nn.functional.layer_norm(h.movedim(1, -1), (6,), m.ln1.weight, m.ln1.bias))
    assert torch.allclose(m(x), want.movedim(-1, 1), atol=1e-6)
    forward_agrees(report, gen, m)
    assert "x.permute(0, 2, 3, 1)" in archlang.compile("model m(x: 5×4×3) = LayerNorm(3)")


def test_softmax_finds_the_channels_in_either_layout():
    _, _, m = compiled("model m(x: 6×4) = Dense(4 => 3, softmax)")       # per token: N×L×C
    y = m(torch.randn(2, 4, 6))
    assert y.shape == (2, 6, 3) and torch.allclose(y.sum(-1), torch.ones(2, 6))
    _, _, m = compiled("model m(x: 6×4) = Chain(Conv((1,), 4 => 3), softmax)")  # N×C×L
    y = m(torch.randn(2, 4, 6))
    assert y.shape == (2, 3, 6) and torch.allclose(y.sum(1), torch.ones(2, 6))


def test_a_parameter_is_made_in_the_layout_its_consumers_take():
    spec = "model m(x: 3×4) = { h = x + Parameter(3×4; init=\"ones\") return LayerNorm(4)(h) }"
    source = archlang.compile(spec)
    assert "torch.ones(1, 3, 4)" in source        # N×L×C: added after x moved to LayerNorm's
    report, gen, m = compiled(spec)
    x = torch.randn(2, 4, 3)
    ln = next(c for c in m.modules() if isinstance(c, nn.LayerNorm))
    want = nn.functional.layer_norm(x.transpose(1, 2) + 1, (4,), ln.weight, ln.bias)
    assert torch.allclose(m(x), want, atol=1e-6)
    forward_agrees(report, gen, m)


def test_a_folded_repeat_takes_each_copy_in_the_layout_it_gives():
    # 10^4 copies of (Dense per token, relu) on a sequence that arrives channels first: the
    # transpose happens once, before the repeat, and every copy sees N×L×C.
    spec = "model m(x: 3×4) = repeat(10^4, Chain(Dense(4 => 4), relu))"
    report, gen, m = compiled(spec)
    assert report.model.graph.folds
    assert "self.repeateds1(x.transpose(1, 2))" in archlang.compile(spec)
    x = torch.randn(2, 4, 3)
    h = x.transpose(1, 2)
    with torch.no_grad():
        for copy in m.repeateds1:
            h = torch.relu(copy.fc1(h))
        assert torch.allclose(m(x), h)
    assert param_count(m) == report.params == 10**4 * 20


def test_joins_of_values_in_different_layouts_meet_in_one():
    # a skip from a convolution (channels first) added to a per-token Dense's output.
    spec = ("model m(x: 6×4) = { h = Conv((1,), 4 => 4)(x) "
            "return Dense(4 => 4)(h) + h }")
    report, gen, m = compiled(spec)
    x = torch.randn(2, 4, 6)
    h = m.h(x)
    want = m.fc1(h.transpose(1, 2)) + h.transpose(1, 2)
    assert torch.allclose(m(x), want, atol=1e-6)
    forward_agrees(report, gen, m)


@pytest.mark.parametrize("spec", ["model m(x: 6×4) = Chain(Dense(4 => 8), LayerNorm(8), Select(2))",
                                  "model m(x: 6×4) = Chain(LayerNorm(4), Slice(2, 5; dims=1))",
                                  "model m(x: 6×4) = Chain(LayerNorm(4), Chunk(2, 2))"])
def test_dimension_naming_layers_work_channels_last(spec):
    report, gen, m = compiled(spec)
    source = archlang.compile(spec)
    assert source.count(".transpose(1, 2)") == 1          # the input's, nothing after it
    forward_agrees(report, gen, m)


STEM = ("block B(c) = SkipConnection(Chain(LayerNorm(c), Dense(c => c)), +)\n"
        "model m(x: 8×8×3) = Chain(Chain(Conv((2, 2), 3 => 4; stride=2), LayerNorm(4); name=\"stem\"), {})")


def test_a_named_chain_hands_on_the_layout_its_last_layer_gives():
    # torchvision's Swin stem: nn.Sequential(Conv2d, Permute([0, 2, 3, 1]), LayerNorm), whose
    # blocks take channels last: the LayerNorm at position 2 (key stem.2.weight), no move back.
    report, gen, m = compiled(STEM.format("B(4), GlobalMeanPool(), flatten"))
    assert [type(s).__name__ for s in m.stem] == ["Conv2d", "Permute", "LayerNorm"]
    assert "stem.2.weight" in m.state_dict() and m.stem[1].dims == (0, 2, 3, 1)
    forward_agrees(report, gen, m)
    x = torch.randn(2, 3, 8, 8)
    h = m.stem[2](m.stem[0](x).permute(0, 2, 3, 1))
    h = h + m.b1.fc1(m.b1.ln1(h))
    assert torch.allclose(m(x), h.mean((1, 2)), atol=1e-6)


def test_a_lone_layernorm_before_a_convolution_is_torchvisions_layernorm2d():
    # ConvNeXt's stem: its LayerNorm2d between channels-first layers is one module, one key.
    _, _, m = compiled(STEM.format("Conv((1, 1), 4 => 4)"))
    assert [type(s).__name__ for s in m.stem] == ["Conv2d", "LayerNorm2d"]


def test_attention_is_one_module_of_a_named_chain():
    # MaxViT's attn_layer: nn.Sequential(LayerNorm, its attention, Dropout), keys attn_layer.1.….
    _, _, m = compiled('model m(x: 4×6×8) = Chain(Chain(LayerNorm(8), MultiHeadAttention(8, 2; '
                       'relative_bias=2, keys="maxvit"), Dropout(0.0); name="attn_layer"))')
    assert [type(s).__name__ for s in m.attn_layer] == ["LayerNorm", "Attention", "Dropout"]
    assert "attn_layer.1.to_qkv.weight" in m.state_dict()
