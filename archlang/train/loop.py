"""The training loop behind `archlang train`: `train(model, input_shape, config)`.

It takes any nn.Module whose input is the PyTorch form of the spec's input shape (see
layout.torch_input_shape) and never imports the compiler.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..ir.trainconfig import TrainConfig, resumed
from ..layers.shape import Shape
from . import checkpoint, preflight, transfer, transforms
from .batches import epoch_order, feeder
from .callbacks import Hooks, TensorBoard
from .data import splits
from .dataset import Streamed
from .device import Placement, all_reduce_sum, launch_id, lost_peer, place
from .errors import TrainError, TrainInterrupted
from .losses import Objective, for_targets
from .metrics import Scores, perplexity, write_metrics
from .plots import plot_curves
from .runs import restarted_run, run_folder
from .schedule import lr_at
from .sharding import Sharded, local

# Refresh the progress bar (one device sync) at most this often, in seconds.
BAR_REFRESH_S = 1.0


@dataclass
class TrainResult:
    """What a run produced. Accuracies are fractions in [0, 1] (nan without validation or
    for regression losses); best_epoch counts from 1; paths point into `out`."""

    name: str
    best_val_acc: float
    final_val_acc: float
    best_epoch: int
    history: list[dict]
    samples_per_s: float
    out: Path
    best: Path
    last: Path
    metrics: Path
    curves: Path
    stopped_early: bool = False
    model: nn.Module | None = None      # the trained module (the best epoch's weights are in `best`)
    classes: list[str] | None = None    # class names, when the data named them
    stop_reason: str | None = None      # why it stopped early (patience, a callback)

    @property
    def folder(self) -> Path:
        """The run folder (the same as `out`)."""
        return self.out

    def _repr_html_(self) -> str:
        from .display import train_result_html
        return train_result_html(self)


def train(model: nn.Module, input_shape: tuple, config: TrainConfig, *, name: str = "model",
          log: Callable[[str], None] = print, progress: bool = True,
          data=None, layers: list | None = None, meta: dict | None = None,
          warn: Callable[[str], None] | None = None, given=None, val_data=None,
          callbacks=None, shard_units: list[tuple[str, ...]] | None = None) -> TrainResult:
    """Train `model` on `config.data` (or on `data`, if given) and return the outcome.

    `data`, `val_data`: a dataset.Dataset (tensors), dataset.Streamed (samples read when
    needed) or dataset.Batches (a DataLoader, used as it is); `val_data` replaces the
    validation split.

    `input_shape` is the spec's input shape without batch (W×H×C order, e.g. (28, 28, 1));
    data are fitted to it and checked against the model's output and the loss before the
    first epoch, or a TrainError says what does not fit. Every epoch writes `out/last.pt`
    (and `out/best.pt` when validation accuracy improves — validation loss for losses
    without accuracy) and `out/metrics.csv`; the run ends with `out/curves.png`.
    Under torchrun each rank trains on its shard with DistributedDataParallel and only
    rank 0 writes or prints. A non-finite loss stops the run with TrainError, leaves the
    checkpoints of the last good epoch untouched and puts those weights back into `model`.
    Ctrl-C raises TrainInterrupted (a KeyboardInterrupt) naming the folder to resume.

    Seeding: the caller seeds before building `model` (`seed_everything(config.seed)`), so
    the initial weights follow the seed; `train` seeds the shuffles and splits itself.
    `layers`: the rows of `archlang check` (transfer.LayerRow) so that `freeze` takes check's
    row numbers; without them numbers count the module's top-level children.
    `meta`: plain data stored in the checkpoints under "module" (the CLI records the
    generated class there). `log` receives progress lines (one per epoch when no bar is
    shown) and the summary; `warn` (default: stderr) the warnings.
    `given`: the names of the settings the user gave (flags, keyword arguments); resuming
    warns only about those it ignores (None: about every setting that differs).
    `callbacks`: objects with on_batch_end / on_epoch_end / on_train_end (see
    callbacks.py); one may stop the run after an epoch.
    `config.metrics`: validation scores added to each epoch's history row and metrics.csv
    (metrics.Scores); `config.log == "tensorboard"`: event files in out/tensorboard.
    User mistakes raise TrainError.

    Under torchrun, a worker that torchrun's elastic agent restarted (`--max-restarts`)
    resumes this launch's run from its last.pt, so a killed worker loses nothing.
    `config.fsdp` shards the model with FSDP2 instead of DDP (sharding.py); `shard_units`:
    its units, attribute paths of the model's blocks and repeat copies, innermost first
    (archlang.api.shard_units); None: each top-level child.
    """
    where = place(config.device)
    warn = warn or (lambda msg: print(f"warning: {msg}", file=sys.stderr))
    try:
        return _Run(model, input_shape, config, name, log, progress, data, where, layers,
                    meta, warn, given, val_data, callbacks, shard_units).run()
    except RuntimeError as err:
        if where.world > 1 and lost_peer(err):
            raise TrainError(f"another process of this run stopped (rank {where.rank} of "
                             f"{where.world} lost it: {str(err).splitlines()[0][:200]})",
                             "its own log says why; torchrun --max-restarts N restarts the "
                             "workers, which resume from the last epoch") from None
        raise
    finally:
        where.close()


def seed_everything(seed: int) -> None:
    """Seed torch, numpy and Python's RNGs: call before building a model so that its initial
    weights are the same on every run with this seed."""
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


def _show_bars(progress: bool) -> bool:
    """Bars in a terminal or a notebook; otherwise one log line per epoch."""
    return progress and (sys.stderr.isatty() or "ipykernel" in sys.modules)


class _Run:
    """One call of `train`: set-up in __init__, the epochs in `run`."""

    def __init__(self, model, input_shape, config, name, log, progress, data, where: Placement,
                 layers=None, meta=None, warn=None, given=None, val_data=None,
                 callbacks=None, shard_units=None):
        restart = restarted_run(config.out, name)
        if restart is not None:  # torchrun restarted this worker: go on from its last epoch
            config = config.merge({"out": str(restart), "resume": True, "overwrite": False})
        self.cfg, self.name, self.where = config, name, where
        self.log = log if where.is_main else (lambda _msg: None)
        if restart is not None:
            self.log(f"torchrun restarted the workers: {name} continues in {restart}")
        self.warn = warn if where.is_main else (lambda _msg: None)
        self.bars = _show_bars(progress) and where.is_main
        self.meta = dict(meta or {})
        # The module's source (meta["source"]) goes beside the checkpoints as model.py, so a
        # run folder alone rebuilds its model (evaluate, predict).
        self.source = self.meta.pop("source", None)
        # A Shape keeps its dtype: token ids (`of int`) are fed as int64, not cast to float.
        self.input_shape = Shape((input_shape,) if isinstance(input_shape, int) else input_shape)
        self.out = run_folder(config.out, name, bool(config.resume), config.overwrite)
        resume = self._resume_path()
        ck = None
        if resume is not None:
            ck = checkpoint.load(resume)
            self.cfg, ignored = resumed(ck.get("config", {}), config, given)
            for message in ignored:
                self.warn(message)
        config = self.cfg
        dev = where.device

        train_set, val_set, test_set = splits(config, self.input_shape, data, val_data)
        self.test_size = len(test_set) if test_set is not None else 0
        self.classes = train_set.classes
        self.model = model.to(dev)
        head_x, head_y = train_set.head(2)
        out = preflight.probe(self.model, head_x.to(dev))
        self.output_names = preflight.output_names(self.model, out)
        loss = for_targets(config.loss, out, head_y)
        if loss != config.loss:
            self.cfg = config = config.merge({"loss": loss})
            self.log("note: the targets are the next tokens: the loss is next_token "
                     "(cross-entropy at every position), perplexity = exp(loss)")
        self.loss_fn = Objective(config.loss, self.output_names, self.meta.get("output_layouts"))
        # How a text source's token ids read (text.Vocabulary): kept with the run for predict.
        self.vocab = getattr(train_set, "vocab", None)
        if self.loss_fn.note:
            self.log(f"note: {self.loss_fn.note}")
        # Every target when the data know them up front, else the probed samples'.
        parts = [d.labels for d in (train_set, val_set, test_set) if d is not None]
        every_y = torch.cat(parts) if all(p is not None for p in parts) else head_y
        preflight.check_targets(self.loss_fn, out, every_y, train_set.name)
        for part in (train_set, val_set, test_set):
            preflight.check_token_ids(self.model, part, dev)

        if where.world > 1 and not all(hasattr(d, "subset") for d in (train_set, val_set) if d):
            raise TrainError("under torchrun, give a Dataset, not a DataLoader",
                             "each process takes its share of a Dataset's samples")
        if where.world > 1 and val_set is not None and not config.fsdp:  # each rank its share
            val_set = val_set.subset(torch.arange(where.rank, len(val_set), where.world))
        # Augmentation and normalisation (a resumed run keeps the numbers it measured).
        self.pipeline = transforms.build(config, train_set, ck.get("normalize") if ck else None,
                                         config.workers)
        if config.normalize == "auto" and self.pipeline is not None and ck is None:
            self.log("normalize auto: mean " + _numbers(self.pipeline.stats["mean"]) +
                     ", std " + _numbers(self.pipeline.stats["std"]))
        self.train_data = feeder(train_set, dev, config.channels_last, config.workers,
                                 self.pipeline)
        # Validation needs workers only to decode files; in-memory batches it takes as they are.
        self.val_data = feeder(val_set, dev, config.channels_last,
                               config.workers if isinstance(val_set, Streamed) else 0,
                               self.pipeline) \
            if val_set is not None else None

        if config.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        if config.init_from and resume is None:
            loaded, skipped = transfer.init_from(self.model, config.init_from)
            self.log(f"init_from {config.init_from}: loaded {len(loaded)} tensors "
                     f"({', '.join(loaded)})" + (f"; skipped {len(skipped)}: " + "; ".join(skipped)
                                                 if skipped else ""))
        self.frozen = transfer.freeze(self.model, config.freeze, layers)
        if self.frozen:
            self.log(self.frozen.report())
        # Sharded before the optimizer exists: FSDP2 replaces the parameters.
        self.sharded = Sharded(self.model, shard_units, where) if config.fsdp else None
        self.optimizer = _optimizer(self.model, config, dev)
        self.scaler = torch.amp.GradScaler(dev.type) if config.amp == "fp16" else None
        self.history: list[dict] = []
        self.start_epoch = 0
        if ck is not None:
            self._load_resume(resume, ck)
        else:
            seed_everything(config.seed)

        self.net = self.model
        if where.world > 1 and self.sharded is None:
            self.net = nn.parallel.DistributedDataParallel(
                self.model, device_ids=[dev.index] if dev.type == "cuda" else None)
        if config.compile:
            self.net = torch.compile(self.net)
        self.autocast = _autocast(dev, config.amp)

        self.hooks = Hooks(callbacks, self)
        if config.log == "tensorboard":
            self.hooks.add(TensorBoard())
        if config.metrics and (self.loss_fn.class_labels is None or
                               self.loss_fn.class_labels(head_y) is None):
            raise TrainError(f"metrics {', '.join(config.metrics)} need class targets (labels "
                             f"or one-hot rows) and the loss {config.loss} has none here",
                             "leave `metrics` out for this loss and data")
        picked = self.loss_fn.pick(out)      # the probe's: the scores' class count
        self.n_classes = picked.shape[1] if picked.dim() == 2 else None

    # --- resume -----------------------------------------------------------------------

    def _resume_path(self) -> Path | None:
        resume = self.cfg.resume
        if resume is False:
            return None
        path = self.out / "last.pt" if resume is True else Path(resume)
        if path.is_dir():
            path = path / "last.pt"
        if not path.is_file():
            raise TrainError(f"nothing to resume: {path} does not exist",
                             "run without --resume first, or point --resume at a last.pt")
        return path

    def _load_resume(self, path: Path, ck: dict) -> None:
        try:
            self._put_back(ck, path.parent, optimizer=True)
            if self.scaler is not None and ck.get("scaler"):
                self.scaler.load_state_dict(ck["scaler"])
        except (RuntimeError, KeyError, ValueError) as err:
            raise TrainError(f"cannot resume from {path}: {str(err).splitlines()[0]}",
                             "resume with the same spec and settings that wrote it") from None
        self.start_epoch = int(ck["epoch"])
        self.history = [dict(r) for r in ck["history"]]
        checkpoint.set_rng_state(ck["rng"])
        self.log(f"resuming {path} after epoch {self.start_epoch}")

    def _put_back(self, ck: dict, folder: Path, optimizer: bool) -> None:
        """Load checkpoint `ck` (in `folder`) into the model, and the optimizer if asked;
        a sharded run reads both from the shards it names."""
        if ck.get("shards") and self.sharded is not None:
            self.sharded.load(folder / ck["shards"], self.optimizer)
            return
        self.model.load_state_dict(checkpoint.model_state(ck))
        if optimizer:
            self.optimizer.load_state_dict(ck["optimizer"])

    # --- epochs -------------------------------------------------------------------------

    def run(self) -> TrainResult:
        if self.where.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
            if self.source is not None:
                checkpoint.atomic_write(self.out / "model.py",
                                        lambda f: f.write(self.source.encode("utf-8")))
            if self.vocab is not None:           # readable; the checkpoints hold it too
                text = json.dumps(self.vocab.to_dict(), ensure_ascii=False, indent=1)
                checkpoint.atomic_write(self.out / "vocab.json",
                                        lambda f: f.write(text.encode("utf-8")))
        self.stopped_early = False
        self.bar = None
        self.val_scores: dict[str, float] = {}
        try:
            for epoch in range(self.start_epoch + 1, self.cfg.epochs + 1):
                if self._patience_spent():
                    self.stopped_early = True
                    break
                started = time.perf_counter()
                train_loss, train_acc, rate = self._train_epoch(epoch)
                val_loss, val_acc = self._validate()
                figures = dict(loss=f"{train_loss:.4f}", acc=_pct(train_acc),
                               val_loss=f"{val_loss:.4f}", val_acc=_pct(val_acc),
                               rate=f"{rate:,.0f}/s")
                figures.update(_shown(self.val_scores))
                if self.loss_fn.kind == "next_token":    # perplexity in place of accuracy
                    self.val_scores.update(train_ppl=perplexity(train_loss),
                                           val_ppl=perplexity(val_loss))
                    figures = dict(loss=figures["loss"], ppl=f"{perplexity(train_loss):.2f}",
                                   val_loss=figures["val_loss"],
                                   val_ppl=f"{perplexity(val_loss):.2f}", rate=figures["rate"])
                self.bar.set_postfix(**figures)
                self.bar.close()
                self.bar = None
                self._guard(epoch, train_loss, val_loss)
                self.history.append(dict(
                    epoch=epoch, train_loss=train_loss, train_acc=train_acc, val_loss=val_loss,
                    val_acc=val_acc, samples_per_s=rate, seconds=time.perf_counter() - started,
                    lr=self.epoch_lr, **self.val_scores))
                if not self.bars:
                    self.log(f"{self.name} {epoch}/{self.cfg.epochs}: " + ", ".join(
                        f"{k} {v}" for k, v in figures.items()) + f", lr {self.epoch_lr:.3g}")
                if self.sharded is not None:  # every rank writes its shards
                    self.shards = self.sharded.save(self.out, epoch, self.optimizer)
                if self.where.is_main:
                    self._save(epoch)
                if self.hooks.epoch_end(epoch, self.history[-1]) is not None:
                    self.stopped_early = True
                    self.log(f"{self.name}: stopped early after epoch {epoch}: "
                             f"{self.hooks.run.stop_reason}")
                    break
            self.where.barrier()  # rank 0's files are written when train returns on any rank
            if self.stopped_early and self.hooks.run.stop_reason is None:
                best = self.history[_best_index(self.history)]
                self.log(f"{self.name}: stopped early after epoch {len(self.history)}: no "
                         f"better epoch than {best['epoch']} in {self.cfg.patience}")
        except KeyboardInterrupt:
            if self.bar is not None:
                self.bar.close()
            raise TrainInterrupted(self.out, len(self.history)) from None
        finally:
            if self.where.is_main and self.history:
                plot_curves(self.history, self.out / "curves.png", self.name)
        return self._result()

    def _patience_spent(self) -> bool:
        """Early stopping: the best epoch is `patience` epochs old (read from the history,
        so a resumed run stops where an uninterrupted one would)."""
        patience, h = self.cfg.patience, self.history
        return patience is not None and bool(h) and len(h) - 1 - _best_index(h) >= patience

    def _train_epoch(self, epoch: int) -> tuple[float, float, float]:
        cfg, dev, where = self.cfg, self.where.device, self.where
        order = epoch_order(self.train_data.n, cfg.seed, epoch)
        if where.world > 1:
            # Equal shards, so every rank takes the same steps; strided, so that step i's
            # batches on all ranks together are step i's batch of one process with
            # world × batch samples (the same run, up to floating-point rounding).
            per = len(order) // where.world
            order = order[where.rank:per * where.world:where.world]
        steps = self.train_data.steps(order, cfg.batch)
        bar = tqdm(total=steps, desc=f"{self.name} {epoch}/{cfg.epochs}", unit="batch",
                   disable=not self.bars, leave=True, dynamic_ncols=True)
        self.bar = bar
        # Learning rate per step from the schedule (a pure function of the global step);
        # a constant schedule leaves the optimizer alone.
        first_step = (epoch - 1) * steps
        schedule = None if cfg.schedule == "constant" else \
            [lr_at(cfg, first_step + i, steps) for i in range(steps)]
        self.epoch_lr = schedule[0] if schedule else cfg.lr
        self.net.train()
        _keep_frozen_norms_still(self.model)
        # Nothing syncs per step: each step's loss and argmax predictions go into device
        # buffers, scored against the epoch's labels when the bar refreshes and at the end.
        # That costs 2 small kernels a step (a tiny model on a GPU is launch-bound).
        losses = torch.zeros(steps, device=dev)
        weights: list[int] = []         # samples per step, known on the host
        labels = self.loss_fn.class_labels(self.train_data.targets(order)) \
            if self.loss_fn.class_labels is not None and self.train_data.labels_known else None
        preds = torch.empty(len(order), device=dev, dtype=torch.int64) if labels is not None else None
        hits = torch.zeros((), device=dev, dtype=torch.int64)  # used when labels is None
        has_acc = True
        seen = 0
        started = last_bar = time.perf_counter()
        for step, (xb, yb) in enumerate(self.train_data.batches(order, cfg.batch, epoch)):
            if schedule is not None:
                for group in self.optimizer.param_groups:
                    group["lr"] = schedule[step]
            with self.autocast:
                out = self.net(xb)
            loss = self.loss_fn(out, yb)
            self.optimizer.zero_grad(set_to_none=True)
            if self.scaler is not None:
                self.scaler.scale(loss).backward()
                self.scaler.step(self.optimizer)
                self.scaler.update()
            else:
                loss.backward()
                self.optimizer.step()
            n = len(yb)
            with torch.no_grad():
                losses[step] = loss.detach()
                if not self.loss_fn.single:
                    out = self.loss_fn.pick(out)
                if preds is not None and out.dim() == 2:
                    torch.argmax(out.detach(), 1, out=preds[seen:seen + n])
                else:
                    preds = None
                    correct = self.loss_fn.correct(out.detach(), yb)
                    if correct is None:
                        has_acc = False
                    else:
                        hits.add_(correct)
            seen += n
            weights.append(n)
            bar.update(1)
            if self.hooks.batches:  # reads the loss: one sync a step, only when asked
                self.hooks.batch_end(first_step + step + 1, dict(
                    loss=float(loss.detach()), batch=n, epoch=epoch,
                    lr=schedule[step] if schedule else cfg.lr))
            now = time.perf_counter()
            if now - last_bar > BAR_REFRESH_S and (self.bars or where.world == 1):
                last_bar = now
                loss_sum, hit_sum = self._sums(losses, weights, step + 1, preds, labels, hits, seen)
                mean_loss, acc = loss_sum.item() / seen, hit_sum.item() / seen
                if where.world == 1 and not math.isfinite(mean_loss):  # ranks must stop together
                    self._stop(epoch, "train loss", mean_loss)
                bar.set_postfix(loss=f"{mean_loss:.4f}", acc=_pct(acc if has_acc else math.nan),
                                rate=f"{seen / (now - started):,.0f}/s")
        loss_sum, hit_sum = self._sums(losses, weights, len(weights), preds, labels, hits, seen)
        sums = torch.stack([loss_sum, hit_sum.double(),
                            torch.tensor(float(seen), device=dev, dtype=torch.float64)])
        total = all_reduce_sum(sums, where).tolist()  # the epoch's one sync
        seconds = time.perf_counter() - started
        self.bar = bar  # run() adds the validation figures and closes it
        return total[0] / total[2], (total[1] / total[2] if has_acc else math.nan), total[2] / seconds

    @staticmethod
    def _sums(losses, weights, steps, preds, labels, hits, seen):
        """(Σ loss·n, correct) over the first `steps` steps / `seen` samples, on the device;
        `weights`: the samples of each step."""
        loss_sum = (losses[:steps].double() *
                    torch.tensor(weights[:steps], device=losses.device, dtype=torch.float64)).sum()
        if preds is not None:
            return loss_sum, (preds[:seen] == labels[:seen]).sum()
        return loss_sum, hits

    @torch.no_grad()
    def _validate(self) -> tuple[float, float]:
        if self.val_data is None:
            return math.nan, math.nan
        self.net.eval()
        sums = torch.zeros(3, device=self.where.device, dtype=torch.float64)
        has_acc = True
        scores = Scores(self.cfg.metrics, self.n_classes, self.where.device) \
            if self.cfg.metrics else None
        for xb, yb in self.val_data.in_order(max(self.cfg.batch, 256)):
            with self.autocast:
                out = self.model(xb)  # the bare module: DDP needs no gradient sync here
            sums[0] += self.loss_fn(out, yb) * len(yb)
            if scores is not None:
                picked = self.loss_fn.pick(out)
                if picked.dim() == 2:
                    scores.add(picked, self.loss_fn.class_labels(yb))
            correct = self.loss_fn.correct(out, yb)
            has_acc = has_acc and correct is not None
            if correct is not None:
                sums[1] += correct
            sums[2] += len(yb)
        if self.sharded is None:    # sharded: every rank validated every sample
            all_reduce_sum(sums, self.where)
        total = sums.tolist()
        if scores is not None:
            reduce = (lambda t: all_reduce_sum(t, self.where)) if self.sharded is None else \
                (lambda t: t)
            self.val_scores = scores.reduced(reduce).results(self.classes)
        return total[0] / total[2], (total[1] / total[2] if has_acc else math.nan)

    # --- safety, saving, results ----------------------------------------------------------

    def _guard(self, epoch: int, train_loss: float, val_loss: float) -> None:
        """Stop before a non-finite epoch reaches a checkpoint."""
        if not math.isfinite(train_loss):
            self._stop(epoch, "train loss", train_loss)
        if not math.isfinite(val_loss) and self.val_data is not None:
            self._stop(epoch, "validation loss", val_loss)
        finite = torch.stack([local(p.detach()).isfinite().all()
                              for p in self.model.parameters()]).all()
        if self.sharded is not None:  # each rank holds a shard: they decide together
            finite = all_reduce_sum((~finite).double(), self.where) == 0
        if not bool(finite):
            self._stop(epoch, "a weight", math.nan)

    def _stop(self, epoch: int, what: str, value: float):
        last = self.out / "last.pt"
        if self.history and last.is_file():  # this run's (or the resumed) last good epoch
            self._put_back(checkpoint.load(last), self.out, optimizer=False)
            kept = f"the last good checkpoint, {last} (epoch {len(self.history)}), is intact"
        else:
            kept = "no checkpoint was written before it"
        raise TrainError(
            f"{what} became {value} in epoch {epoch}; training stopped ({kept})",
            f"lower the learning rate (now {self.cfg.lr:g})" +
            (", or try amp = \"bf16\" instead of fp16" if self.cfg.amp == "fp16" else "") +
            ", and check the data for nan or inf values")

    def _save(self, epoch: int) -> None:
        state = {
            "format": checkpoint.FORMAT, "name": self.name, "input_shape": list(self.input_shape),
            "input_dtype": self.input_shape.dtype,
            "epoch": epoch,
            "model": self.sharded.full if self.sharded else self.model.state_dict(),
            "optimizer": None if self.sharded else self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler is not None else None,
            "history": [dict(r) for r in self.history], "rng": checkpoint.rng_state(),
            "config": self.cfg.to_dict(), "module": self.meta,
            "output_names": list(self.output_names or []),
            "classes": list(self.classes or []),
            "launch": launch_id(),                 # a restarted worker resumes its own run
            "shards": self.shards if self.sharded else None,   # model + optimizer, sharded
            "normalize": self.pipeline.stats if self.pipeline is not None else None,
            "vocab": self.vocab.to_dict() if self.vocab is not None else None,
        }
        checkpoint.save(self.out / "last.pt", state)
        if _best_index(self.history) == len(self.history) - 1:
            checkpoint.save(self.out / "best.pt", state)
        write_metrics(self.history, self.out / "metrics.csv")
        if self.sharded is not None:
            self.sharded.prune(self.out, {epoch, self.history[_best_index(self.history)]["epoch"]})

    def _result(self) -> TrainResult:
        h = self.history
        best = h[_best_index(h)] if h else None
        rates = [r["samples_per_s"] for r in h[1:]] or [r["samples_per_s"] for r in h]
        result = TrainResult(
            name=self.name, best_val_acc=best["val_acc"] if best else math.nan,
            final_val_acc=h[-1]["val_acc"] if h else math.nan,
            best_epoch=best["epoch"] if best else 0, history=h,
            samples_per_s=float(np.mean(rates)) if rates else math.nan, out=self.out,
            best=self.out / "best.pt", last=self.out / "last.pt",
            metrics=self.out / "metrics.csv", curves=self.out / "curves.png",
            stopped_early=self.stopped_early, model=self.model, classes=self.classes,
            stop_reason=self.hooks.run.stop_reason or (
                f"patience {self.cfg.patience} spent" if self.stopped_early else None))
        if h and "val_ppl" in h[-1]:            # a language model: perplexity, no accuracy
            self.log(f"{self.name}: best validation perplexity {best['val_ppl']:.2f} (epoch "
                     f"{result.best_epoch}, {best['val_loss']:.4f} nats per token), final "
                     f"{h[-1]['val_ppl']:.2f}, {result.samples_per_s:,.0f} samples/s; outputs "
                     f"in {self.out}")
        elif h:
            self.log(f"{self.name}: best validation accuracy {_pct(result.best_val_acc)} "
                     f"(epoch {result.best_epoch}), final {_pct(result.final_val_acc)}, "
                     f"{result.samples_per_s:,.0f} samples/s; outputs in {self.out}")
            if self.val_scores:
                self.log(f"{self.name}: final " + ", ".join(
                    f"{k} {v}" for k, v in _shown(h[-1]).items()))
        self.hooks.train_end(result)
        return result


def _best_index(history: list[dict]) -> int:
    """The best epoch: highest validation accuracy (ties: lower loss), else lowest
    validation loss, else lowest training loss."""
    def key(i):
        r = history[i]
        if not math.isnan(r["val_acc"]):
            return (-r["val_acc"], r["val_loss"])
        return (r["val_loss"] if not math.isnan(r["val_loss"]) else r["train_loss"],)
    return min(range(len(history)), key=key)


def _optimizer(model: nn.Module, cfg: TrainConfig, device: torch.device) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise TrainError("nothing to train: every parameter is frozen",
                         "freeze fewer layers")
    kind = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}[cfg.optimizer]
    kwargs = dict(cfg.optimizer_kwargs)
    if cfg.optimizer in ("adam", "adamw") and device.type == "cuda" and \
            "foreach" not in kwargs and all(p.is_floating_point() for p in params):
        kwargs.setdefault("fused", True)  # one kernel for the whole update
    try:
        return kind(params, lr=cfg.lr, weight_decay=cfg.weight_decay, **kwargs)
    except (TypeError, ValueError) as err:
        raise TrainError(f"cannot build the {cfg.optimizer} optimizer: {err}",
                         "check the optimizer's keyword arguments") from None


def _autocast(device: torch.device, amp: str):
    if amp == "off":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16 if amp == "bf16" else torch.float16)


def _keep_frozen_norms_still(model: nn.Module) -> None:
    """Batch-norm layers whose parameters are all frozen also keep their running
    statistics (eval mode), so a frozen layer really is unchanged by training."""
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            params = list(m.parameters())
            if params and not any(p.requires_grad for p in params):
                m.eval()


def _shown(scores: dict) -> dict[str, str]:
    """The chosen scalar metrics of an epoch for a progress line (per-class ones left to
    metrics.csv): val_top5 → top5 91.20%."""
    return {k[4:]: _pct(v) for k, v in scores.items()
            if k.startswith("val_") and k[4:].startswith(("top", "precision", "recall", "f1"))
            and "_" not in k[4:]}


def _numbers(values: list[float]) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in values) + ")"


def _pct(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{100 * x:.2f}%"
