"""`archlang train FILE [options]` and `archlang compare-runs RUN... -o plot.png`.

Options may also come from the spec's `train NAME { ... }` section; flags win. Several
models (`--model a --model b`, or a spec with several models and no --model) are trained
one after the other and their validation accuracies drawn on one plot, the book's figure.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import (EXIT_OK, EXIT_SPEC, EXIT_USAGE, UsageError, load_checked, plugin_argument,
               print_diagnostics, set_params, size_values)

EXIT_INTERRUPTED = 130


def _val_split(text: str):
    value = float(text)
    return int(value) if value >= 1 and value.is_integer() else value


def register(sub) -> None:
    p = sub.add_parser("train", help="train a spec's model on real data (CPU or GPU)",
                       description="Compile a spec's model to PyTorch and train it. Settings come "
                                   "from the spec's `train` section; flags override them.")
    p.add_argument("file", help="a .arch spec")
    p.add_argument("--model", "-m", metavar="NAME", action="append",
                   help="the model to train (repeat for several; default: every model)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="a value for one of the spec's `param`s (repeatable): the point of its "
                        "search space to train")
    p.add_argument("--size", action="append", metavar="NAME=N,...",
                   help="values of the named input sizes (`x: W×H×3`): the sizes to train at "
                        "(default: the data's own, e.g. 28×28 for MNIST)")
    g = p.add_argument_group("data")
    g.add_argument("--data", help='FOLDER (one subfolder of images per class; train/ val/ test/ '
                                  'used when present) | FILE.csv | FILE.npz | digits | "digits(28)" | '
                                  '"mnist(FOLDER)" | "fashion_mnist(FOLDER)" | mnist5k | mnist1d | '
                                  'FILE.txt | "text(FILE, level=byte)" | kjv (bundled text) | '
                                  'FILE.tsv (label<TAB>text lines)  (default: the embedded '
                                  'digits, sized to the spec)')
    g.add_argument("--label-column", metavar="NAME",
                   help="the label column of CSV data (default: label, target or class)")
    g.add_argument("--val-split", type=_val_split, metavar="F|N",
                   help="validation share (0.2) or count (5000)")
    g.add_argument("--test-split", type=_val_split, metavar="F|N",
                   help="held-out test share or count for `archlang evaluate` (0; mnist's "
                        "t10k files when present)")
    g.add_argument("--train-size", type=int, metavar="N", help="cap on training samples")
    g.add_argument("--workers", type=int, metavar="N",
                   help="loader processes: decode an image folder's files, or feed a GPU from "
                        "host memory (0: in this process)")
    g = p.add_argument_group("optimisation")
    g.add_argument("--epochs", type=int, metavar="N")
    g.add_argument("--batch", type=int, metavar="N", help="samples per step (per process)")
    g.add_argument("--optimizer", choices=("adam", "adamw", "sgd"))
    g.add_argument("--lr", type=float)
    g.add_argument("--weight-decay", type=float)
    g.add_argument("--loss", metavar="LOSS",
                   help="crossentropy | mse | localization | next_token (a language model), "
                        "or an expression over the model's outputs: "
                        "\"crossentropy(out) + 0.3 * crossentropy(aux1)\"")
    g.add_argument("--schedule", metavar="S",
                   help='learning rate per step: constant | cosine | onecycle | '
                        '"step(every=N, gamma=G)" (constant)')
    g.add_argument("--patience", type=int, metavar="N",
                   help="stop when validation has not improved for N epochs")
    g.add_argument("--seed", type=int, help="seeds the weights, split and shuffles (0)")
    g = p.add_argument_group("hardware")
    g.add_argument("--device", metavar="D", help="auto | cpu | cuda | cuda:N")
    g.add_argument("--amp", choices=("bf16", "fp16", "off"), help="mixed precision (autocast)")
    g.add_argument("--channels-last", action="store_true", default=None)
    g.add_argument("--compile", action="store_true", default=None, help="torch.compile the model")
    g = p.add_argument_group("runs and transfer learning")
    g.add_argument("--out", metavar="DIR",
                   help="output folder (default: the first free of runs/MODEL, runs/MODEL-2, …)")
    g.add_argument("--overwrite", action="store_true", default=None,
                   help="let a fresh run replace the run in --out")
    g.add_argument("--resume", action="store_true", default=None,
                   help="continue exactly where the run in --out (default: the latest "
                        "runs/MODEL…) stopped")
    g.add_argument("--freeze", metavar="ROWS",
                   help='keep layers fixed, by `archlang check` row numbers ("1:4", "1-4", '
                        '"3") or names from `check --columns name` (layers or blocks)')
    g.add_argument("--init-from", metavar="CKPT", help="start from a checkpoint's matching weights")
    g.add_argument("--no-progress", action="store_true", help="no progress bars")
    g = p.add_argument_group("metrics and logs")
    g.add_argument("--metrics", metavar="M,M",
                   help="validation scores each epoch, in metrics.csv and the progress: "
                        "topK (top5, ...), precision, recall, f1 (macro), per_class")
    g.add_argument("--log", metavar="LOGGER",
                   help="tensorboard: event files in RUN/tensorboard (needs the tensorboard "
                        "package)")
    g = p.add_argument_group("several processes (under torchrun)")
    g.add_argument("--fsdp", action="store_true", default=None,
                   help="shard the model with FSDP2 per block and repeat copy, instead of DDP")
    g = p.add_argument_group("transforms")
    g.add_argument("--augment", metavar="STEPS",
                   help='random changes to training samples, e.g. "random_crop(pad=4), flip, '
                        'rotate(15), color_jitter(0.2)"; "none" for none')
    g.add_argument("--normalize", metavar="auto|MEAN,STD",
                   help='per-channel normalisation: auto (measured on the training split), '
                        '"0.5,0.5", "(0.485,0.456,0.406),(0.229,0.224,0.225)" or none')
    plugin_argument(p)
    p.set_defaults(func=run)

    c = sub.add_parser("compare-runs", help="plot the validation accuracy of several runs",
                       description="Draw the validation accuracy per epoch of several training "
                                   "runs on one plot (the book's figure of model1 vs model2).")
    c.add_argument("runs", nargs="+", metavar="RUN", help="folders written by `archlang train`")
    c.add_argument("-o", "--output", required=True, metavar="PLOT.png")
    c.add_argument("--labels", metavar="A,B", help="legend labels (default: the folder names)")
    c.set_defaults(func=run_compare)


def _flags(args) -> dict:
    names = ("data", "label_column", "val_split", "test_split", "train_size", "workers", "epochs", "batch",
             "optimizer", "lr", "weight_decay", "loss", "schedule", "patience", "seed", "device",
             "amp", "channels_last", "compile", "out", "overwrite", "resume", "freeze",
             "init_from")
    names += ("metrics", "log", "fsdp", "augment", "normalize")
    return {name: getattr(args, name) for name in names}


def _error(message) -> None:
    print(f"archlang train: error: {message}", file=sys.stderr)


def run(args) -> int:
    from ..api import instantiate, layer_rows, run_meta, shard_units, train_settings
    from ..backends.torch import generate
    from ..diagnostics import Problem, SpecError
    from ..ir.loss import parse_loss
    from ..ir.augment import read_text
    from ..train import TrainConfig, TrainError, compare_runs
    from ..train.loop import seed_everything, train

    result = load_checked(args)
    if not result.ok:
        print_diagnostics(result.diagnostics, args)
        return EXIT_SPEC
    names = args.model or [m.name for m in result.models]
    if not names:
        raise UsageError(f"{args.file} defines no model to train")
    if len(names) > 1 and args.out:
        raise UsageError("--out names one run; with several models, runs go to runs/MODEL")
    if args.overwrite and not args.out:
        raise UsageError("--overwrite needs --out: without it every run gets a fresh folder")
    flags = _flags(args)
    try:
        if args.loss is not None:               # read once, positioned in the flag's text
            flags["loss"] = parse_loss(args.loss, "--loss")
        if args.augment is not None and args.augment.strip().lower() not in ("", "none", "off"):
            flags["augment"] = read_text(args.augment, "--augment")   # positioned too
        merged = TrainConfig().merge(flags)     # a bad flag is a usage error (exit 2)
        if args.log is not None and merged.log == "tensorboard":
            from ..train.callbacks import writer_class
            writer_class()                      # not installed: exit 2 with the pip hint
    except Problem as p:
        print_diagnostics([p.diagnostic], args)
        return EXIT_USAGE
    except TrainError as err:
        if err.diagnostic is not None:          # positioned in a flag's text: shown as one
            print_diagnostics([err.diagnostic], args)
            return EXIT_USAGE
        raise UsageError(str(err)) from None
    # Resuming warns about the settings the user gave, not about defaults.
    given = [key for key, value in flags.items() if value is not None]
    outcomes = []
    for name in names:
        report = result.model(name)
        try:
            config = TrainConfig.from_section(train_settings(Path(args.file), name,
                                                             params=set_params(args))).merge(flags)
            if len(report.inputs) > 1:
                # A data set gives one input tensor; several inputs need a data format first.
                raise TrainError(f"`{name}` has {len(report.inputs)} inputs ("
                                 + ", ".join(n for n, _ in report.inputs)
                                 + "); training takes one input so far")
            if report.input_sizes is not None:
                report = _sized(args, report, config)
                if report is None:
                    return EXIT_SPEC
            gen = generate([report], args.file)
            seed_everything(config.seed)        # before the module exists: its initial weights
            module = instantiate(gen, report)
            meta = run_meta(gen, report, str(Path(args.file).resolve()))
            outcome = train(module, report.input_shape, config, name=name,
                            progress=not args.no_progress, layers=layer_rows(report), meta=meta,
                            log=print, given=given,
                            shard_units=shard_units(report, gen) if config.fsdp else None)
        except SpecError as err:
            print_diagnostics(err.diagnostics, args)
            return EXIT_SPEC
        except TrainError as err:
            if err.diagnostic is not None:      # a loss that does not fit, where it is written
                print_diagnostics([err.diagnostic], args)
            else:
                _error(err)
            return EXIT_SPEC
        except KeyboardInterrupt as stop:
            _interrupted(args, name, stop)
            return EXIT_INTERRUPTED
        outcomes.append(outcome)
    if len(outcomes) > 1:
        plot = Path(outcomes[0].out).parent / ("compare-" + "-".join(o.name for o in outcomes) + ".png")
        compare_runs([o.out for o in outcomes], plot)
        best = ", ".join(f"{o.name} {100 * o.best_val_acc:.1f}%" for o in outcomes)
        print(f"validation accuracy: {best}; plot: {plot}")
    return EXIT_OK


def _sized(args, report, config):
    """A model with named input sizes (`x: W×H×1`) made concrete: at --size's sizes, the others
    taken from the data (train/natural.py) and said in the output; None (the diagnostics
    printed) when a size is outside the model's valid set."""
    from ..api import model_errors
    from ..train.natural import bind_from_data, from_data
    given = size_values(args) or {}
    if all(n in given for n in report.input_sizes.variables):
        return report                       # checked at them by load_checked
    symbolic = report if report.input_sizes.table_at is None else \
        _checked_at(args, None).model(report.name)
    bound = bind_from_data(symbolic, config.data, given=given)
    result = _checked_at(args, {**bound.sizes, **given})
    errors = model_errors(result, report.name)
    if errors:
        print_diagnostics([from_data(d, bound) for d in errors], args)
        return None
    report = result.model(report.name)
    print("\n".join(bound.lines(report.input_sizes)))
    return report


