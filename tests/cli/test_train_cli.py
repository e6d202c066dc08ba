"""`archlang train` and `archlang compare-runs`: the commands around the training engine."""
from __future__ import annotations

import csv

import pytest

torch = pytest.importorskip("torch")

from archlang.cli import main  # noqa: E402
from conftest import SPECS  # noqa: E402


@pytest.fixture(autouse=True)
def one_thread():
    # Other test processes share the 2 CI cores; one thread is faster than two that fight.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _train(tmp_path, spec, *flags):
    # The book's Adam learning rate; 3 epochs of the 1,437 training digits take about a second.
    return main(["train", str(spec), "--epochs", "3", "--batch", "64", "--lr", "0.005",
                 "--seed", "1", "--no-progress", *flags])


def test_train_model2_on_the_embedded_digits(tmp_path, capsys):
    out = tmp_path / "model2"
    assert _train(tmp_path, SPECS / "book/model2.arch", "--out", str(out)) == 0
    assert {p.name for p in out.iterdir()} >= {"best.pt", "last.pt", "metrics.csv", "curves.png"}
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    assert len(rows) == 3
    # measured: 0.93 on the 360 held-out digits (seed 1); chance is 0.10
    assert float(rows[-1]["val_acc"]) > 0.75
    assert "model2: best validation accuracy" in capsys.readouterr().out


def test_spec_train_section_is_used_and_flags_win(tmp_path, tmp_spec):
    spec = tmp_spec("""model mlp(x: 64) = Chain(Dense(64, 32, relu), Dense(32, 10))
train mlp {
    data = digits(8)
    optimizer = Adam(lr = 0.01)
    epochs = 1
}""")
    out = tmp_path / "run"
    assert main(["train", str(spec), "--out", str(out), "--epochs", "2", "--no-progress"]) == 0
    assert len(list(csv.DictReader(open(out / "metrics.csv")))) == 2     # the flag won


def test_compare_runs_draws_the_books_figure(tmp_path):
    a, b = tmp_path / "model1", tmp_path / "model2"
    assert _train(tmp_path, SPECS / "book/model1.arch", "--out", str(a)) == 0
    assert _train(tmp_path, SPECS / "book/model2.arch", "--out", str(b)) == 0
    plot = tmp_path / "compare.png"
    assert main(["compare-runs", str(a), str(b), "-o", str(plot)]) == 0
    assert plot.stat().st_size > 10_000


def test_exit_codes(tmp_path, tmp_spec, capsys):
    # a wrong spec: 1, with its diagnostic
    assert main(["train", str(SPECS / "book/model2_as_printed.arch")]) == 1
    assert "error[E0301]" in capsys.readouterr().err
    # data that does not fit the spec: 1, naming both shapes
    spec = tmp_spec("model m(x: 32×32×3) = Chain(flatten, Dense(3072, 10))")
    assert main(["train", str(spec), "--data", "digits", "--epochs", "1", "--out",
                 str(tmp_path / "x"), "--no-progress"]) == 1
    assert "32×32×3" in capsys.readouterr().out
    # usage errors: 2
    assert main(["train", str(SPECS / "book/model2.arch"), "--epochs", "0"]) == 2
    assert main(["train", str(SPECS / "book/model2.arch"), "--optimizer", "rmsprop"]) == 2
    assert main(["train", "missing.arch"]) == 2
    assert main(["compare-runs", str(tmp_path / "nothing"), "-o", str(tmp_path / "p.png")]) == 2
