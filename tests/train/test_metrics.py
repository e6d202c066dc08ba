"""Validation metrics (top-k, precision/recall/F1, per class): hand-computed values, agreement
with scikit-learn, their place in training's history and metrics.csv, and `evaluate`."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
metrics_mod = pytest.importorskip("sklearn.metrics")

import archlang  # noqa: E402
from archlang.cli import main  # noqa: E402
from archlang.ir.trainconfig import parse_metrics  # noqa: E402
from archlang.train import TrainConfig, TrainError  # noqa: E402
from archlang.train.metrics import Scores, read_metrics  # noqa: E402

from .helpers import one_thread  # noqa: E402,F401  (autouse)

# Five samples, three classes. Predictions (argmax): 0, 1, 2, 2, 2 for labels 0, 2, 1, 2, 0.
LOGITS = torch.tensor([[3., 2., 1.],      # label 0: top-1 hit
                       [1., 3., 2.],      # label 2: top-2 hit (second largest)
                       [2., 1., 3.],      # label 1: smallest, a miss even at top-2
                       [1., 2., 3.],      # label 2: top-1 hit
                       [1., 0., 5.]])     # label 0: top-2 hit
LABELS = torch.tensor([0, 2, 1, 2, 0])
# Confusion (rows true): [[1, 0, 1], [0, 0, 1], [0, 1, 1]]; column sums 1, 1, 3; row sums 2, 1, 2.
PRECISION = (1 / 1, 0 / 1, 1 / 3)
RECALL = (1 / 2, 0 / 1, 1 / 2)
F1 = (2 * 1 / (1 + 2), 0.0, 2 * 1 / (3 + 2))    # 2·tp / (predicted + actual)


def scored(names, batches=((0, 2), (2, 5)), classes=None):
    s = Scores(parse_metrics(names))
    for a, b in batches:                           # in two batches: counts accumulate
        s.add(LOGITS[a:b], LABELS[a:b])
    return s.results(classes)


def test_hand_computed_scores():
    r = scored("top1, top2, top3, precision, recall, f1, per_class", classes=["a", "b", "c"])
    assert r["val_top1"] == 2 / 5 and r["val_top2"] == 4 / 5 and r["val_top3"] == 1.0
    assert r["val_precision"] == pytest.approx(sum(PRECISION) / 3)       # 4/9
    assert r["val_recall"] == pytest.approx(sum(RECALL) / 3)             # 1/3
    assert r["val_f1"] == pytest.approx(sum(F1) / 3)                     # 16/45
    assert [r[f"val_acc_{c}"] for c in "abc"] == [0.5, 0.0, 0.5]
    assert [r[f"val_f1_{c}"] for c in "abc"] == pytest.approx(F1)
    assert [r[f"val_precision_{c}"] for c in "abc"] == pytest.approx(PRECISION)
    assert scored("top2")  == {"val_top2": 0.8}                          # only what was chosen
    assert scored("top9")["val_top9"] == 1.0                             # k beyond the classes
    assert Scores(["f1"]).results() == {}                                # no batch yet
    confusion = Scores([])
    confusion.add(LOGITS, LABELS)
    assert confusion.matrix().tolist() == [[1, 0, 1], [0, 0, 1], [0, 1, 1]]


@pytest.mark.parametrize("seed", range(6))
def test_scores_agree_with_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 8))
    n = int(rng.integers(5, 200))
    # Labels drawn from fewer classes than outputs now and then: a class that occurs nowhere
    # is left out of the macro averages, as scikit-learn's default does.
    y = rng.integers(0, max(1, k - seed % 2), n)
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y] * rng.random((n, 1))
    s = Scores(["top1", "top2", f"top{k - 1}", "precision", "recall", "f1", "per_class"])
    for start in range(0, n, 17):
        s.add(torch.from_numpy(logits[start:start + 17]), torch.from_numpy(y[start:start + 17]))
    r = s.results()
    labels = np.arange(k)
    for top in (1, 2, k - 1):
        assert r[f"val_top{top}"] == pytest.approx(
            metrics_mod.top_k_accuracy_score(y, logits, k=top, labels=labels))
    pred = logits.argmax(1)
    p, rc, f, _ = metrics_mod.precision_recall_fscore_support(y, pred, average="macro",
                                                              zero_division=0)
    assert (r["val_precision"], r["val_recall"], r["val_f1"]) == pytest.approx((p, rc, f))
    per = metrics_mod.precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    assert [r[f"val_f1_{c}"] for c in labels] == pytest.approx(per[2])
    assert [r[f"val_precision_{c}"] for c in labels] == pytest.approx(per[0])
    for c in labels:     # per-class accuracy: the share of class c predicted as c
        expected = (pred[y == c] == c).mean() if (y == c).any() else math.nan
        assert r[f"val_acc_{c}"] == pytest.approx(expected, nan_ok=True)


def test_metric_names_are_checked():
    assert parse_metrics("Top-5, F1,per-class,f1") == ["top5", "f1", "per_class"]
    assert parse_metrics(["top_3", "precision"]) == ["top3", "precision"]
    with pytest.raises(TrainError, match="unknown metric `f2`") as err:
        TrainConfig().merge({"metrics": "f2"})
    assert "did you mean `f1`" in err.value.hint
    with pytest.raises(TrainError, match="top-k needs k ≥ 1"):
        parse_metrics("top0")
    with pytest.raises(TrainError, match="unknown log `tensorbord`"):
        TrainConfig().merge({"log": "tensorbord"})


REGRESSION = "model t(x: 4) = Chain(Dense(4 => 1))\n"
TABLE3 = "model t(x: 4) = Chain(Dense(4 => 8, relu), Dense(8 => 3))\n"


def table3(n: int, seed: int):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)).astype(np.float32), rng.integers(0, 3, n)


def test_training_scores_its_validation_data_each_epoch(tmp_path, tmp_spec):
    spec = tmp_spec(TABLE3)
    x, y = table3(60, 0)
    vx, vy = table3(37, 1)
    result = archlang.fit(spec, data=(x, y), val_data=(vx, vy), epochs=2, batch=16,
                          metrics="top2,precision,recall,f1,per_class", out=str(tmp_path / "r"),
                          progress=False, device="cpu")
    last = result.history[-1]
    with torch.no_grad():               # the returned module has the last epoch's weights
        logits = result.model(torch.from_numpy(vx)).numpy()
    pred = logits.argmax(1)
    assert last["val_acc"] == pytest.approx((pred == vy).mean())
    assert last["val_top2"] == pytest.approx(
        metrics_mod.top_k_accuracy_score(vy, logits, k=2, labels=[0, 1, 2]))
    p, r, f, _ = metrics_mod.precision_recall_fscore_support(vy, pred, average="macro",
                                                             zero_division=0)
    assert (last["val_precision"], last["val_recall"], last["val_f1"]) == pytest.approx((p, r, f))
    rows = read_metrics(result.metrics)                  # written to metrics.csv, 6 digits
    assert len(rows) == 2 and rows[1]["val_f1"] == pytest.approx(f, abs=1e-6)
    assert {"val_acc_0", "val_acc_2", "val_f1_1", "val_top2"} <= set(rows[0])
    with pytest.raises(TrainError, match="need class targets"):
        archlang.fit(tmp_spec(REGRESSION, "r.arch"), data=(x, np.zeros(60, np.float32)),
                     loss="mse", epochs=1, metrics="f1", out=str(tmp_path / "mse"),
                     progress=False, device="cpu")


SMALL = "model small(x: 8×8×1) = Chain(flatten, Dense(64, 10))\n"


def test_cli_train_and_evaluate_show_the_metrics(tmp_path, tmp_spec, capsys):
    spec = tmp_spec(SMALL)
    out = tmp_path / "run"
    assert main(["train", str(spec), "--data", "digits(8)", "--epochs", "1", "--no-progress",
                 "--metrics", "top3,f1", "--device", "cpu", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    row = read_metrics(out / "metrics.csv")[0]
    assert f"top3 {100 * row['val_top3']:.2f}%" in printed and f"f1 {100 * row['val_f1']:.2f}%" in printed
    assert main(["evaluate", str(out), "--metrics", "top3,f1,per_class", "-o",
                 str(tmp_path / "c.png")]) == 0
    printed = capsys.readouterr().out.splitlines()
    scores = next(line for line in printed if line.startswith("top3 "))
    assert scores == f"top3 {100 * row['val_top3']:.2f}%, f1 {100 * row['val_f1']:.2f}%"
    table = printed[printed.index(next(p for p in printed if p.startswith("class "))):]
    assert table[0].split() == ["class", "acc", "f1"] and len(table) >= 11
    assert main(["evaluate", str(out), "--metrics", "f2"]) == 2
    assert main(["train", str(spec), "--metrics", "top0", "--out", str(tmp_path / "x")]) == 2
    assert "top-k needs k ≥ 1" in capsys.readouterr().err


def test_spec_section_takes_metrics_and_log(tmp_spec):
    ok = archlang.check(tmp_spec(SMALL + "train small { metrics = (top3, f1)\n log = tensorboard }\n"))
    assert ok.ok, ok.diagnostics
    bad = archlang.check(tmp_spec(SMALL + "train small { metrics = (top3, f2) }\n", "bad.arch"))
    assert [(d.code, d.message) for d in bad.diagnostics] == [("E0103", "unknown metric `f2`")]


DDP_WORKER = """
import os, sys, torch
from torch import nn
torch.set_num_threads(1)
from archlang.train import TrainConfig, train
torch.manual_seed(0)
model = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10))
cfg = TrainConfig.from_section({"data": "digits", "epochs": 1, "batch": 64, "lr": 0.01,
                                "device": "cpu", "out": sys.argv[1] + "/run",
                                "metrics": "top3,f1,per_class"})
