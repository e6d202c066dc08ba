"""`archlang compile FILE [--model NAME] [-o OUT] [--to python|onnx|torchscript] [--weights CKPT]`.

Python source goes to stdout or OUT; ONNX and TorchScript are files (-o is required), with
trained weights from a checkpoint when --weights names one; ONNX files take any batch size.
torch is imported only here, inside `run`, and only for the binary formats.
"""
from __future__ import annotations

import os
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
    from ..api import allocation_problem
    from ..backends.torch import generate, load_source
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
    problem = allocation_problem(reports[0])       # before any tensor is allocated
    if problem is not None:
        print_diagnostics([problem], args)
        return EXIT_SPEC
    model = load_source(gen, reports[0].name).eval()
    if args.weights:
        from ..train import TrainError
        from ..train.checkpoint import load as load_checkpoint, model_state
        from ..train.runs import load_weights
        try:
            load_weights(model, model_state(load_checkpoint(args.weights)), args.weights)
        except TrainError as err:
            print(f"archlang compile: error: {err}", file=sys.stderr)
            return EXIT_SPEC
    return export(model, reports[0], args.to, args.output)


def _write_text(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror or err}") from None


def export(model, report, fmt: str, path: str) -> int:
    import torch
    from ..backends.torch import torch_shape
    examples = tuple(torch.randn(1, *torch_shape(s)) for _, s in report.inputs)
    if fmt == "torchscript":
        try:
            scripted = torch.jit.script(model)
        except Exception:            # noqa: BLE001  (scripting can refuse; tracing is exact here)
            scripted = torch.jit.trace(model, examples)
        scripted.save(path)
        return EXIT_OK
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError:
        raise UsageError("--to onnx needs the `onnx` extra: pip install 'archlang[onnx]' "
                         "(onnx and onnxscript)") from None
    outputs = list(getattr(model, "output_names", None) or ["y"])
    # Batch 2 for the trace: with 1, the exporter may specialise the batch size to 1.
    batch = torch.export.Dim("batch")
    try:
        # A graph body's inputs keep their names (a layer body's is x); outputs are named by
        # the module's output_names (else y).
        names = [n for n, _ in report.inputs] if report.model.graph_body else ["x"]
        torch.onnx.export(model, tuple(e.repeat(2, *([1] * (e.dim() - 1))) for e in examples), path,
                          input_names=names, output_names=outputs,
                          dynamic_shapes=tuple({0: batch} for _ in examples), dynamo=True,
                          external_data=False, verbose=False)
    except Exception as err:         # noqa: BLE001  (the exporter's own failure, shown plainly)
        print(f"archlang compile: error: torch.onnx.export failed: {err}", file=sys.stderr)
        if os.path.exists(path):
            os.remove(path)
        return EXIT_SPEC
    return EXIT_OK
