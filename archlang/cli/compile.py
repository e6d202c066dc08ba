"""`archlang compile FILE [--model NAME] [-o OUT] [--to python|onnx|torchscript] [--weights CKPT]`.

Python source goes to stdout or OUT; ONNX and TorchScript are files (-o is required), with
trained weights from a checkpoint when --weights names one, written by `archlang.export`'s
code (archlang/backends/torch/export.py; ONNX files take any batch size, and the named input
sizes of a model over their valid sets). torch is imported only for the binary formats.
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
                        "dimension, and dynamic named sizes over their valid sets; needs the "
                        "`onnx` extra) or torchscript (torch.jit.script)")
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
    import warnings
    from ..api import export_compiled
    from ..backends.torch import ExportError, ExportWarning
    from ..backends.torch.export import StaticExportWarning
    from ..diagnostics import SpecError
    from ..train import TrainError
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ExportWarning)
            export_compiled(gen, report, args.output, args.to, weights=args.weights)
    except ImportError as err:       # the onnx extra is missing
        raise UsageError(str(err)) from None
    except SpecError as err:         # too large to build: refused before any allocation
        print_diagnostics(err.diagnostics, args)
        return EXIT_SPEC
    except (TrainError, ExportError) as err:
        print(f"archlang compile: error: {err}", file=sys.stderr)
        return EXIT_SPEC
    said = [w.message for w in caught if issubclass(w.category, ExportWarning)]
    for message in said:
        print(f"archlang compile: warning: {message}", file=sys.stderr)
    if report.input_sizes is not None:
        print(_sizes_line(report, args, static=any(isinstance(m, StaticExportWarning) for m in said)))
    return EXIT_OK


def _sizes_line(report, args, static: bool) -> str:
    """What the file takes of a model with named input sizes, in words."""
    from ..backends.torch.dims import size_dims, summary
    from ..sizes import describe
    dims = size_dims(report)
    found = report.input_sizes
    if not dims or static:
        at = ", ".join(f"{n} = {v}" for n, v in (found.table_at or found.reference).items())
        why = "--size" if not dims else "torch.export refused the dynamic sizes"
        valid = ", ".join(describe(n, v.exact.pieces() or v.runs.pieces())
                          for n, v in found.variables.items())
        return f"{args.output}: static sizes {at} ({why}); the model is valid for {valid}"
    if args.to == "torchscript":
        return (f"{args.output}: TorchScript takes the sizes the module takes; valid: "
                + ", ".join(d.valid for d in dims.values()) + " (recorded in its archlang.json)")
    return f"{args.output}: sizes {summary(dims)}; batch dynamic"


def _write_text(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror or err}") from None
