"""from-torch on transformers written as torchvision writes them (tests/fromtorch/transformers.py):
ViT's class token, position embedding and nn.MultiheadAttention; Swin's permutes, windows and
patch merging; MaxViT's window and grid attention and its ModuleList; MLP-Mixer's transposes.
Each spec's compiled module takes the module's state_dict strictly, computes the same, and
converts back to the same spec."""
import pytest
import torch

import archlang
from archlang.fromtorch import Unsupported, from_torch
from tests.fromtorch import transformers as tr


def contract(module, shape, sizes=()):
    """The spec, its compiled module (the original's weights loaded strictly, outputs equal
    at `shape` and each of `sizes`, spec order) and the fixed point."""
    torch.manual_seed(0)
    module = module.eval()
    spec = from_torch(module, shape)
    assert archlang.check(spec).ok
    compiled = archlang.load(spec).eval()
    compiled.load_state_dict(module.state_dict(), strict=True)
    assert set(compiled.state_dict()) == set(module.state_dict())
    assert archlang.check(spec).model().params == sum(p.numel() for p in module.parameters())
    with torch.no_grad():
        for i, size in enumerate([shape, shape, *sizes]):
            x = torch.randn(2, *reversed(size), generator=torch.Generator().manual_seed(i))
            assert (compiled(x) - module(x)).abs().max() < 1e-5
    assert from_torch(compiled, shape, name=type(module).__name__) == spec
    return spec


def test_a_vit_reads_its_class_token_position_embedding_and_attention():
    spec = contract(tr.TinyViT(), (16, 16, 3))
    # The model's own learned tensor is a graph body's Parameter; the encoder's is joined to
    # its input inside its block, so that the keys stay `class_token`, `encoder.pos_embedding`.
    assert "    class_token = Parameter(1×16)\n" in spec
    assert '    h1 = Chain(Conv((8, 8), 3 => 16; stride=8, name="conv_proj"), reshape(4, 16))(x)\n' in spec
    assert "    h2 = cat(class_token, h1; dims=1)\n" in spec
    assert 'SkipConnection(Parameter(5×16; init="normal", name="pos_embedding"), +)' in spec
    assert 'MultiHeadAttention(16, 2; name="self_attention")' in spec
    assert 'EncoderBlock(name="encoder_layer_1")' in spec          # the OrderedDict's keys
    assert "Select(1)," in spec and 'Chain(Dense(16 => 5; name="head"); name="heads")' in spec


def test_a_swin_reads_its_permutes_windows_and_patch_merging():
    spec = contract(tr.TinySwin(), (16, 16, 3))
    # The stem's Permute([0, 2, 3, 1]) is a layout change (no layer), undone at the model's end.
    assert "Chain(Conv((2, 2), 3 => 8; stride=2), LayerNorm(8))" in spec and "Permute" not in spec
    assert "Windows(2),\n" in spec and "MergeWindows(2, (n, n))" in spec
    shifted = ("circshift((-1, -1)),", "reshape(4, n, n, c),",
               'MultiHeadAttention(c, h; relative_bias=2, shift=1, keys="swin", name="attn"),',
               "circshift((1, 1)),")
    assert all(line in spec for line in shifted)
    assert "reshape(2, 4, 2, 4, 8),\n    permutedims((2, 4, 5, 3, 1)),\n    reshape(4, 4, 32)," in spec


def test_a_map_the_window_does_not_divide_is_padded_as_torchvision_pads_it():
    # 10×10: maps of 5×5 padded to 6×6 for the windows; patch merging pads 5×5 to 6×6, then
    # 3×3 is padded to 4×4. Each cropped back after its windows are merged.
    spec = contract(tr.TinySwin(), (10, 10, 3))
    assert "ZeroPad((0, 1, 0, 1)),\n            Windows(2)," in spec
    assert "MergeWindows(2, (n, n)),\n            Slice(1, n2; dims=1),\n            Slice(1, n2; dims=2)," in spec
    assert "block PatchMerging() = Chain(\n    ZeroPad((0, 1, 0, 1)),\n    reshape(2, 3, 2, 3, 8)," in spec


def test_maxvit_attention_over_windows_and_a_grid_in_a_module_list():
    spec = contract(tr.TinyMaxViT(), (16, 16, 3))
    assert 'MultiHeadAttention(8, 2; relative_bias=2, scale=8^-0.5, keys="maxvit")' in spec
    assert "block WindowPartition(k) = Windows(k)" in spec      # reshape, permute, reshape
    assert "block SwapAxes() = permutedims((2, 1, 3))" in spec
    assert 'name="blocks"' in spec                               # the ModuleList: blocks.0, blocks.1


def test_a_transpose_between_per_token_layers_is_a_permutedims():
    spec = contract(tr.Mixer(), (8, 8, 3))
    assert "permutedims((2, 1)),\n" in spec and "Dense(4 => 6, gelu_erf; name=\"tokens\")" in spec


def test_a_layer_on_the_other_layout_is_reported():
    class ConvOnChannelsLast(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(3, 3)
            self.conv = torch.nn.Conv2d(4, 4, 1)

        def forward(self, x):              # a convolution over (H, C) of N×H×W×C: no spec layer
            return self.conv(self.fc(x.permute(0, 2, 3, 1)))

    with pytest.raises(Unsupported) as err:
        from_torch(ConvOnChannelsLast(), (4, 4, 3))
    assert "takes its input channels first (N×C×H×W), and the tensor it gets is in the other layout" \
        in str(err.value)
