"""Callbacks: user code the training loop calls at the end of each step, each epoch and the
run, in the manner of Keras and Lightning; EarlyStopping and the TensorBoard logger are built
on them.

A callback is any object with some of these methods (all optional):

    on_batch_end(run, step, logs)   step: global optimizer step, from 1; logs: {"loss",
                                    "batch" (samples in the step), "lr", "epoch"}
    on_epoch_end(run, epoch, logs)  epoch from 1; logs: the epoch's row of the history
                                    (train_loss, train_acc, val_loss, val_acc, lr, the
                                    chosen metrics such as val_top5, ...), already saved
    on_train_end(run, result)       result: the TrainResult about to be returned

`run` is a Training: the model, config, history and run folder, and `run.stop(reason)`.
To end training early, call `run.stop(...)` or raise StopTraining(reason) in any method;
the epoch in progress finishes (it is validated, saved and passed to on_epoch_end), then
the run ends with `result.stopped_early` True and `result.stop_reason` the reason. Any
other exception from a callback becomes a TrainError naming the callback and its method.
Under torchrun every process calls its callbacks; epoch logs are the same on each.

Imports no torch (archlang.callbacks re-exports this module).
"""

from __future__ import annotations

import math

from ..suggest import did_you_mean
from .errors import TrainError

__all__ = ["Callback", "EarlyStopping", "StopTraining", "TensorBoard", "Training"]


class StopTraining(Exception):
    """Raised by a callback to end training after the current epoch; the message is the
    reason recorded in the result."""


class Callback:
    """A base class with every method doing nothing (subclassing it is optional)."""

    def on_batch_end(self, run: "Training", step: int, logs: dict) -> None:
        pass

    def on_epoch_end(self, run: "Training", epoch: int, logs: dict) -> None:
        pass

    def on_train_end(self, run: "Training", result) -> None:
        pass


class Training:
    """What a callback sees of a run in progress (read the attributes; change only through
    `stop`). `loop`: the training loop it views."""

    def __init__(self, loop):
        self._loop = loop
        self.stop_reason: str | None = None

    name = property(lambda self: self._loop.name, doc="the model's name")
    model = property(lambda self: self._loop.model, doc="the module being trained")
    optimizer = property(lambda self: self._loop.optimizer)
    config = property(lambda self: self._loop.cfg, doc="the run's TrainConfig")
    history = property(lambda self: self._loop.history, doc="one dict per finished epoch")
    out = property(lambda self: self._loop.out, doc="the run folder")
    is_main = property(lambda self: self._loop.where.is_main,
                       doc="False on the other processes of a torchrun run")

    def stop(self, reason: str = "a callback stopped training") -> None:
        """End training once the current epoch is finished and saved."""
        self.stop_reason = self.stop_reason or str(reason)

    @property
    def stopping(self) -> bool:
        return self.stop_reason is not None


class Hooks:
    """The loop's side: calls every callback's method, turns StopTraining into a stop and
    any other exception into a TrainError naming the callback."""

    def __init__(self, callbacks, loop):
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not any(callable(getattr(cb, m, None)) for m in _METHODS):
                raise TrainError(f"the callback {_name(cb)} has none of the methods "
                                 f"{', '.join(_METHODS)}",
                                 "give an object with one of them (subclass "
                                 "archlang.callbacks.Callback)")
        self.run = Training(loop)
        # Only when some callback wants steps does the loop read each step's loss (a sync).
        self.batches = any(callable(getattr(cb, "on_batch_end", None)) for cb in self.callbacks)

    def add(self, callback) -> None:
        self.callbacks.append(callback)
        self.batches = self.batches or callable(getattr(callback, "on_batch_end", None))

    def _call(self, method: str, *args) -> None:
        for cb in self.callbacks:
            fn = getattr(cb, method, None)
            if not callable(fn):
                continue
            try:
                fn(self.run, *args)
            except StopTraining as stop:
                self.run.stop(str(stop) or f"{_name(cb)} stopped training")
            except TrainError as err:
                if err.message.startswith("callback "):
                    raise
                raise TrainError(f"callback {_name(cb)}.{method}: {err.message}", err.hint) \
                    from err
            except Exception as err:  # noqa: BLE001 — user code: reported, never a traceback
                raise TrainError(f"callback {_name(cb)}.{method} failed: "
                                 f"{type(err).__name__}: {err}",
                                 "the error is in the callback, not in the model or the data; "
                                 "fix it or leave the callback out") from err

    def batch_end(self, step: int, logs: dict) -> None:
        self._call("on_batch_end", step, logs)

    def epoch_end(self, epoch: int, logs: dict) -> str | None:
        """Call on_epoch_end; the stop reason when training should end now, else None."""
        self._call("on_epoch_end", epoch, dict(logs))
        return self.run.stop_reason

    def train_end(self, result) -> None:
        self._call("on_train_end", result)


