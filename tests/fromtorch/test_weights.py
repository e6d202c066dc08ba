"""Pretrained weights from a PyTorch file: archlang.load(spec, weights=FILE) with a bare
state_dict or a checkpoint dict ("state_dict" / "model"), strict, the first mismatch named."""
import pytest
import torch

import archlang
from archlang.fromtorch import from_torch
from archlang.train import TrainError
from tests.fromtorch import nets


@pytest.fixture
def lenet():
    torch.manual_seed(0)
    module = nets.LeNet().eval()
    return module, from_torch(module, (28, 28, 1))


@pytest.mark.parametrize("wrap", [lambda s: s, lambda s: {"state_dict": s, "epoch": 3},
                                  lambda s: {"model": s}])
def test_a_pytorch_file_loads_strictly(tmp_path, lenet, wrap):
    module, spec = lenet
    path = tmp_path / "lenet.pth"
    torch.save(wrap(module.state_dict()), path)
    loaded = archlang.load(spec, weights=path)
    x = torch.randn(2, 1, 28, 28)
    assert torch.equal(loaded(x), module(x))


def test_a_renamed_key_is_named_with_the_files_nearest(tmp_path, lenet):
    module, spec = lenet
    state = module.state_dict()
    state["fc_3.weight"] = state.pop("fc3.weight")
    path = tmp_path / "renamed.pth"
    torch.save(state, path)
    with pytest.raises(TrainError) as err:
        archlang.load(spec, weights=path)
    assert "the model's `fc3.weight` (10×84) is not in the checkpoint; the checkpoint has " \
           "`fc_3.weight` (and 1 more difference)" in str(err.value)


def test_a_shape_mismatch_gives_both_shapes(tmp_path, lenet):
    module, spec = lenet
    state = module.state_dict()
    state["fc3.weight"] = torch.zeros(5, 84)
    path = tmp_path / "head.pth"
    torch.save(state, path)
    with pytest.raises(TrainError) as err:
        archlang.load(spec, weights=path)
    assert "`fc3.weight` is 5×84 in the checkpoint but 10×84 in the model" in str(err.value)
