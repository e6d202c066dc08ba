"""The layers of issue 10 compiled and run: every module against the same computation written
by hand in PyTorch (activations, upsampling, pixel and channel shuffles, chunks and slices,
per-channel scale)."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import archlang

from .helpers import compiled, forward_agrees, param_count


def run(spec: str, x: torch.Tensor) -> torch.Tensor:
    m = archlang.load(spec).eval()
    with torch.no_grad():
        return m(x)


# ---- activations ----------------------------------------------------------------------------
def _gelu_erf(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))


def _gelu_tanh(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


@pytest.mark.parametrize("written,reference", [
    ("GELU()", _gelu_erf), ("GELU", _gelu_erf), ('GELU(approximate="none")', _gelu_erf),
    ("gelu_erf", _gelu_erf), ("gelu", _gelu_tanh), ('GELU(approximate="tanh")', _gelu_tanh),
    ("mish", lambda x: x * torch.tanh(torch.log1p(torch.exp(x)))),
    # NNlib's hardσ and PyTorch's Hardsigmoid: max(0, min(1, (x + 3)/6)).
    ("hardsigmoid", lambda x: torch.clamp((x + 3) / 6, 0, 1)),
    ("hardσ", lambda x: torch.clamp((x + 3) / 6, 0, 1)),
])
def test_activation_formula(written, reference):
    x = torch.linspace(-5, 5, 101, dtype=torch.float64).reshape(1, 101)
    m = archlang.load(f"model m(x: 101) = {written}").double()
    assert torch.allclose(m(x), reference(x), atol=1e-12)


def test_erf_and_tanh_gelu_differ():
    # The two forms differ by up to 4.7e-4 (near x = 2.7): enough to break logit agreement.
    x = torch.tensor([[2.7]], dtype=torch.float64)
    erf = archlang.load("model m(x: 1) = GELU()").double()(x)
    tanh = archlang.load("model m(x: 1) = gelu").double()(x)
    assert abs((erf - tanh).item()) > 4e-4


# ---- upsampling -------------------------------------------------------------------------------
@pytest.mark.parametrize("spec_in,layer,reference", [
    # Spec shapes are W×H×C; PyTorch's tensors N×C×H×W, so a scale (2, 3) is (3, 2) there.
    ("5×4×3", "Upsample(scale=(2, 3))", lambda x: F.interpolate(x, scale_factor=(3, 2))),
    ("5×4×3", "Upsample(size=(7, 9))", lambda x: F.interpolate(x, size=(9, 7))),    # not whole
    ("5×4×3", "Upsample(nearest, scale=2)",
     lambda x: x.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)),
    ("5×4×3", "Upsample(bilinear, scale=2)",
     lambda x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)),
    ("5×4×3", "Upsample(bilinear, scale=2, align_corners=true)",
     lambda x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)),
    ("5×4×3", "Upsample(bilinear, size=(11, 7))",
     lambda x: F.interpolate(x, size=(7, 11), mode="bilinear", align_corners=False)),
    ("5×4×3", "Upsample(size=(11, 7))", lambda x: F.interpolate(x, size=(7, 11))),
    ("6×2", "Upsample(linear, scale=3)",
     lambda x: F.interpolate(x, scale_factor=3, mode="linear", align_corners=False)),
    ("3×4×2×2", "Upsample(trilinear, scale=(1, 2, 3))",
     lambda x: F.interpolate(x, scale_factor=(3, 2, 1), mode="trilinear", align_corners=False)),
])
def test_upsample_equals_interpolate(spec_in, layer, reference):
    *spatial, c = [int(d) for d in spec_in.split("×")]
    x = torch.randn(2, c, *reversed(spatial))
    y = run(f"model m(x: {spec_in}) = {layer}", x)
    assert torch.allclose(y, reference(x), atol=1e-6)


@pytest.mark.parametrize("scale", [2, 3, 41])
def test_nearest_repeats_every_pixel(scale):
    # Flux's nearest upsampling by a whole factor repeats each pixel; PyTorch's "nearest"
    # rounds 1/41 down in float32 and would read input 0 for output 41.
    x = torch.arange(37.0).reshape(1, 1, 37)
    for layer in (f"Upsample(scale={scale})", f"Upsample(size={37 * scale})"):
        y = run(f"model m(x: 37×1) = {layer}", x)
        assert torch.equal(y, x.repeat_interleave(scale, dim=2))


def test_bilinear_by_hand():
    # Half-pixel centres (align_corners=false): a 2-pixel row [a, b] upsampled ×2 is
    # [a, a + (b − a)/4, b − (b − a)/4, b] (the ends clamp).
    x = torch.tensor([[[[1.0, 5.0]]]])                            # N×C×H×W = 1×1×1×2
    y = run("model m(x: 2×1×1) = Upsample(bilinear, scale=(2, 1))", x)
    assert y.flatten().tolist() == [1.0, 2.0, 4.0, 5.0]


def test_pixel_shuffle_by_hand():
    r, c, h, w = 2, 3, 4, 5
    x = torch.randn(2, c * r * r, h, w)
    y = run(f"model m(x: {w}×{h}×{c * r * r}) = PixelShuffle({r})", x)
    assert y.shape == (2, c, h * r, w * r)
    for ch in range(c):
        for i in range(r):                                        # offset in H
            for j in range(r):                                    # offset in W
                assert torch.equal(y[:, ch, i::r, j::r], x[:, ch * r * r + i * r + j])


# ---- channel operations -----------------------------------------------------------------------
@pytest.mark.parametrize("shape", ["5×4×12", "7×12", "2×3×4×12"])
def test_channel_shuffle_is_shufflenets(shape):
    dims = [int(d) for d in shape.split("×")]
    x = torch.randn(2, dims[-1], *reversed(dims[:-1]))
    y = run(f"model m(x: {shape}) = ChannelShuffle(3)", x)
    # torchvision's shufflenetv2.channel_shuffle, written out.
    n, c = x.shape[:2]
    ref = x.view(n, 3, c // 3, *x.shape[2:]).transpose(1, 2).reshape(x.shape)
    assert torch.equal(y, ref)


# (spec shape, layer, the same selection on the N×C×… tensor)
PARTS = [
    ("5×4×6", "Chunk(2, 2)", lambda x: x[:, 3:6]),
    ("5×4×6", "Chunk(3, 2; dims=3)", lambda x: x[:, 2:4]),
    ("5×4×6", "Chunk(5, 4; dims=1)", lambda x: x[:, :, :, 3:4]),           # W is torch dim 3
    ("5×4×6", "Chunk(2, 2; dims=2)", lambda x: x[:, :, 2:4, :]),           # H is torch dim 2
    ("5×4×6", "Slice(2, 5)", lambda x: x[:, 1:5]),
    ("5×4×6", "Slice(2, 4; dims=1)", lambda x: x[:, :, :, 1:4]),
    ("5×4×6", "Slice(3, 3; dims=2)", lambda x: x[:, :, 2:3, :]),
    ("8×6", "Slice(3, 7; dims=1)", lambda x: x[:, :, 2:7]),                # L is torch dim 2
    ("8×6", "Chunk(2, 1; dims=2)", lambda x: x[:, 0:3]),
    ("5×4×3×6", "Slice(2, 3; dims=3)", lambda x: x[:, :, 1:3]),            # D is torch dim 2
    ("5×4×3×6", "Slice(2, 3; dims=2)", lambda x: x[:, :, :, 1:3]),         # H is torch dim 3
    ("5×4×3×6", "Slice(2, 3; dims=1)", lambda x: x[:, :, :, :, 1:3]),      # W is torch dim 4
    ("5×4×3×6", "Chunk(2, 2)", lambda x: x[:, 3:6]),
    ("10", "Slice(4, 9)", lambda x: x[:, 3:9]),
    ("10", "Chunk(5, 5; dims=1)", lambda x: x[:, 8:10]),
]


@pytest.mark.parametrize("shape,layer,reference", PARTS, ids=[f"{s}:{l}" for s, l, _ in PARTS])
def test_parts_select_the_same_elements(shape, layer, reference):
    dims = [int(d) for d in shape.split("×")]
    torch_shape = dims if len(dims) == 1 else [dims[-1], *reversed(dims[:-1])]
    x = torch.arange(2 * math.prod(dims), dtype=torch.float32).reshape(2, *torch_shape)
    y = run(f"model m(x: {shape}) = {layer}", x)
    assert torch.equal(y, reference(x))


def test_parts_then_flatten_keep_flux_order():
    # The static shape and the tensor agree after a spatial slice (flatten reads it back).
    report, gen, module = compiled("model m(x: 5×4×2) = Chain(Slice(2, 4; dims=1), flatten, Dense(_ => 3))")
    forward_agrees(report, gen, module)
    assert report.output_shape == (3,) and param_count(module) == 3 * 3 * 4 * 2 + 3


# ---- per-channel scale ------------------------------------------------------------------------
def test_scale_is_gamma_x_plus_beta():
    report, gen, module = compiled("model m(x: 5×4×3) = Scale(3)")
    assert module.scale1.weight.shape == (3, 1, 1) and module.scale1.bias.shape == (3, 1, 1)
    assert torch.equal(module.scale1.weight.flatten(), torch.ones(3))      # init=1
    with torch.no_grad():
        module.scale1.weight.copy_(torch.tensor([2.0, -1.0, 0.5]).view(3, 1, 1))
        module.scale1.bias.copy_(torch.tensor([0.0, 1.0, 3.0]).view(3, 1, 1))
        x = torch.randn(2, 3, 4, 5)
        y = module(x)
    ref = torch.stack([2 * x[:, 0], -x[:, 1] + 1, 0.5 * x[:, 2] + 3], dim=1)
    assert torch.allclose(y, ref)


class HandLayerScale(torch.nn.Module):
    """torchvision's ConvNeXt layer scale: a C×1×1 parameter multiplying the branch."""

    def __init__(self, c):
        super().__init__()
        self.layer_scale = torch.nn.Parameter(torch.ones(c, 1, 1) * 1e-6)

    def forward(self, x):
        return self.layer_scale * x


