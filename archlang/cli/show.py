"""`archlang show filters|activations RUN [--layer N] [--input FILE | --index K] -o OUT.png`
and `archlang show boxes RUN -o OUT.png`.

RUN is a run folder written by `archlang train` (its best.pt), a checkpoint, or a .arch
spec (untrained weights). Layers are `archlang check`'s row numbers (book §5.7). `boxes`
judges a localisation run on its validation images (book §5.8.1).
"""
from __future__ import annotations

from pathlib import Path

from . import EXIT_OK, EXIT_SPEC, UsageError, plugin_argument, print_diagnostics


def register(sub) -> None:
    p = sub.add_parser("show", help="draw a trained model's filters, activation maps or boxes",
                       description="Draw the learned filters of a convolution layer, or the "
                                   "activation maps of any layer for one input (book §5.7); "
                                   "layers are numbered as in `archlang check`. `boxes` prints "
                                   "a localisation run's presence and class accuracy and mean "
                                   "IoU, and draws predicted against true boxes (§5.8.1).")
    p.add_argument("what", choices=("filters", "activations", "boxes"))
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
    p.add_argument("--count", "-n", type=int, default=18, metavar="N",
                   help="boxes: validation images drawn (18)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.png", help="picture (.png, .svg, .pdf)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    plugin_argument(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..diagnostics import SpecError
    from ..interpret import open_network, show_activations, show_filters
    from ..interpret.errors import WrongChoice
    from ..train.errors import TrainError

    for what, path in (("RUN", args.run), ("--spec", args.spec), ("--input", args.input)):
        if path is not None and not Path(path).exists():
            raise UsageError(f"no such file or folder ({what}): {path}")
    if args.what != "activations" and (args.input is not None or args.index is not None):
        raise UsageError(f"--input and --index choose an input for `show activations`; "
                         f"{args.what} need none")
    if args.count < 1:
        raise UsageError(f"--count must be ≥ 1, got {args.count}")
    if args.index is not None and args.index < 0:
        raise UsageError(f"--index must be ≥ 0, got {args.index}")
    try:
        net = open_network(args.run, spec=args.spec, model=args.model)
        if args.what == "boxes":
            from ..interpret.boxes import judge
            m = judge(net, args.output, args.count)
            print(f"{net.name}: presence {100 * m['presence']:.1f}% of {m['images']} validation "
                  f"images; on the {m['present']} with an object: class {100 * m['class']:.1f}%, "
                  f"mean IoU {m['iou']:.3f}")
            out = args.output
        elif args.what == "filters":
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
