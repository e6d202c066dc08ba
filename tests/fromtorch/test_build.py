"""Building the target: without weights (the meta device) where only the structure is needed,
on the CPU where values are read or compared."""
import torch

from archlang.fromtorch import from_torch
from archlang.fromtorch.trace import build
from tests.fromtorch import nets

TARGET = f"{nets.__file__}:SmallResNet"


def test_a_target_is_built_on_the_meta_device_and_gives_the_same_spec():
    module, _ = build(TARGET, (), {"classes": 4}, meta=True)
    assert all(p.is_meta for p in module.parameters())
    real, _ = build(TARGET, (), {"classes": 4})
    assert not any(p.is_meta for p in real.parameters())
    assert from_torch(module, "32x32x3") == from_torch(real, "32x32x3")


def test_a_constructor_that_reads_a_weight_is_built_on_the_cpu():
    module, _ = build(f"{nets.__file__}:ReadsItsWeights", (), {}, meta=True)
    assert module.width == 3 and not module.fc.weight.is_meta
    assert "Dense(4 => 3" in from_torch(f"{nets.__file__}:ReadsItsWeights", "4")


def test_a_module_given_as_an_instance_is_used_as_it_is():
    module = nets.LeNet()
    before = {k: v.clone() for k, v in module.state_dict().items()}
    from_torch(module, "28x28x1")
    assert all(torch.equal(before[k], v) for k, v in module.state_dict().items())


def test_a_conversion_that_reads_a_value_is_done_again_with_weights():
    # ConvNeXt's layer scale is written with its initial value (`init=1e-6`): a module built
    # on the meta device has none, so the conversion builds it again with weights.
    from archlang.fromtorch import convert, is_meta
    with torch.device("meta"):
        module = nets.ConvNeXtLike().eval()
    assert is_meta(module)
    rebuilt = []
    text = convert(module, (32, 32, 3), "m", rebuild=lambda: rebuilt.append(1) or nets.ConvNeXtLike().eval())
    assert rebuilt == [1] and "init=1e-6" in text
    assert text == from_torch(nets.ConvNeXtLike(), "32x32x3", name="m")
    assert from_torch(f"{nets.__file__}:ConvNeXtLike", "32x32x3", name="m") == text
