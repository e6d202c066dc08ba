"""`archlang show filters|activations RUN [--layer N] [--input FILE | --index K] -o OUT.png`.

RUN is a run folder written by `archlang train` (its best.pt), a checkpoint, or a .arch
spec (untrained weights). Layers are `archlang check`'s row numbers (book §5.7).
"""
from __future__ import annotations

from pathlib import Path

from . import EXIT_OK, EXIT_SPEC, UsageError, print_diagnostics


def register(sub) -> None:
    p = sub.add_parser("show", help="draw a trained model's filters or activation maps",
                       description="Draw the learned filters of a convolution layer, or the "
                                   "activation maps of any layer for one input (book §5.7). "
                                   "Layers are numbered as in `archlang check`.")
    p.add_argument("what", choices=("filters", "activations"))
    p.add_argument("run", metavar="RUN", help="a run folder, a checkpoint (.pt) or a .arch spec")
    p.add_argument("--layer", "-l", type=int, metavar="N",
                   help="check's row number (default: the first convolution)")
    p.add_argument("--spec", metavar="FILE", help="the spec the run was trained from "
                   "(default: the one the run records, or the .arch file in its folder)")
    p.add_argument("--model", "-m", metavar="NAME", help="the model in the spec (default: the run's)")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--input", metavar="FILE", help="activations: an image, .npy or .npz input")
    source.add_argument("--index", type=int, metavar="K",
                        help="activations: sample K of the run's data (default 0)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.png", help="picture (.png, .svg, .pdf)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..diagnostics import SpecError
    from ..interpret import open_network, show_activations, show_filters
    from ..interpret.errors import WrongChoice
    from ..train.errors import TrainError

    for what, path in (("RUN", args.run), ("--spec", args.spec), ("--input", args.input)):
        if path is not None and not Path(path).exists():
            raise UsageError(f"no such file or folder ({what}): {path}")
    if args.what == "filters" and (args.input is not None or args.index is not None):
        raise UsageError("--input and --index choose an input for `show activations`; "
                         "filters need none")
    if args.index is not None and args.index < 0:
        raise UsageError(f"--index must be ≥ 0, got {args.index}")
    try:
        net = open_network(args.run, spec=args.spec, model=args.model)
        if args.what == "filters":
            out = show_filters(net, args.output, args.layer)
        else:
            out = show_activations(net, args.output, args.layer, input=args.input, index=args.index)
    except SpecError as err:
        print_diagnostics(err.diagnostics, args)
        return EXIT_SPEC
    except WrongChoice as err:
        raise UsageError(str(err)) from None
    except TrainError as err:
        import sys
        print(f"archlang show: error: {err}", file=sys.stderr)
        return EXIT_SPEC
    print(f"wrote {out}")
    return EXIT_OK