_METHODS = ("on_batch_end", "on_epoch_end", "on_train_end")


def _name(cb) -> str:
    return type(cb).__name__ if not isinstance(cb, type) else cb.__name__


class EarlyStopping(Callback):
    """Stop when `monitor` (a key of the epoch logs: val_loss, val_acc, val_f1, ...) has not
    improved by more than `min_delta` for `patience` epochs (Keras' EarlyStopping). `mode`:
    "min", "max" or "auto" (min for a name with "loss" in it, else max). Read from the run's
    history, so a resumed run stops where an uninterrupted one would."""

    def __init__(self, monitor: str = "val_loss", patience: int = 3, min_delta: float = 0.0,
                 mode: str = "auto"):
        if mode not in ("auto", "min", "max"):
            raise TrainError(f"EarlyStopping mode must be auto, min or max, got {mode!r}")
        if not isinstance(patience, int) or patience < 1:
            raise TrainError(f"EarlyStopping patience must be an integer ≥ 1, got {patience!r}")
        self.monitor, self.patience, self.min_delta = monitor, patience, abs(float(min_delta))
        self.mode = mode if mode != "auto" else ("min" if "loss" in monitor else "max")

    def on_epoch_end(self, run, epoch, logs):
        if self.monitor not in logs:
            raise TrainError(f"EarlyStopping monitors `{self.monitor}`, which the epoch logs "
                             "do not have",
                             did_you_mean(self.monitor, list(logs)) or
                             "logs: " + ", ".join(logs))
        values = [row.get(self.monitor, math.nan) for row in run.history]
        if math.isnan(values[-1]):
            raise TrainError(f"EarlyStopping monitors `{self.monitor}`, which is nan in epoch "
                             f"{epoch}", "validation scores need validation data (val_split > 0)")
        sign = 1.0 if self.mode == "min" else -1.0
        best, best_at = math.inf, 0
        for i, v in enumerate(values):
            if not math.isnan(v) and sign * v < best - self.min_delta:
                best, best_at = sign * v, i
        if len(values) - 1 - best_at >= self.patience:
            run.stop(f"{self.monitor} has not improved for {self.patience} epochs "
                     f"(best {sign * best:.4g} in epoch {run.history[best_at]['epoch']})")


class TensorBoard(Callback):
    """TensorBoard event files in `folder` (the run's `tensorboard/` by default): each epoch's
    logs as scalars at step = epoch (train/loss, val/acc, val/f1, lr, ...), and each step's
    loss as train/step_loss at the global step. Needs the `tensorboard` package."""

    def __init__(self, folder=None):
        self.folder = folder
        self.writer = None
        writer_class()                      # fail now, not after the first epoch

    def _open(self, run):
        if self.writer is None:
            self.writer = writer_class()(str(self.folder or run.out / "tensorboard"))
        return self.writer

    def on_batch_end(self, run, step, logs):
        if run.is_main:
            self._open(run).add_scalar("train/step_loss", logs["loss"], step)

    def on_epoch_end(self, run, epoch, logs):
        if not run.is_main:
            return
        w = self._open(run)
        for key, value in logs.items():
            if key != "epoch" and isinstance(value, (int, float)) and not math.isnan(value):
                w.add_scalar(_tag(key), value, epoch)
        w.flush()   # an interrupted run keeps what it logged

    def on_train_end(self, run, result):
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _tag(key: str) -> str:
    """A log key as a TensorBoard tag grouped by split: val_f1 → val/f1, lr → lr."""
    for split in ("train", "val"):
        if key.startswith(split + "_"):
            return f"{split}/{key[len(split) + 1:]}"
    return key


def writer_class():
    """torch.utils.tensorboard.SummaryWriter, or a TrainError saying how to install it."""
    try:
        import tensorboard  # noqa: F401  (torch's module imports it lazily, with a worse message)
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise TrainError("log = tensorboard needs the tensorboard package, which is not "
                         "installed", "pip install tensorboard (or pip install "
                         "'archlang[tensorboard]')") from None
    return SummaryWriter
