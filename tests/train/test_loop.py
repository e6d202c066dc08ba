"""The training loop: accuracy on real digits, exact resume, NaN guard, transfer learning."""

import csv
import math

import pytest
import torch
from torch import nn

from archlang.train import Dataset, TrainError, compare_runs
from archlang.train import checkpoint
from archlang.train.losses import Localization, MeanSquared

from .helpers import config, model2, quiet_train, tiny_dense


def test_model2_learns_digits_and_writes_its_outputs(tmp_path):
    cfg = config(tmp_path, epochs=4)
    result, log = quiet_train(model2(), (28, 28, 1), cfg, name="model2")
    # Measured: 95.4% best (95.2% final) validation accuracy after 4 epochs on 539
    # held-out digits (seed 0, torch 2.13 CPU); chance is 10%, so 85% is a safe floor.
    assert result.best_val_acc >= 0.85
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    with open(result.metrics) as f:
        rows = list(csv.DictReader(f))
    assert [r["epoch"] for r in rows] == ["1", "2", "3", "4"]
    assert list(rows[0]) == ["epoch", "train_loss", "train_acc", "val_loss", "val_acc",
                             "samples_per_s", "seconds", "lr"]
    assert result.curves.stat().st_size > 10_000 and result.best.is_file() and result.last.is_file()
    assert "model2: best validation accuracy" in log[-1]
    saved = checkpoint.load(result.last)
    assert saved["epoch"] == 4 and saved["config"]["lr"] == 0.005


def test_resume_continues_exactly(tmp_path):
    small = {"train_size": 500}
    straight, _ = quiet_train(model2(), (28, 28, 1), config(tmp_path / "a", epochs=4, **small))
    quiet_train(model2(), (28, 28, 1), config(tmp_path / "b", epochs=2, **small))
    other_init = model2(seed=7)  # resume must overwrite whatever the model holds
    resumed, log = quiet_train(other_init, (28, 28, 1),
                               config(tmp_path / "b", epochs=4, resume=True, **small))
    assert "resuming" in log[0]
    a = checkpoint.load(straight.last)["model"]
    for name, value in checkpoint.load(resumed.last)["model"].items():
        assert torch.equal(value, a[name]), name
    assert [r["val_loss"] for r in resumed.history] == [r["val_loss"] for r in straight.history]


def test_resume_without_checkpoint_is_an_error(tmp_path):
    with pytest.raises(TrainError, match="nothing to resume"):
        quiet_train(model2(), (28, 28, 1), config(tmp_path, resume=True))


class NanAfter(nn.Module):
    """A dense model whose output turns to NaN after `steps` training forward passes."""

    def __init__(self, steps: int):
        super().__init__()
        self.net, self.steps = tiny_dense(), steps

    def forward(self, x):
        out = self.net(x)
        if self.training:
            self.steps -= 1
            if self.steps < 0:
                out = out * float("nan")
        return out


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    cfg = config(tmp_path, epochs=3, val_split=0.5)   # 899 training digits = 15 steps an epoch
    model = NanAfter(steps=20)                        # fails in epoch 2
    with pytest.raises(TrainError, match="train loss became nan in epoch 2") as err:
        quiet_train(model, (8, 8, 1), cfg)
    assert "lower the learning rate" in err.value.hint
    good = checkpoint.load(tmp_path / "run" / "last.pt")
    assert good["epoch"] == 1
    assert all(torch.isfinite(v).all() for v in good["model"].values())
    for name, value in model.state_dict().items():  # the caller gets the good weights back
        assert torch.equal(value, good["model"][name])


def test_huge_learning_rate_is_caught(tmp_path):
    cfg = config(tmp_path, epochs=2, optimizer="sgd", lr=1e30)
    with pytest.raises(TrainError, match="became (nan|inf)"):
        quiet_train(tiny_dense(), (8, 8, 1), cfg)


