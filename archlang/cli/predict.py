"""`archlang predict RUN INPUT... [--top K] [--checkpoint best|last]`: the trained model's
class and probability for each input (images, .npy, .npz); `archlang predict RUN --prompt
TEXT [--tokens N --temperature T --top-k K --seed S]`: a language model's continuation of
TEXT, or a text classifier's classes for it."""
from __future__ import annotations

import sys

from . import EXIT_OK, EXIT_SPEC, UsageError, plugin_argument


def register(sub) -> None:
    p = sub.add_parser("predict", help="classify inputs with a trained run's model, or "
                                       "continue a prompt with a language model",
                       description="Run a trained model (a run folder of `archlang train`) on "
                                   "images (png, jpg, …), .npy arrays or .npz files (array x) "
                                   "and print each input's class and probability; or, for a "
                                   "run trained on text, on --prompt: a language model prints "
                                   "the prompt and a sampled continuation, a text classifier "
                                   "the prompt's classes.")
    p.add_argument("run", metavar="RUN", help="a run folder (or one of its .pt files)")
    p.add_argument("inputs", nargs="*", metavar="INPUT", help="image, .npy or .npz files")
    p.add_argument("--top", type=int, default=3, metavar="K",
                   help="also list the K most likely classes (default: 3)")
    p.add_argument("--checkpoint", choices=("best", "last"), default="best")
    g = p.add_argument_group("text (runs trained on text)")
    g.add_argument("--prompt", metavar="TEXT",
                   help="text to continue (a language model) or to classify")
    g.add_argument("--tokens", type=int, default=200, metavar="N",
                   help="tokens to sample after the prompt (default: 200)")
    g.add_argument("--temperature", type=float, default=0.8, metavar="T",
                   help="divides the scores before sampling; 0 picks the most likely token "
                        "(default: 0.8)")
    g.add_argument("--top-k", type=int, default=40, metavar="K",
                   help="sample among the K most likely tokens; 0: among all (default: 40)")
    g.add_argument("--seed", type=int, default=0, help="the same seed, the same text (0)")
    plugin_argument(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..train import TrainError
    from ..train.runs import load_run
    if args.top < 1:
        raise UsageError(f"--top must be at least 1, not {args.top}")
    if args.prompt is None and not args.inputs:
        raise UsageError("give input files to classify, or --prompt TEXT for a run trained "
                         "on text")
    if args.prompt is not None and args.inputs:
        raise UsageError("give either input files or --prompt, not both")
    if args.tokens < 0 or args.top_k < 0 or not args.temperature >= 0:
        raise UsageError("--tokens, --top-k and --temperature must not be negative")
    try:
        trained = load_run(args.run, args.checkpoint)
        if args.prompt is not None:
            return _prompt(trained, args)
        from ..train.predict import predict
        results = predict(trained, args.inputs, args.top)
    except TrainError as err:
        print(f"archlang predict: error: {err}", file=sys.stderr)
        return EXIT_SPEC
    for r in results:
        _show(trained, r)
    return EXIT_OK


def _prompt(trained, args) -> int:
    """A language model's continuation of the prompt, or a classifier's classes for it."""
    from ..train.losses import Objective
    from ..train.sample import classify_text, sample
    if Objective(trained.config.loss).kind == "next_token":
        text = sample(trained, args.prompt, args.tokens, args.temperature,
                      args.top_k or None, args.seed)
        print(args.prompt + text)
    else:
        _show(trained, classify_text(trained, args.prompt, args.top))
    return EXIT_OK


def _show(trained, r) -> None:
    if r.label is None:
        print(f"{r.source}: output " + ", ".join(f"{v:.4g}" for v in r.output))
        return
    name = trained.class_name
    others = ", ".join(f"{name(c)} {_pct(p)}" for c, p in r.top[1:])
    print(f"{r.source}: class {name(r.label)} ({_pct(r.probability)})"
          + (f"; then {others}" if others else ""))


def _pct(p: float) -> str:
    """0.981 → '98.1%'; below 0.1% → '<0.1%' (not a misleading 0.0%)."""
    return f"{100 * p:.1f}%" if p >= 0.0005 else "<0.1%"