result = train(model, (8, 8, 1), cfg, progress=False)
torch.save(model.state_dict(), sys.argv[1] + f"/rank{os.environ['RANK']}.pt")
"""


@pytest.mark.slow  # torchrun start-up: 6–25 s
def test_two_gloo_ranks_score_the_whole_validation_split(tmp_path):
    """Each rank scores its share; the summed counts equal scikit-learn's on the whole split."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from torch import nn

    from archlang.train.data import splits
    root = Path(__file__).resolve().parents[2]
    script = tmp_path / "worker.py"
    script.write_text(DDP_WORKER)
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         str(script), str(tmp_path)], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10))
    model.load_state_dict(torch.load(tmp_path / "rank0.pt", weights_only=True))
    _, val, _ = splits(TrainConfig.from_section({"data": "digits"}), (8, 8, 1))
    x, y = val.head(len(val))
    with torch.no_grad():
        logits = model(x).numpy()
    row = read_metrics(tmp_path / "run" / "metrics.csv")[0]
    f1 = metrics_mod.f1_score(y.numpy(), logits.argmax(1), average="macro", zero_division=0)
    top3 = metrics_mod.top_k_accuracy_score(y.numpy(), logits, k=3, labels=list(range(10)))
    assert row["val_f1"] == pytest.approx(f1, abs=1e-6)
    assert row["val_top3"] == pytest.approx(top3, abs=1e-6)
