"""Book §5.4.4: transfer learning — reuse trained convolutions, retrain the dense head.

    python examples/s5_4_4_transfer_learning.py [--few 20] [--out runs/s5_4_4]

Two tasks from scikit-learn's bundled handwritten digits. Task A, the big one: tell the
digits 0–4 apart on about 5,000 28×28 images where they sit at random places
(`shifted_digits`). Task B, the small one: tell the centred digits 5–9 apart (as classes
0–4) from only `--few` labelled images, validated on 500 others. The book's model2 is
trained on A; examples/specs/model2_five.arch (model2 with a 5-way dense layer) then takes
its convolutions (`--init-from`), keeps `archlang check`'s rows 1–4 (conv, pool, conv, pool)
frozen (`--freeze 1:4`) and trains only its new dense layer on B — against the same network
trained on B from scratch. Each step is an `archlang` command, printed as it runs.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from commands import run  # examples/commands.py
from archlang.train import digits
from archlang.train.localization import shifted_digits
from archlang.train.metrics import read_metrics

ROOT = Path(__file__).resolve().parent.parent
SPEC_A = str(ROOT / "specs/book/model2.arch")
SPEC_B = str(ROOT / "examples/specs/model2_five.arch")
VAL_B = 500                  # task B images kept for validation


def write_tasks(folder: Path) -> tuple[Path, Path]:
    """task_a.npz: shifted digits 0–4 (of 10,000 generated, about 5,000); task_b.npz: the
    centred digits 5–9 labelled 0–4 (about 900). 28×28 images, int labels."""
    folder.mkdir(parents=True, exist_ok=True)
    a = shifted_digits(28, count=10000, seed=1)
    b = digits(28)
    task_a, task_b = folder / "task_a.npz", folder / "task_b.npz"
    keep = a.y < 5
    np.savez(task_a, x=a.x[keep].numpy(), y=a.y[keep].numpy())
    keep = b.y >= 5
    np.savez(task_b, x=b.x[keep].numpy(), y=(b.y[keep] - 5).numpy())
    return task_a, task_b


def best(run_dir: Path) -> float:
    return max(r["val_acc"] for r in read_metrics(run_dir / "metrics.csv"))


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--few", type=int, default=20, help="labelled images of task B (20)")
    p.add_argument("--base-epochs", type=int, default=15)
    p.add_argument("--head-epochs", type=int, default=30)
    p.add_argument("--out", default="runs/s5_4_4")
    args = p.parse_args(argv)
    out = Path(args.out)
    task_a, task_b = write_tasks(out / "data")

    common = ["--optimizer", "adam", "--lr", "0.005", "--seed", "0", "--no-progress", "--overwrite"]
    run(["train", SPEC_A, "--data", str(task_a), "--epochs", str(args.base_epochs), "--batch", "64",
         *common, "--out", str(out / "base")])
    few = ["--data", str(task_b), "--val-split", str(VAL_B), "--train-size", str(args.few),
           "--epochs", str(args.head_epochs), "--batch", "10", *common]
    run(["train", SPEC_B, *few, "--init-from", str(out / "base"), "--freeze", "1:4",
         "--out", str(out / "transfer")])
    run(["train", SPEC_B, *few, "--out", str(out / "scratch")])
    run(["compare-runs", str(out / "transfer"), str(out / "scratch"), "--labels",
         f"frozen convolutions from task A + new head,from scratch (both on {args.few} images)",
         "-o", str(out / "transfer-vs-scratch.png")])
    result = {"transfer": best(out / "transfer"), "scratch": best(out / "scratch")}
    print(f"task B with {args.few} labelled images: transfer {100 * result['transfer']:.1f}%, "
          f"from scratch {100 * result['scratch']:.1f}% best validation accuracy "
          f"({VAL_B} validation images)")
    return result


if __name__ == "__main__":
    main()
