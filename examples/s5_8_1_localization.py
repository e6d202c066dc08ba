"""Book §5.8.1, object localisation: find the digit on a larger canvas, say which it is,
and draw the boxes.

    python examples/s5_8_1_localization.py [--epochs 15] [--count 3000] [--out runs/s5_8_1]

Generated data, no downloads: `localization(32)` places scikit-learn's bundled handwritten
digits (8–16 pixels) at random on 32×32 canvases, a quarter of them left empty, with the
book's labels y = [p_c, x, y, h, w, p_1, …, p_10]. specs/book/localization.arch is trained
with the §5.8.1 loss (square error on p_c alone when there is no object, on all 15 entries
when there is one); `archlang show boxes` then prints presence accuracy, class accuracy on
the images with a digit and mean IoU on the validation images, and draws predicted against
true boxes.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from commands import run  # examples/commands.py

ROOT = Path(__file__).resolve().parent.parent
SPEC = str(ROOT / "specs/book/localization.arch")



def main(argv=None) -> Path:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--count", type=int, default=3000, help="generated images (a fifth validate)")
    p.add_argument("--out", default="runs/s5_8_1")
    args = p.parse_args(argv)
    out = Path(args.out)
    run_dir = str(out / "localization")
    run(["train", SPEC, "--data", f"localization(32, count={args.count})",
         "--epochs", str(args.epochs), "--seed", "0", "--no-progress", "--overwrite", "--out", run_dir])
    picture = out / "boxes.png"
    run(["show", "boxes", run_dir, "--spec", SPEC, "-o", str(picture)])
    return picture


if __name__ == "__main__":
    main()
