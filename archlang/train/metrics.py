"""metrics.csv: one row per epoch, written atomically after every epoch; and the validation
scores chosen with `metrics` (top-k, precision/recall/F1, per class), counted batch by batch."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from .checkpoint import atomic_write

# samples_per_s: training samples (all ranks) per second of training, validation excluded;
# seconds: the epoch's wall time, training and validation; accuracies are fractions;
# lr: the learning rate of the epoch's first step.
COLUMNS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "samples_per_s", "seconds",
           "lr")


def perplexity(loss: float) -> float:
    """exp(mean cross-entropy per token, in nats): the number of tokens a language model is
    as unsure between as a uniform guess would be (V for a model that learnt nothing); inf
    where exp overflows."""
    return math.exp(loss) if loss < 700 else math.inf


def write_metrics(history: list[dict], path) -> None:
    """Write `history` (dicts with COLUMNS keys; nan for a missing value) as CSV; keys
    beyond COLUMNS (the chosen metrics) follow them, in the order they first occur."""
    extra = list(dict.fromkeys(k for row in history for k in row if k not in COLUMNS))
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS + tuple(extra))
    for row in history:
        writer.writerow([row["epoch"]] + [f"{float(row.get(c, math.nan)):.6g}"
                                           for c in COLUMNS[1:] + tuple(extra)])
    atomic_write(path, lambda f: f.write(text.getvalue().encode()))


def read_metrics(path) -> list[dict]:
    """Read a metrics.csv back: epoch as int, the other columns as float."""
    with Path(path).open(newline="") as f:
        return [{k: (int(v) if k == "epoch" else float(v)) for k, v in row.items()}
                for row in csv.DictReader(f)]


class Scores:
    """Classification scores accumulated batch by batch, never storing the outputs: a K×K
    confusion matrix (rows: true class, columns: predicted) and top-k hit counts, held on
    the outputs' device. `names`: the chosen metrics (TrainConfig.metrics); the matrix is
    kept whatever they are (evaluate draws it)."""

    def __init__(self, names=(), classes: int | None = None, device=None):
        self.names = list(names)
        self.ks = sorted({int(n[3:]) for n in self.names if n.startswith("top")})
        self.confusion = None           # torch int64 K×K, made at the first batch
        self.top_hits = None            # torch int64, one per k
        if classes is not None:         # known up front: a process with no batch still reduces
            self._zeros(classes, device)

    def _zeros(self, k: int, device) -> None:
        import torch
        self.confusion = torch.zeros(k * k, dtype=torch.int64, device=device)
        self.top_hits = torch.zeros(len(self.ks), dtype=torch.int64, device=device)

    def add(self, out, labels) -> None:
        """Count one batch: `out` N×K scores (logits or probabilities), `labels` N ints."""
        import torch
        k = out.shape[1]
        if self.confusion is None:
            self._zeros(k, out.device)
        pred = out.argmax(1)
        self.confusion += torch.bincount(labels * k + pred, minlength=k * k)[:k * k]
        if self.ks:
            # One topk for the largest k; a sample is a top-j hit if its label is in the
            # first j of those (topk returns them sorted, largest first).
            top = out.topk(min(self.ks[-1], k), 1).indices == labels[:, None]
            hits = top.cumsum(1).clamp_max(1).sum(0)
            self.top_hits += hits[[min(j, k) - 1 for j in self.ks]]

    def reduced(self, reduce) -> "Scores":
        """Sum the counts over processes with `reduce(tensor)` (one call); self."""
        import torch
        if self.confusion is not None:
            flat = reduce(torch.cat([self.confusion, self.top_hits]))
            self.confusion, self.top_hits = flat[:len(self.confusion)], flat[len(self.confusion):]
        return self

    def matrix(self) -> np.ndarray | None:
        """The confusion matrix as numpy (None before any batch)."""
        if self.confusion is None:
            return None
        c = self.confusion.cpu().numpy()
        k = math.isqrt(len(c))
        return c.reshape(k, k)

    def results(self, classes=None, prefix: str = "val_") -> dict[str, float]:
        """The chosen metrics by column name (`val_top5`, `val_f1`, `val_acc_<class>`, ...).
        Class names: `classes`, else the class numbers."""
        c = self.matrix()
        if c is None:
            return {}
        n = int(c.sum())
        out: dict[str, float] = {}
        hits = self.top_hits.tolist()
        for name in self.names:
            if name.startswith("top"):
                out[prefix + name] = hits[self.ks.index(int(name[3:]))] / n if n else math.nan
        per = per_class(c)
        # Macro averages over the classes that occur in the targets or the predictions, as
        # scikit-learn's precision_recall_fscore_support(average="macro") does by default.
        present = (c.sum(0) + c.sum(1)) > 0
        for name in ("precision", "recall", "f1"):
            if name in self.names:
                out[prefix + name] = float(per[name][present].mean()) if present.any() else math.nan
        if "per_class" in self.names:
            labels = [str(s) for s in classes] if classes and len(classes) == len(c) \
                else [str(i) for i in range(len(c))]
            for i, label in enumerate(labels):
                out[f"{prefix}acc_{label}"] = float(per["recall"][i]) if c[i].sum() else math.nan
                for name in ("precision", "recall", "f1"):
                    if name in self.names:
                        out[f"{prefix}{name}_{label}"] = float(per[name][i])
        return out


def per_class(confusion: np.ndarray) -> dict[str, np.ndarray]:
    """Precision, recall (= per-class accuracy) and F1 of each class from a confusion matrix
    (rows: true class); a ratio with a zero denominator is 0, as in scikit-learn
    (zero_division=0). F1 = 2·tp / (2·tp + fp + fn), the harmonic mean of the two."""
    c = np.asarray(confusion, dtype=np.float64)
    tp, predicted, actual = np.diag(c), c.sum(0), c.sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(actual > 0, tp / actual, 0.0)
        f1 = np.where(predicted + actual > 0, 2 * tp / (predicted + actual), 0.0)
    return {"precision": precision, "recall": recall, "f1": f1}
