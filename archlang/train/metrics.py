"""metrics.csv: one row per epoch, written atomically after every epoch."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from .checkpoint import atomic_write

# samples_per_s: training samples (all ranks) per second of training, validation excluded;
# seconds: the epoch's wall time, training and validation; accuracies are fractions;
# lr: the learning rate of the epoch's first step.
COLUMNS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "samples_per_s", "seconds",
           "lr")


def write_metrics(history: list[dict], path) -> None:
    """Write `history` (dicts with COLUMNS keys; nan for a missing value) as CSV."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in history:
        writer.writerow([row["epoch"]] + [f"{float(row.get(c, math.nan)):.6g}"
                                           for c in COLUMNS[1:]])
    atomic_write(path, lambda f: f.write(text.getvalue().encode()))


def read_metrics(path) -> list[dict]:
    """Read a metrics.csv back: epoch as int, the other columns as float."""
    with Path(path).open(newline="") as f:
        return [{k: (int(v) if k == "epoch" else float(v)) for k, v in row.items()}
                for row in csv.DictReader(f)]
