"""CSV tables: a header row, one label column (named `label`, `target` or `class`, or
chosen by the user) and numeric feature columns, read into memory and shaped to the spec's
input (pixel columns become images)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import torch

from .dataset import Dataset
from .errors import TrainError
from .layout import format_shape, torch_input_shape

LABEL_NAMES = ("label", "target", "class")
# Values read into memory at most: they become one float32 tensor (the npz bound).
MAX_VALUES = 2**29


def read_csv(path, input_shape, label: str | None = None) -> Dataset:
    """The table at `path` as a Dataset fitted to `input_shape`.

    Labels: whole numbers are class numbers (from 0); words (`cat`, `dog`) become classes
    numbered in sorted order, their names kept; other numbers are float targets. Features:
    every other column, numbers only. When the spec's input is an image (W×H×C), the
    feature columns are its pixels row by row, channels last (numpy's `img.reshape(-1)` of an
    H×W×C image, Kaggle's MNIST CSV); integer pixels up to 255 are scaled to [0, 1].
    TrainError names the row and column of a cell that is not a number, and both counts
    when the feature columns do not fit the input.
    """
    path = Path(path)
    if not path.is_file():
        raise TrainError(f"no such data file: {path}")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise TrainError(f"cannot read {path}: {err}") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise TrainError(f"{path} holds no samples", "write a header row, then one row per sample")
    header = [h.strip() for h in rows[0]]
    column = _label_column(path, header, label)
    width = len(header)
    if (len(rows) - 1) * width > MAX_VALUES:
        raise TrainError(f"{path}: {len(rows) - 1:,} rows of {width} values are more than the "
                         f"{MAX_VALUES:,} archlang reads into memory",
                         "train on a part of the table, or save the images as a folder")
    features = np.empty((len(rows) - 1, width - 1), dtype=np.float64)
    raw_labels = []
    others = [j for j in range(width) if j != column]
    for i, row in enumerate(rows[1:]):
        line = i + 2                                  # 1-based, after the header
        if len(row) != width:
            raise TrainError(f"{path}: row {line} has {len(row)} cells but the header has {width}")
        raw_labels.append(row[column].strip())
        for k, j in enumerate(others):
            cell = row[j].strip()
            try:
                features[i, k] = float(cell)
            except ValueError:
                what = "an empty cell" if not cell else f"`{cell[:40]}` is not a number"
                raise TrainError(f"{path}: row {line}, column {j + 1} (`{header[j]}`): {what}",
                                 "feature columns hold numbers only; the label column is "
                                 f"`{header[column]}`") from None
            if not math.isfinite(features[i, k]):
                raise TrainError(f"{path}: row {line}, column {j + 1} (`{header[j]}`): "
                                 f"`{cell}` is not a finite number")
    y, classes = _labels(raw_labels)
    x = _shaped(path, features, input_shape)
    return Dataset(x, y, f"csv:{path.name}", classes=classes)


def _label_column(path: Path, header: list[str], label: str | None) -> int:
    lowered = [h.lower() for h in header]
    if label is not None:
        if label.lower() not in lowered:
            raise TrainError(f"{path} has no column named `{label}`",
                             "its columns: " + ", ".join(header[:12]) + (", ..." if len(header) > 12 else ""))
        return lowered.index(label.lower())
    for name in LABEL_NAMES:
        if name in lowered:
            return lowered.index(name)
    raise TrainError(f"{path} has no label column (none named {', '.join(LABEL_NAMES)})",
                     "name it with --label-column NAME (label_column = \"NAME\" in the train "
                     "section), or write a header row that names it `label`")


def _labels(raw: list[str]) -> tuple[torch.Tensor, list[str] | None]:
    """Class numbers, float targets, or class numbers of words with their names."""
    try:
        values = np.array([float(v) for v in raw])
    except ValueError:
        names = sorted(set(raw))
        index = {n: k for k, n in enumerate(names)}
        return torch.tensor([index[v] for v in raw], dtype=torch.int64), names
    if np.all(values == np.round(values)) and values.min() >= 0:
        return torch.from_numpy(values.astype(np.int64)), None
    return torch.from_numpy(values.astype(np.float32)), None


def _shaped(path: Path, features: np.ndarray, input_shape) -> torch.Tensor:
    want = torch_input_shape(input_shape)
    n, f = features.shape
    if f != math.prod(want):
        raise TrainError(f"{path} has {f} feature columns but the spec's input "
                         f"{format_shape(input_shape)} takes {math.prod(want)} values",
                         "change the spec's input shape to match the table, or write one "
                         "column per input value (besides the label)")
    if len(want) == 3:                          # pixels row by row, channels last: N×H×W×C
        c, h, w = want
        if features.max() > 1 and features.min() >= 0 and features.max() <= 255 and \
                np.all(features == np.round(features)):
            features = features / 255.0
        features = features.reshape(n, h, w, c).transpose(0, 3, 1, 2)
    return torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32)).reshape(n, *want)
