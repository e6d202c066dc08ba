"""GPU paths (skipped without CUDA): autocast, channels_last, torch.compile, data placement."""

import pytest
import torch

from archlang.train.batches import Feeder

from .helpers import config, model2, quiet_train

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.mark.parametrize("settings", [
    {"amp": "off"}, {"amp": "bf16"}, {"amp": "fp16"},
    {"amp": "bf16", "channels_last": True}, {"optimizer": "Momentum", "lr": 0.05}])
def test_cuda_training_modes_learn(tmp_path, settings):
    cfg = config(tmp_path, epochs=4, device="cuda", **settings)
    result, _ = quiet_train(model2(), (28, 28, 1), cfg)
    assert result.best_val_acc >= 0.85, result.history
    assert next(iter(torch.load(result.last, weights_only=True)["model"].values())).device.type == "cpu"


@pytest.mark.slow
def test_cuda_compile(tmp_path):
    result, _ = quiet_train(model2(), (28, 28, 1), config(tmp_path, epochs=3, device="cuda", compile=True))
    assert result.best_val_acc >= 0.85


def test_feeder_keeps_small_data_on_the_gpu_and_streams_large_data():
    x, y = torch.rand(100, 1, 28, 28), torch.arange(100) % 10
    resident = Feeder(x, y, torch.device("cuda"))
    assert resident.resident and resident.x.is_cuda
    import archlang.train.batches as batches
    share, batches.GPU_SHARE = batches.GPU_SHARE, 0.0  # pretend it does not fit
    try:
        streamed = Feeder(x, y, torch.device("cuda"))
        streamed_workers = Feeder(x, y, torch.device("cuda"), workers=2)
    finally:
        batches.GPU_SHARE = share
    order = torch.randperm(100)
    for feeder in (streamed, streamed_workers):
        assert not feeder.resident and not feeder.x.is_cuda
        got = torch.cat([xb for xb, _ in feeder.batches(order, 32)])
        assert got.is_cuda and torch.equal(got.cpu(), x[order])


def test_resume_is_exact_on_cuda(tmp_path):
    straight, _ = quiet_train(model2(), (28, 28, 1), config(tmp_path / "a", epochs=3, device="cuda"))
    quiet_train(model2(), (28, 28, 1), config(tmp_path / "b", epochs=1, device="cuda"))
    resumed, _ = quiet_train(model2(), (28, 28, 1),
                             config(tmp_path / "b", epochs=3, device="cuda", resume=True))
    a = torch.load(straight.last, weights_only=True)["model"]
    b = torch.load(resumed.last, weights_only=True)["model"]
    # cuDNN may pick non-deterministic kernels, so close rather than bit-equal here
    assert all(torch.allclose(a[k], b[k], atol=1e-4) for k in a)
