"""`archlang evaluate RUN [--checkpoint best|last] [-o confusion.png]`: a trained run's test
accuracy (its held-out test split, or its validation split when it kept none) and a
confusion-matrix picture."""
from __future__ import annotations

import sys
from pathlib import Path

from . import EXIT_OK, EXIT_SPEC, UsageError, plugin_argument


def register(sub) -> None:
    p = sub.add_parser("evaluate", help="score a trained run on its held-out test data",
                       description="Score a run folder written by `archlang train` on its test "
                                   "split (mnist's t10k files, or --test-split), print the "
                                   "accuracy and draw the confusion matrix.")
    p.add_argument("run", metavar="RUN", help="a run folder (or one of its .pt files)")
    p.add_argument("--checkpoint", choices=("best", "last"), default="best",
                   help="which checkpoint of the folder (default: best)")
    p.add_argument("-o", "--output", metavar="PNG",
                   help="the confusion-matrix picture (default: RUN/confusion.png)")
    p.add_argument("--metrics", metavar="M,M",
                   help="scores beyond accuracy: topK (top5, ...), precision, recall, f1 "
                        "(macro), per_class (default: the run's own `metrics`)")
    plugin_argument(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..train import TrainError
    from ..train.evaluate import evaluate
    from ..train.plots import plot_confusion
    from ..train.runs import load_run
    if args.metrics is not None:
        from ..ir.trainconfig import parse_metrics
        try:
            parse_metrics(args.metrics)
        except TrainError as err:
            raise UsageError(str(err)) from None
    try:
        r = load_run(args.run, args.checkpoint)
        result = evaluate(r, metrics=args.metrics)
    except TrainError as err:
        print(f"archlang evaluate: error: {err}", file=sys.stderr)
        return EXIT_SPEC
    line = f"{r.name} ({r.checkpoint}): {result.split} loss {result.loss:.4f}"
    if result.confusion is not None:
        line += f", {result.split} accuracy {100 * result.accuracy:.2f}% on {result.n:,} samples"
    elif r.objective().kind == "next_token":     # a language model: its perplexity
        from ..train.metrics import perplexity
        line += f", perplexity {perplexity(result.loss):.2f} on {result.n:,} windows"
    print(line)
    _print_scores(result.scores or {})
    if r.classes:
        print("classes: " + ", ".join(f"{k} {c}" for k, c in enumerate(r.classes)))
    if result.split != "test":
        print("note: the run kept no test split; these are its validation samples, which chose "
              "the best epoch (train with --test-split 0.1 for an unbiased figure)")
    if result.confusion is not None:
        out = Path(args.output) if args.output else r.folder / "confusion.png"
        plot_confusion(result.confusion, out, f"{r.name}: {result.split} "
                                              f"accuracy {100 * result.accuracy:.2f}%", r.classes)
        print(f"confusion matrix: {out}")
    return EXIT_OK


def _print_scores(scores: dict) -> None:
    """One line of the averaged scores, then a table of the per-class ones (if chosen)."""
    overall = {k: v for k, v in scores.items() if "_" not in k}
    if overall:
        print(", ".join(f"{k} {100 * v:.2f}%" for k, v in overall.items()))
    per = {k: v for k, v in scores.items() if "_" in k}
    if not per:
        return
    names = list(dict.fromkeys(k.split("_", 1)[0] for k in per))
    classes = list(dict.fromkeys(k.split("_", 1)[1] for k in per))
    width = max(len("class"), *(len(c) for c in classes))
    print(f"{'class':<{width}}  " + "  ".join(f"{n:>9}" for n in names))
    for c in classes:
        print(f"{c:<{width}}  " + "  ".join(
            f"{_pct(per.get(f'{n}_{c}', float('nan'))):>9}" for n in names))


def _pct(x: float) -> str:
    return "n/a" if x != x else f"{100 * x:.2f}%"