def test_convnext_layer_scale_is_a_parameter_keyed_by_its_name():
    m = archlang.load("model m(x: 7×7×8) = Chain(Conv((1, 1), 8 => 8), "
                      'Scale(8, bias=false, init=1e-6; name="layer_scale"))')
    # Without β, γ is the Parameter itself: torchvision's key `layer_scale`, C×1×1 (a
    # module's own parameters come first in its state_dict, as in torchvision's CNBlock).
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == [
        ("layer_scale", (8, 1, 1)), ("conv1.weight", (8, 8, 1, 1)), ("conv1.bias", (8,))]
    assert torch.allclose(m.layer_scale, torch.full((8, 1, 1), 1e-6))
    hand = HandLayerScale(8)
    with torch.no_grad():
        hand.layer_scale.copy_(torch.randn(8, 1, 1))
        m.load_state_dict({**m.state_dict(), "layer_scale": hand.layer_scale})
        x = torch.randn(2, 8, 7, 7)
        assert torch.equal(m(x), hand(m.conv1(x)))


@pytest.mark.parametrize("shape,param_shape", [("10", (10,)), ("6×10", (10, 1)),
                                                ("2×3×4×10", (10, 1, 1, 1))])
def test_scale_parameter_shape_follows_the_rank(shape, param_shape):
    report, gen, module = compiled(f"model m(x: {shape}) = Scale(10, relu)")
    assert tuple(module.scale1.weight.shape) == param_shape
    with torch.no_grad():
        module.scale1.weight.copy_(torch.linspace(-1, 1, 10).view(param_shape))
        module.scale1.bias.fill_(0.25)
    x = torch.randn(2, *([10] if shape == "10" else
                         [10, *reversed([int(d) for d in shape.split("×")[:-1]])]))
    with torch.no_grad():
        y = module(x)
    assert torch.allclose(y, torch.relu(x * torch.linspace(-1, 1, 10).view(param_shape) + 0.25))


