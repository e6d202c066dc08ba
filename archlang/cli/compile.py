"""`archlang compile FILE [--model NAME] [-o OUT] [--to python|onnx|torchscript] [--weights CKPT]`.

Python source goes to stdout or OUT; ONNX and TorchScript are files (-o is required), with
trained weights from a checkpoint when --weights names one, written by `archlang.export`'s
code (archlang/backends/torch/export.py; ONNX files take any batch size). torch is imported
only for the binary formats.
"""
from __future__ import annotations

import sys

from . import EXIT_OK, EXIT_SPEC, UsageError, common_arguments, load_checked, print_diagnostics

FORMATS = ("python", "onnx", "torchscript")


def register(sub) -> None:
    p = sub.add_parser("compile", help="compile to a PyTorch module (Python source), ONNX or TorchScript",
                       description="Write a standalone PyTorch module (it imports torch only) with "
                                   "one nn.Module class per model; inputs are N×C×H×W.")
    common_arguments(p)
    p.add_argument("-o", "--output", metavar="OUT", help="write here instead of stdout")
    p.add_argument("--to", choices=FORMATS, default="python",
                   help="python source (default), onnx (torch.onnx.export with a dynamic batch "
                        "dimension; needs the `onnx` extra) or torchscript (torch.jit.script)")
    p.add_argument("--weights", metavar="CKPT",
                   help="export with these trained weights (a best.pt / last.pt of `archlang "
                        "train`, or its run folder); --to onnx or torchscript")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..backends.torch import generate
    result = load_checked(args)
    if not result.ok:
        print_diagnostics(result.diagnostics, args)
        return EXIT_SPEC
    if not result.models:
        raise UsageError(f"{args.file} defines no model")
    reports = [m for m in result.models if not args.model or m.name == args.model]
    if args.weights and args.to == "python":
        raise UsageError("--weights goes into a binary file: add --to onnx or --to torchscript")
    if args.to != "python":
        if not args.output:
            raise UsageError(f"--to {args.to} writes a binary file; name it with -o")
        if len(reports) > 1:
            raise UsageError(f"{args.file} defines {len(reports)} models; choose one with --model")
    gen = generate(reports, args.file)
    print_diagnostics(result.diagnostics, args)       # warnings, if any
    if args.to == "python":
        if args.output:
            _write_text(args.output, gen.source)
        else:
            sys.stdout.write(gen.source)
        return EXIT_OK
    return _export(gen, reports[0], args)


def _export(gen, report, args) -> int:
    """The binary formats, through the Python API (archlang/backends/torch/export.py)."""
    from ..api import export_compiled
    from ..backends.torch import ExportError
    from ..diagnostics import SpecError
    from ..train import TrainError
    try:
        export_compiled(gen, report, args.output, args.to, weights=args.weights)
    except ImportError as err:       # the onnx extra is missing
        raise UsageError(str(err)) from None
    except SpecError as err:         # too large to build: refused before any allocation
        print_diagnostics(err.diagnostics, args)
        return EXIT_SPEC
    except (TrainError, ExportError) as err:
        print(f"archlang compile: error: {err}", file=sys.stderr)
        return EXIT_SPEC
    return EXIT_OK


def _write_text(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror or err}") from None