def _checked_at(args, sizes: dict | None):
    """The spec checked again as `load_checked` checks it, at these named sizes."""
    given = [",".join(f"{n}={v}" for n, v in sizes.items())] if sizes else None
    return load_checked(argparse.Namespace(**{**vars(args), "size": given}))


def _interrupted(args, name: str, stop: KeyboardInterrupt) -> None:
    """Ctrl-C: say what was kept and the command that continues the run."""
    out = getattr(stop, "out", None)
    done = getattr(stop, "epochs_done", 0)
    if out is None or not done:
        print(f"\narchlang train: interrupted before the first epoch finished; nothing to "
              "resume", file=sys.stderr)
        return
    command = ["archlang", "train", args.file, "--model", name, "--resume", "--out", str(out)]
    if args.epochs:
        command += ["--epochs", str(args.epochs)]
    for plugin in getattr(args, "plugin", None) or ():
        command += ["--plugin", plugin]
    print(f"\narchlang train: interrupted; {out}/last.pt holds epoch {done}. Continue with:\n"
          f"  {_shell(command)}", file=sys.stderr)


def run_compare(args) -> int:
    from ..train import TrainError, compare_runs
    labels = args.labels.split(",") if args.labels else None
    if labels is not None and len(labels) != len(args.runs):
        raise UsageError(f"{len(labels)} labels for {len(args.runs)} runs")
    try:
        out = compare_runs(args.runs, args.output, labels)
    except TrainError as err:
        raise UsageError(str(err)) from None
    print(f"wrote {out}")
    return EXIT_OK


def _shell(command: list[str]) -> str:
    """The command as a shell line (shlex, imported only here: not on every CLI start)."""
    import shlex
    return shlex.join(command)
