"""Scoring a finished run on its held-out test split (Keras' `evaluate`): loss, accuracy and
the confusion matrix, with the data rebuilt exactly as the run split them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .batches import feeder
from .data import splits
from .errors import TrainError
from .losses import Objective
from .runs import Run
from .transforms import for_run


@dataclass
class EvalResult:
    """split: "test" or "validation" (runs without a test split); n samples; loss and
    accuracy (nan without class targets); confusion[i, j] = samples of class i predicted
    as j (None without class targets)."""

    split: str
    n: int
    loss: float
    accuracy: float
    confusion: np.ndarray | None


def evaluate(run: Run, batch: int = 512) -> EvalResult:
    """Score `run`'s model (its checkpoint's weights) on the run's test split, or on its
    validation split when it was trained without one."""
    _, val, test = splits(run.config, run.input_shape)
    data, which = (test, "test") if test is not None else (val, "validation")
    if data is None:
        raise TrainError(f"the run in {run.folder} kept no test or validation data",
                         "train with --test-split 0.1 (or --val-split) to hold some out")
    names = run.state.get("output_names") or None
    objective = Objective(run.config.loss, names)
    model = run.model.eval()
    total_loss, outs, ys = 0.0, [], []
    with torch.no_grad():
        for xb, yb in feeder(data, torch.device("cpu"), workers=run.config.workers,
                             pipeline=for_run(run.config, run.state)).in_order(batch):
            out = model(xb)
            total_loss += float(objective(out, yb)) * len(yb)
            outs.append(objective.pick(out))
            ys.append(yb)
    out, y = torch.cat(outs), torch.cat(ys)
    labels = objective.class_labels(y) if objective.class_labels is not None else None
    if labels is None or out.dim() != 2:
        return EvalResult(which, len(data), total_loss / len(data), math.nan, None)
    pred = out.argmax(1)
    k = max(int(out.shape[1]), int(labels.max()) + 1)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (labels.numpy(), pred.numpy()), 1)
    return EvalResult(which, len(data), total_loss / len(data),
                      float((pred == labels).float().mean()), confusion)