def test_every_new_layer_compiles_with_static_shapes():
    spec = """model m(x: 8×6×16) = Chain(PixelShuffle(2), ChannelShuffle(2), Chunk(2, 2),
        Slice(2, 5; dims=2), Scale(_, bias=false, init=1e-6), Upsample(bilinear, scale=(2, 3)),
        Upsample(size=(3, 4)), Scale(2, mish), GELU(), hardsigmoid)"""
    report, gen, module = compiled(spec)
    forward_agrees(report, gen, module)
    assert param_count(module) == report.params == 2 + 4
    report, gen, module = compiled(spec, device="meta")
    assert param_count(module) == report.params


class HandShuffleUnit(torch.nn.Module):
    """torchvision's ShuffleNetV2 InvertedResidual with stride 1, written out."""

    def __init__(self, c):
        super().__init__()
        h = c // 2
        nn = torch.nn
        self.branch2 = nn.Sequential(
            nn.Conv2d(h, h, 1, bias=False), nn.BatchNorm2d(h), nn.ReLU(),
            nn.Conv2d(h, h, 3, padding=1, groups=h, bias=False), nn.BatchNorm2d(h),
            nn.Conv2d(h, h, 1, bias=False), nn.BatchNorm2d(h), nn.ReLU())

    def forward(self, x):
        x1, x2 = x.chunk(2, dim=1)
        out = torch.cat((x1, self.branch2(x2)), dim=1)
        n, c, h, w = out.shape
        return out.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)