def test_freeze_and_init_from(tmp_path):
    first, _ = quiet_train(model2(), (28, 28, 1), config(tmp_path / "first", epochs=1))
    trained = checkpoint.load(first.best)["model"]
    # Same convolutions, a different dense head: 400 → 32 → 10.
    torch.manual_seed(5)
    second = nn.Sequential(*list(model2(seed=5))[:7], nn.Linear(400, 32), nn.ReLU(), nn.Linear(32, 10))
    head_before = second[7].weight.detach().clone()
    cfg = config(tmp_path / "second", epochs=2, init_from=str(first.out), freeze="1:4")
    result, log = quiet_train(second, (28, 28, 1), cfg)
    assert "loaded 4 tensors (0.weight, 0.bias, 3.weight, 3.bias)" in log[0]
    assert "7.weight: shape 10×400 in the checkpoint, 32×400 here" in log[0]
    # 208 + 1,168 of 208 + 1,168 + 400·32 + 32 + 330 parameters
    assert "frozen: 2 layers (1,376 of 14,538 parameters): 0; 3" in log[1]
    final = checkpoint.load(result.last)["model"]
    for name in ("0.weight", "0.bias", "3.weight", "3.bias"):
        assert torch.equal(final[name], trained[name]), name  # bit-identical after training
    assert not torch.equal(final["7.weight"], head_before)
    assert result.best_val_acc > 0.5


def test_freeze_errors_name_the_layers(tmp_path):
    with pytest.raises(TrainError, match="the model has 8 layers, not 9") as err:
        quiet_train(model2(), (28, 28, 1), config(tmp_path, freeze="9"))
    assert "1=0" in err.value.hint
    with pytest.raises(TrainError, match="no layer or parameter is named `conv9`"):
        quiet_train(model2(), (28, 28, 1), config(tmp_path, freeze="conv9"))


def test_spec_shape_mismatch_stops_before_training(tmp_path):
    with pytest.raises(TrainError, match="digits gives 8×8×1 images but the spec's input is 32×32×3"):
        quiet_train(model2(), (32, 32, 3), config(tmp_path, data="digits(8)"))


def test_mse_one_hot_and_localization_loss():
    out = torch.tensor([[0.2, 0.9], [0.6, 0.1]])
    y = torch.tensor([1, 0])
    assert torch.isclose(MeanSquared()(out, y), torch.tensor((0.04 + 0.01 + 0.16 + 0.01) / 4))
    assert MeanSquared.correct(out, y) == 2
    # §5.8.1: no object → only (ŷ1 − y1)²; object → the sum over all entries.
    y_loc = torch.tensor([[0.0, 9, 9, 9, 9, 1, 0], [1.0, 0.5, 0.5, 0.2, 0.2, 0, 1]])
    out_loc = torch.tensor([[0.1, 0, 0, 0, 0, 0, 0], [0.8, 0.4, 0.5, 0.2, 0.3, 0.1, 0.7]])
    expected = (0.1 ** 2 + (0.2 ** 2 + 0.1 ** 2 + 0.1 ** 2 + 0.1 ** 2 + 0.3 ** 2)) / 2
    assert math.isclose(Localization()(out_loc, y_loc).item(), expected, rel_tol=1e-6)
    assert Localization.correct(out_loc, y_loc) == 2


def test_softmax_outputs_get_a_proper_cross_entropy(tmp_path):
    model = nn.Sequential(tiny_dense(), nn.Softmax(dim=1))
    result, _ = quiet_train(model, (64,), config(tmp_path, epochs=3, lr=0.01))
    assert result.best_val_acc > 0.6


@pytest.mark.parametrize("amp", ["bf16", "fp16"])
def test_autocast_on_cpu(tmp_path, amp):
    result, _ = quiet_train(tiny_dense(), (64,), config(tmp_path, epochs=2, amp=amp, lr=0.01))
    assert result.best_val_acc > 0.5


def test_regression_without_validation(tmp_path):
    """mse on float targets: no accuracy (nan), best epoch by training loss."""
    x = torch.rand(256, 4)
    data = Dataset(x, x.sum(1, keepdim=True), "sums")
    model = nn.Linear(4, 1)
    result, _ = quiet_train(model, (4,), config(tmp_path, epochs=3, loss="mse", val_split=0, lr=0.05),
                            data=data)
    assert math.isnan(result.best_val_acc) and result.best_epoch == 3
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]


def test_compare_runs_draws_one_figure(tmp_path):
    runs = []
    for lr in (0.001, 0.01):
        cfg = config(tmp_path / f"lr{lr}", epochs=2, lr=lr)
        runs.append(quiet_train(tiny_dense(), (64,), cfg, name=f"lr{lr}")[0].out)
    png = compare_runs(runs, tmp_path / "compare.png")
    assert png.stat().st_size > 10_000
    with pytest.raises(TrainError, match="has no metrics.csv"):
        compare_runs([tmp_path], tmp_path / "x.png")
