"""Scoring a finished run on its held-out test split (Keras' `evaluate`): loss, accuracy, the
confusion matrix and the chosen metrics (top-k, precision/recall/F1, per class), with the data
rebuilt exactly as the run split them. Counted batch by batch: no outputs are kept."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..ir.trainconfig import parse_metrics
from .batches import feeder
from .data import splits
from .errors import TrainError
from .metrics import Scores
from .runs import Run
from .transforms import for_run


@dataclass
class EvalResult:
    """split: "test" or "validation" (runs without a test split); n samples; loss and
    accuracy (nan without class targets); confusion[i, j] = samples of class i predicted
    as j (None without class targets); scores: the chosen metrics by name without a split
    prefix (top5, f1, acc_<class>, ...; empty without class targets)."""

    split: str
    n: int
    loss: float
    accuracy: float
    confusion: np.ndarray | None
    scores: dict | None = None


def evaluate(run: Run, batch: int = 512, metrics=None) -> EvalResult:
    """Score `run`'s model (its checkpoint's weights) on the run's test split, or on its
    validation split when it was trained without one. `metrics`: names as the `metrics`
    setting takes them (default: the run's own)."""
    _, val, test = splits(run.config, run.input_shape)
    data, which = (test, "test") if test is not None else (val, "validation")
    if data is None:
        raise TrainError(f"the run in {run.folder} kept no test or validation data",
                         "train with --test-split 0.1 (or --val-split) to hold some out")
    objective = run.objective()
    names = parse_metrics(run.config.metrics if metrics is None else metrics)
    model = run.model.eval()
    total_loss, scores = 0.0, Scores(names)
    with torch.no_grad():
        for xb, yb in feeder(data, torch.device("cpu"), workers=run.config.workers,
                             pipeline=for_run(run.config, run.state)).in_order(batch):
            out = model(xb)
            total_loss += float(objective(out, yb)) * len(yb)
            out = objective.pick(out)
            labels = objective.class_labels(yb) if objective.class_labels is not None else None
            if labels is None or out.dim() != 2:
                scores = None                   # regression, boxes: loss only
            if scores is not None:
                scores.add(out, labels)
    confusion = scores.matrix() if scores is not None else None
    if confusion is None:
        return EvalResult(which, len(data), total_loss / len(data), math.nan, None)
    return EvalResult(which, len(data), total_loss / len(data),
                      float(np.trace(confusion) / confusion.sum()), confusion,
                      scores.results(run.classes, prefix=""))
