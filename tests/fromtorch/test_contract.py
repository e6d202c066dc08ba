"""The contract of `from_torch`, measured on hand-written PyTorch modules: the spec's compiled
module loads the original state_dict with strict=True, computes the same outputs (eval mode)
at two input sizes, and converting the compiled module gives the same spec back."""
import pytest
import torch

import archlang
from archlang.fromtorch import Unsupported, from_torch
from tests.fromtorch import nets

CASES = [  # module, input shape (spec order), a second size, parameters
    (nets.LeNet, (28, 28, 1), None, 61_706),
    (nets.MLP, (784,), None, 178_110),
    (nets.Concat, (8, 8, 3), (13, 11, 3), 259),
    (nets.SmallResNet, (32, 32, 3), (40, 24, 3), 43_226),
    (nets.MobileLike, (16, 16, 3), (20, 12, 3), 3_580),
    # stem 216 + 16; two stride-1 blocks of 8 (1×1 64 + 16, 3×3 in 2 groups 288 + 16, 1×1
    # 64 + 16) 464 each; a projecting block 8 => 16 (proj 128 + 32, a 128 + 32, b 1152 + 32,
    # c 256 + 32) 1792; fc 85
    (nets.RegNetLike, (16, 16, 3), (24, 20, 3), 232 + 2 * 464 + 1792 + 85),
    # conv0 216 + norm0 16; dense layers of c inputs 10c + 304 (c = 8, 12, 16; 10, 14);
    # transition 40 + 200; norm5 36; classifier 57
    (nets.DenseNetLike, (16, 16, 3), (20, 12, 3), 232 + 384 + 424 + 464 + 240 + 404 + 444 + 36 + 57),
    # conv1 232; the stride-2 unit's branches 168 each; two split units 168 each; fc 68
    (nets.ShuffleLike, (16, 16, 3), (24, 16, 3), 232 + 336 + 2 * 168 + 68),
    # stem 104 + 16; CNBlock(c): 7×7 depthwise 49c + c, LayerNorm 2c, Linear c => 4c and
    # back 8c² + 5c, layer scale c (976 for 8, 2,976 for 16); downsampling 16 + 528; head 83
    (nets.ConvNeXtLike, (16, 16, 3), (24, 20, 3), 120 + 2 * 976 + 544 + 2_976 + 83),
]


def converted(cls, shape):
    torch.manual_seed(0)
    module = cls().eval()
    # BatchNorm statistics other than 0 and 1, so that a wrong order of buffers shows.
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
    return module, from_torch(module, shape)


def torch_input(shape):
    return torch.randn(3, *reversed(shape), generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("cls, shape, other, params", CASES, ids=[c[0].__name__ for c in CASES])
def test_the_spec_takes_the_weights_and_computes_the_same(cls, shape, other, params):
    module, spec = converted(cls, shape)
    assert archlang.check(spec).ok
    assert archlang.check(spec).model().params == params == sum(p.numel() for p in module.parameters())
    compiled = archlang.load(spec).eval()
    compiled.load_state_dict(module.state_dict(), strict=True)
    assert list(compiled.state_dict()) == list(module.state_dict())
    with torch.no_grad():
        for size in [shape] + ([other] if other else []):
            x = torch_input(size)
            assert torch.equal(compiled(x), module(x))


@pytest.mark.parametrize("cls, shape, other, params", CASES, ids=[c[0].__name__ for c in CASES])
def test_converting_the_compiled_module_gives_the_spec_back(cls, shape, other, params):
    module, spec = converted(cls, shape)
    again = from_torch(archlang.load(spec), shape, name=type(module).__name__)
    assert again == spec


def test_the_spec_is_format_stable():
    from archlang.syntax.format import format_text
    for cls, shape, _, _ in CASES:
        spec = converted(cls, shape)[1]
        assert format_text(spec) == spec


def test_a_small_resnet_reads_as_blocks():
    spec = converted(nets.SmallResNet, (32, 32, 3))[1]
    # torchvision's BasicBlock without downsample is the standard library's, names and all.
    assert 'import "std/resnet.arch"' in spec and "block BasicBlock(" not in spec
    assert 'repeat(2, BasicBlock(16); name="layer1")' in spec
    assert 'Chain(BasicBlock2(), BasicBlock(32); name="layer2")' in spec
    assert 'Chain(Conv((1, 1), 16 => 32; stride=2, bias=false), BatchNorm(32); name="downsample")' in spec
    assert "BatchNorm(32, relu)," in spec     # the ReLU module after bn1 is its activation
    assert 'Dense(32 => 10; name="fc")' in spec and "name=\"conv1\"" not in spec   # fc, not fc1


def test_an_operation_without_a_layer_is_a_diagnostic_naming_module_and_operation():
    with pytest.raises(Unsupported) as err:
        from_torch(nets.Unsupported(), (8, 8, 3))
    assert err.value.op == "cumsum" and err.value.where == "Unsupported"
    assert str(err.value) == ("cannot convert cumsum in Unsupported: "
                              "no archlang layer computes this operation")


def test_a_submodule_without_a_layer_is_named_by_its_path():
    module = nets.MLP()
    module.layers[1] = torch.nn.PReLU()
    with pytest.raises(Unsupported) as err:
        from_torch(module, (784,))
    assert err.value.where == "layers.1" and err.value.op == "PReLU"


def test_the_api_takes_a_target_and_its_arguments():
    spec = archlang.from_torch(f"{nets.__file__}:LeNet", "28x28x1", kwargs={"classes": 3})
    assert "model LeNet(x: 28×28×1)" in spec and "Dense(84 => 3)," in spec   # fc3: the name it would get


def test_a_block_of_the_standard_library_is_imported_with_its_parameters_in_its_order():
    from archlang.fromtorch.library import match
    body = ("Chain(SkipConnection(Chain(Conv((1, 1), a => b; bias=false), BatchNorm(b, relu), "
            "Conv((3, 3), b => b; pad=1, bias=false), BatchNorm(b, relu), "
            "Conv((1, 1), b => a; bias=false), BatchNorm(a)), +), relu)")
    assert match(body, ["b", "a"]) == ("std/resnet.arch", "Bottleneck", ["a", "b"])
    assert match(body.replace("pad=1", "pad=2"), ["b", "a"]) is None


def test_nested_sequentials_keep_their_positions():
    spec = converted(nets.MobileLike, (16, 16, 3))[1]
    assert "Chain(Conv((3, 3), 3 => 8; stride=2, pad=1, bias=false), BatchNorm(8), relu6)," in spec
    assert 'name="features"' in spec and 'name="classifier"' in spec


def test_a_module_class_named_like_a_layer_gets_a_block_name_of_its_own():
    class Conv(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.c = torch.nn.Conv2d(2, 2, 1)

        def forward(self, x):
            return torch.relu(self.c(x))

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = Conv(), Conv()

        def forward(self, x):
            return self.b(self.a(x))

    spec = from_torch(Net(), (4, 4, 2))
    assert "block ConvBlock() = Conv((1, 1), 2 => 2, relu; name=\"c\")" in spec
    assert 'ConvBlock(name="a")' in spec
    compiled = archlang.load(spec)
    compiled.load_state_dict(Net().state_dict(), strict=True)


def test_weights_the_forward_never_uses_are_refused_not_dropped():
    module = nets.LeNet()
    module.aux = torch.nn.Linear(3, 3)      # as GoogLeNet's auxiliary heads in eval mode
    with pytest.raises(Unsupported) as err:
        from_torch(module, (28, 28, 1))
    assert err.value.where == "aux" and "aux.weight" in str(err.value)
