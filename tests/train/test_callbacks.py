"""Callbacks in the Python API (epoch end, batch end, train end, early stop) and the
TensorBoard log built on them, read back with TensorBoard's own reader."""

from __future__ import annotations

import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import archlang  # noqa: E402
from archlang.callbacks import Callback, EarlyStopping, StopTraining, TensorBoard  # noqa: E402
from archlang.cli import main  # noqa: E402
from archlang.train import TrainError  # noqa: E402

from .helpers import one_thread  # noqa: E402,F401  (autouse)
from .own_data import separable_table  # noqa: E402

TABLE = "model t(x: 4) = Chain(Dense(4 => 8, relu), Dense(8 => 2))\n"


def fit(spec, tmp_path, name="r", **settings):
    x, y = separable_table(40)              # 32 training samples after the 0.2 split
    return archlang.fit(spec, data=(x, y), batch=8, lr=0.05, out=str(tmp_path / name),
                        progress=False, device="cpu", **settings)


class Recorder(Callback):
    def __init__(self):
        self.epochs, self.steps, self.ends = [], [], []

    def on_epoch_end(self, run, epoch, logs):
        self.epochs.append((epoch, dict(logs), len(run.history)))

    def on_batch_end(self, run, step, logs):
        self.steps.append((step, logs["epoch"], logs["batch"], logs["loss"]))

    def on_train_end(self, run, result):
        self.ends.append(result)


def test_callbacks_see_every_step_and_epoch(tmp_path, tmp_spec):
    rec = Recorder()
    result = fit(tmp_spec(TABLE), tmp_path, epochs=3, metrics="f1", callbacks=[rec])
    assert [e for e, _, _ in rec.epochs] == [1, 2, 3]
    assert [n for _, _, n in rec.epochs] == [1, 2, 3]            # the epoch is in the history
    logs = rec.epochs[-1][1]
    assert logs == result.history[-1]                            # the saved row, as it is
    assert {"train_loss", "train_acc", "val_loss", "val_acc", "lr", "val_f1"} <= set(logs)
    assert [s for s, _, _, _ in rec.steps] == list(range(1, 13))  # 32 / 8 = 4 steps × 3 epochs
    assert [e for _, e, _, _ in rec.steps] == [1] * 4 + [2] * 4 + [3] * 4
    assert all(b == 8 for _, _, b, _ in rec.steps)
    # The epoch's training loss is the mean of its steps' losses (equal batches).
    assert np.mean([l for _, e, _, l in rec.steps if e == 1]) == \
        pytest.approx(result.history[0]["train_loss"], rel=1e-6)
    assert rec.ends == [result] and not result.stopped_early and result.stop_reason is None


class StopAfter(Callback):
    def __init__(self, epochs, how):
        self.epochs, self.how = epochs, how

    def on_epoch_end(self, run, epoch, logs):
        if epoch == self.epochs:
            if self.how == "raise":
                raise StopTraining("enough")
            run.stop("enough")


@pytest.mark.parametrize("how", ["stop", "raise"])
def test_a_callback_stops_training_after_an_epoch(tmp_path, tmp_spec, how):
    result = fit(tmp_spec(TABLE), tmp_path, epochs=6, callbacks=[StopAfter(2, how)])
    assert len(result.history) == 2 and result.stopped_early and result.stop_reason == "enough"
    assert torch.load(result.last, weights_only=True)["epoch"] == 2     # saved before stopping


def test_a_stop_during_a_step_finishes_the_epoch(tmp_path, tmp_spec):
    class StopAtStep(Callback):
        def on_batch_end(self, run, step, logs):
            if step == 6:
                raise StopTraining
    result = fit(tmp_spec(TABLE), tmp_path, epochs=4, callbacks=[StopAtStep()])
    assert len(result.history) == 2 and result.stop_reason == "StopAtStep stopped training"


def test_early_stopping(tmp_path, tmp_spec):
    spec = tmp_spec(TABLE)
    # A constant learning rate never improves after epoch 1: 1 + patience epochs are run.
    result = fit(spec, tmp_path, epochs=6, callbacks=[EarlyStopping(monitor="lr", patience=2)])
    assert len(result.history) == 3 and result.stopped_early
    assert result.stop_reason == "lr has not improved for 2 epochs (best 0.05 in epoch 1)"
    with pytest.raises(TrainError, match="monitors `val_los`") as err:
        fit(spec, tmp_path, "b", epochs=2, callbacks=[EarlyStopping(monitor="val_los")])
    assert "did you mean `val_loss`" in err.value.hint
    with pytest.raises(TrainError, match="patience must be an integer ≥ 1"):
        EarlyStopping(patience=0)


def test_a_callback_that_fails_is_named(tmp_path, tmp_spec):
    class Broken:
        def on_epoch_end(self, run, epoch, logs):
            return 1 / 0
    with pytest.raises(TrainError) as err:
        fit(tmp_spec(TABLE), tmp_path, epochs=2, callbacks=[Broken()])
    assert err.value.message == ("callback Broken.on_epoch_end failed: ZeroDivisionError: "
                                 "division by zero")
    assert "the error is in the callback" in err.value.hint
    with pytest.raises(TrainError, match="the callback int has none of the methods"):
        fit(tmp_spec(TABLE), tmp_path, "b", epochs=1, callbacks=[3])


def test_tensorboard_log_reads_back(tmp_path, tmp_spec):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    rec = Recorder()
    result = fit(tmp_spec(TABLE), tmp_path, epochs=2, log="tensorboard", metrics="top1,f1",
                 callbacks=[rec])
    folder = result.out / "tensorboard"
    assert len(list(folder.glob("events.out.tfevents.*"))) == 1
    events = EventAccumulator(str(folder))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"train/loss", "train/acc", "val/loss", "val/acc", "val/f1", "val/top1", "lr",
            "train/step_loss"} <= tags
    for tag, key in [("train/loss", "train_loss"), ("val/acc", "val_acc"), ("val/f1", "val_f1"),
                     ("lr", "lr")]:
        scalars = events.Scalars(tag)
        assert [s.step for s in scalars] == [1, 2]
        assert [s.value for s in scalars] == pytest.approx([h[key] for h in result.history])
    steps = events.Scalars("train/step_loss")
    assert [s.step for s in steps] == list(range(1, 9))
    assert [s.value for s in steps] == pytest.approx([l for _, _, _, l in rec.steps])


def test_tensorboard_missing_is_a_clear_error(tmp_path, tmp_spec, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tensorboard", None)        # import tensorboard fails
    with pytest.raises(TrainError, match="needs the tensorboard package") as err:
        fit(tmp_spec(TABLE), tmp_path, epochs=1, log="tensorboard")
    assert "pip install tensorboard" in err.value.hint
    with pytest.raises(TrainError, match="needs the tensorboard package"):
        TensorBoard()
    spec = tmp_spec("model s(x: 8×8×1) = Chain(flatten, Dense(64, 10))\n", "s.arch")
    assert main(["train", str(spec), "--log", "tensorboard", "--out", str(tmp_path / "c")]) == 2
    assert "pip install tensorboard" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()
