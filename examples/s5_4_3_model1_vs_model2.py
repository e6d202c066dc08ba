"""Book §5.4.3: the dense model1 against the convolutional model2, the chapter's figure.

    python examples/s5_4_3_model1_vs_model2.py --mnist data/mnist     # the book's setting
    python examples/s5_4_3_model1_vs_model2.py                        # bundled data

The book trains both on 5,000 MNIST images, validates on 5,000 more, with Adam (learning
rate 0.005) and batches of 1,000, and plots validation accuracy per epoch. This runs exactly
that as three `archlang` commands (train, train, compare-runs), printing each one:

- with `--mnist FOLDER` (the standard IDX files, which you download yourself) on MNIST;
- without it on `shifted_digits(28)`: scikit-learn's bundled handwritten digits, 12–18
  pixels tall, each placed at a random spot of a 28×28 canvas (10,000 images, 5,000 + 5,000
  as in the book). On the bundled digits as they are (centred, 1,797 of them) both models
  reach about 97% and the figure shows nothing; digits that move about are what a
  convolution's shared, local filters handle and a dense layer has to learn place by place
  (book §5.2).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from commands import run  # examples/commands.py

ROOT = Path(__file__).resolve().parent.parent



def main(argv=None) -> Path:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mnist", metavar="FOLDER", help="MNIST IDX files (default: bundled shifted digits)")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--train-size", type=int, default=5000)
    p.add_argument("--val-size", type=int, default=5000)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--out", default="runs/s5_4_3", help="run folders and the figure go here")
    args = p.parse_args(argv)

    count = args.train_size + args.val_size
    data = f"mnist({args.mnist})" if args.mnist else f"shifted_digits(28, count={count})"
    out = Path(args.out)
    common = ["--data", data, "--train-size", str(args.train_size), "--val-split", str(args.val_size),
              "--optimizer", "adam", "--lr", "0.005", "--batch", str(args.batch),
              "--epochs", str(args.epochs), "--seed", "0", "--no-progress", "--overwrite"]
    for model in ("model1", "model2"):
        run(["train", str(ROOT / f"specs/book/{model}.arch"), *common, "--out", str(out / model)])
    figure = out / "model1-vs-model2.png"
    run(["compare-runs", str(out / "model1"), str(out / "model2"), "-o", str(figure)])
    return figure


if __name__ == "__main__":
    main()