def test_shufflenet_unit_equals_torchvisions_by_position():
    m = archlang.load("""block ShuffleUnit(c) = Chain(
        Parallel(cat, Chunk(2, 1), Chain(Chunk(2, 2),
            Conv((1, 1), c ÷ 2 => c ÷ 2, bias=false), BatchNorm(c ÷ 2, relu),
            DepthwiseConv((3, 3), c ÷ 2 => c ÷ 2, pad=1, bias=false), BatchNorm(c ÷ 2),
            Conv((1, 1), c ÷ 2 => c ÷ 2, bias=false), BatchNorm(c ÷ 2, relu))),
        ChannelShuffle(2))
    model m(x: 7×6×16) = ShuffleUnit(16)""").eval()
    hand = HandShuffleUnit(16).eval()
    torch.manual_seed(0)
    with torch.no_grad():
        for a, b in zip(list(m.parameters()) + list(m.buffers()),
                        list(hand.parameters()) + list(hand.buffers()), strict=True):
            a.copy_(torch.rand_like(a.float()).to(a.dtype) + 0.5)   # statistics matter too
            b.copy_(a)
        x = torch.randn(2, 16, 6, 7)
        assert torch.allclose(m(x), hand(x), atol=1e-5)


EVERY_LAYER = """model m(x: 8×6×16) = Chain(PixelShuffle(2), ChannelShuffle(2), Chunk(2, 2),
    Slice(2, 5; dims=2), Scale(_, bias=false, init=1e-6), Upsample(bilinear, scale=(2, 3)),
    Scale(2, mish))"""


def test_new_layers_script():
    # Plain PyTorch: TorchScript takes the helper class and narrow() alike.
    m = archlang.load(EVERY_LAYER).eval()
    x = torch.randn(2, 16, 6, 8)
    with torch.no_grad():
        assert torch.allclose(torch.jit.script(m)(x), m(x))


@pytest.mark.slow
def test_new_layers_export():
    m = archlang.load(EVERY_LAYER).eval()
    x = torch.randn(2, 16, 6, 8)
    ep = torch.export.export(m, (x,))
    assert torch.allclose(ep.module()(x), m(x), atol=1e-6)
