"""`archlang predict RUN INPUT... [--top K] [--checkpoint best|last]`: the trained model's
class and probability for each input (images, .npy, .npz)."""
from __future__ import annotations

import sys

from . import EXIT_OK, EXIT_SPEC, UsageError, plugin_argument


def register(sub) -> None:
    p = sub.add_parser("predict", help="classify inputs with a trained run's model",
                       description="Run a trained model (a run folder of `archlang train`) on "
                                   "images (png, jpg, …), .npy arrays or .npz files (array x) "
                                   "and print each input's class and probability.")
    p.add_argument("run", metavar="RUN", help="a run folder (or one of its .pt files)")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image, .npy or .npz files")
    p.add_argument("--top", type=int, default=3, metavar="K",
                   help="also list the K most likely classes (default: 3)")
    p.add_argument("--checkpoint", choices=("best", "last"), default="best")
    plugin_argument(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..train import TrainError
    from ..train.predict import predict
    from ..train.runs import load_run
    if args.top < 1:
        raise UsageError(f"--top must be at least 1, not {args.top}")
    try:
        trained = load_run(args.run, args.checkpoint)
        results = predict(trained, args.inputs, args.top)
    except TrainError as err:
        print(f"archlang predict: error: {err}", file=sys.stderr)
        return EXIT_SPEC
    for r in results:
        if r.label is None:
            print(f"{r.source}: output " + ", ".join(f"{v:.4g}" for v in r.output))
            continue
        name = trained.class_name
        others = ", ".join(f"{name(c)} {_pct(p)}" for c, p in r.top[1:])
        print(f"{r.source}: class {name(r.label)} ({_pct(r.probability)})"
              + (f"; then {others}" if others else ""))
    return EXIT_OK


def _pct(p: float) -> str:
    """0.981 → '98.1%'; below 0.1% → '<0.1%' (not a misleading 0.0%)."""
    return f"{100 * p:.1f}%" if p >= 0.0005 else "<0.1%"
