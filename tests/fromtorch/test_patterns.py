"""The convolutional families' patterns (tests/fromtorch/nets.py writes torchvision's out):
what the spec says for each. The contract itself (strict load, equal outputs, fixed point)
is test_contract.py's, over the same modules."""
from collections import OrderedDict

import pytest
import torch
from torch import nn

import archlang
from archlang.fromtorch import Unsupported, from_torch
from tests.fromtorch import nets


def spec_of(module, shape=(16, 16, 3)) -> str:
    return from_torch(module.eval(), shape)


def test_a_sequential_with_named_children_keeps_its_keys_as_names():
    spec = spec_of(nets.RegNetLike())
    # Keys that are no identifiers (`block1-0`) name elements of a named Chain; a key that
    # is its position is left to the compiler (the stem's `0`, `1`, `2`).
    assert 'Chain(ResBottleneck(name="block1-0"), ResBottleneck(name="block1-1"); name="block1")' in spec
    assert 'Chain(Conv((1, 1), 8 => 8; bias=false), BatchNorm(8), relu; name="a")' in spec
    assert 'Chain(Conv((3, 3), 3 => 8; stride=2, pad=1, bias=false), BatchNorm(8), relu; name="stem")' in spec
    keys = list(archlang.load(spec).state_dict())
    assert "trunk_output.block1.block1-0.f.b.0.weight" in keys
    assert "trunk_output.block2.block2-0.proj.1.running_var" in keys


def test_a_layer_without_weights_keeps_no_key_name():
    spec = spec_of(nets.DenseNetLike())
    # relu0 and pool0 hold no weights: their keys are the positions the compiler gives them.
    assert ('Conv((3, 3), 3 => 8; pad=1, bias=false, name="conv0"),\n'
            '        BatchNorm(8; name="norm0"),\n        relu,\n        MaxPool((2, 2)),') in spec


def test_a_dense_block_is_a_chain_of_layers_each_concatenated_to_its_input():
    spec = spec_of(nets.DenseNetLike())
    assert "block DenseLayer(c) = Parallel(\n    cat,\n    identity,\n" in spec
    assert 'BatchNorm(c, relu; name="norm1"),\n        Conv((1, 1), c => 8; bias=false),' in spec
    assert ("block DenseBlock() = Chain(\n    DenseLayer(8; name=\"denselayer1\"),\n"
            "    DenseLayer(12; name=\"denselayer2\"),\n    DenseLayer(16; name=\"denselayer3\"),\n)") in spec
    assert "features.denseblock2.denselayer2.norm1.weight" in archlang.load(spec).state_dict()


def test_a_channel_shuffle_and_a_split_in_halves():
    spec = spec_of(nets.ShuffleLike())
    assert spec.count("ChannelShuffle(2),") == 2
    assert "Parallel(\n        cat,\n        Chunk(2, 1),\n        Chain(\n            Chunk(2, 2)," in spec
    compiled = archlang.compile(spec)
    assert "nn.ChannelShuffle(2)" in compiled and "x.chunk(2, 1)[0]" in compiled


def test_convnext_permutes_are_layout_and_its_layer_scale_a_scale():
    spec = spec_of(nets.ConvNeXtLike())
    assert "Conv((7, 7), c => c; pad=3, groups=c),\n            LayerNorm(c; eps=1e-6),\n" in spec
    assert "Dense(c => c2),\n            gelu_erf,\n            Dense(c2 => c);" in spec
    assert 'Scale(c; bias=false, init=1e-6, name="layer_scale"),' in spec
    assert "StochasticDepth" not in spec and "Permute" not in spec
    assert 'Chain(LayerNorm(16; eps=1e-6), flatten, Dense(16 => 3); name="classifier")' in spec
    compiled = archlang.compile(spec)
    assert "Permute((0, 2, 3, 1))" in compiled and "LayerNorm2d(8, eps=1e-06)" in compiled
    assert "self.layer_scale = nn.Parameter(torch.full((c, 1, 1), 1e-06))" in compiled


class _Unclosed(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 4, 1), nets.Permute([0, 2, 3, 1]), nn.LayerNorm(4),
                                  nn.Linear(4, 4))

    def forward(self, x):
        return self.body(x)


class _ConvBetween(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nets.Permute([0, 2, 3, 1]), nn.Linear(3, 4), nn.Conv2d(16, 16, 1),
                                  nets.Permute([0, 3, 1, 2]))

    def forward(self, x):
        return self.body(x)


class _OneBetween(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 4, 1), nets.Permute([0, 2, 3, 1]), nn.LayerNorm(4),
                                  nets.Permute([0, 3, 1, 2]), nn.Conv2d(4, 4, 1))

    def forward(self, x):
        return self.body(x)


@pytest.mark.parametrize("module, where, op, why", [
    # Channels moved last may stay last for the layers after the Sequential (Swin's stem),
    # but not out of the model: its image output would be N×H×W×C.
    (_Unclosed(), "_Unclosed", "permute", "the channels are moved last and not back"),
    (_ConvBetween(), "body.2", "Conv2d", "a Conv2d on channels-last values"),
    (_OneBetween(), "body.3", "permute", "a permute pair around fewer than two layers"),
])
def test_a_permute_that_is_no_layout_change_is_a_diagnostic(module, where, op, why):
    with pytest.raises(Unsupported) as err:
        spec_of(module)
    assert err.value.where == where and err.value.op == op and why in str(err.value)


def test_a_key_that_can_be_no_name_is_a_diagnostic():
    module = nets.MLP()
    module.layers = nn.Sequential(OrderedDict([("first", nn.Linear(784, 10)), ("training_", nn.ReLU()),
                                               ("_hidden", nn.Linear(10, 10))]))
    with pytest.raises(Unsupported) as err:
        from_torch(module, (784,))
    assert err.value.where == "layers._hidden"
    assert "the name `_hidden` is taken by PyTorch's nn.Module" in str(err.value)


def test_a_module_that_computes_nothing_before_weights_in_a_sequential_is_a_diagnostic():
    module = nets.MLP()
    module.layers = nn.Sequential(nets.StochasticDepth(0.1), nn.Linear(784, 10))
    with pytest.raises(Unsupported) as err:
        from_torch(module, (784,))
    assert err.value.where == "layers.0" and "the keys after it would move up" in str(err.value)


def test_a_layer_scale_that_was_trained_keeps_no_init():
    module = nets.CNBlock(8).eval()
    with torch.no_grad():
        module.layer_scale.copy_(torch.linspace(0.1, 0.8, 8).view(8, 1, 1))

    class Wrap(nn.Module):
        def __init__(self):
            super().__init__()
            self.b = module

        def forward(self, x):
            return self.b(x)

    spec = from_torch(Wrap(), (8, 8, 8))
    assert 'Scale(8; bias=false, name="layer_scale")' in spec
    compiled = archlang.load(spec)
    compiled.load_state_dict(Wrap().state_dict() | {"b.layer_scale": module.layer_scale}, strict=True)
