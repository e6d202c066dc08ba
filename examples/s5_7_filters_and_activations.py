"""Book §5.7, inner-layer interpretation: the filters model2 learns, and what its layers
make of one digit.

    python examples/s5_7_filters_and_activations.py [--epochs 8] [--out runs/s5_7]

Trains the book's model2 on the bundled handwritten digits (28×28), then draws, with
`archlang show`, the 8 learned 5×5 filters of row 1, the 16×8 3×3 filters of row 3, and the
activation maps of rows 1 and 3 for one validation digit. Rows are `archlang check`'s.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from commands import run  # examples/commands.py

ROOT = Path(__file__).resolve().parent.parent
SPEC = str(ROOT / "specs/book/model2.arch")



def main(argv=None) -> list[Path]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--index", type=int, default=5, help="which digit to look at (5: a '5')")
    p.add_argument("--out", default="runs/s5_7")
    args = p.parse_args(argv)
    out = Path(args.out)
    run_dir = str(out / "model2")
    run(["train", SPEC, "--epochs", str(args.epochs), "--batch", "64", "--lr", "0.005",
         "--seed", "0", "--no-progress", "--overwrite", "--out", run_dir])
    pictures = [out / "filters-row1.png", out / "filters-row3.png",
                out / "activations-row1.png", out / "activations-row3.png"]
    run(["show", "filters", run_dir, "--spec", SPEC, "--layer", "1", "-o", str(pictures[0])])
    run(["show", "filters", run_dir, "--spec", SPEC, "--layer", "3", "-o", str(pictures[1])])
    for row, picture in (("1", pictures[2]), ("3", pictures[3])):
        run(["show", "activations", run_dir, "--spec", SPEC, "--layer", row,
             "--index", str(args.index), "-o", str(picture)])
    return pictures


if __name__ == "__main__":
    main()
