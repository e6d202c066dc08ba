"""A compiled module → an ONNX or TorchScript file (`archlang.export`, `archlang compile --to`).

torch, onnx and onnxscript are imported when a file is written, never when this module is:
`import archlang` and `archlang check` do not load them.

ONNX files take any batch size: the first dim of every input and output is the symbolic
`batch` (the export traces batch 2, since with 1 the exporter may fix the size to 1). A graph
body's inputs keep their names from the spec (a layer body's input is `x`); the outputs are
named by the module's `output_names` (a layer body's output is `y`). TorchScript files hold
`torch.jit.script(module)`, or a trace where scripting refuses the module.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

from ...check import ModelReport
from .layout import example_input

FORMATS = ("onnx", "torchscript")
ONNX_EXTRA = ("onnx", "onnxscript")
"""What torch.onnx.export needs besides torch: the `onnx` extra of archlang's pyproject."""


class ExportError(Exception):
    """The exporter refused the module or could not write the file; the message says why, and
    no file is left at the path."""


def check_format(to: str) -> None:
    """ValueError for a format other than FORMATS; ImportError (with the pip command) when
    `to="onnx"` and the onnx extra is missing. Cheap: call it before building a module."""
    if to not in FORMATS:
        raise ValueError(f"cannot export to {to!r}: choose one of {', '.join(FORMATS)}")
    if to == "onnx":
        try:
            import onnx  # noqa: F401
            import onnxscript  # noqa: F401
        except ImportError:
            raise ImportError("ONNX export needs the `onnx` extra: pip install 'archlang[onnx]' "
                              "(onnx and onnxscript)") from None


def example_inputs(report: ModelReport, batch: int = 1) -> tuple:
    """Random inputs of a checked model in PyTorch's layout (N×C×H×W), one per model input."""
    return tuple(example_input(shape, batch) for _, shape in report.inputs)


def export_module(module, report: ModelReport, path: str | os.PathLike, to: str) -> Path:
    """Write `module`, the compiled module of `report`, to `path` as `to` ("onnx" or
    "torchscript") and return the path. The module is exported in eval mode. Raises what
    `check_format` raises, and ExportError when the exporter fails."""
    check_format(to)
    path = Path(path)
    module.eval()
    try:
        if to == "torchscript":
            _torchscript(module, report, path)
        else:
            _onnx(module, report, path)
    except Exception as err:      # noqa: BLE001  (the exporter's own failure, reported plainly)
        if path.is_file():
            path.unlink()
        what = "torch.onnx.export" if to == "onnx" else "TorchScript export"
        raise ExportError(f"{what} failed: {err}") from err
    return path


def _torchscript(module, report: ModelReport, path: Path) -> None:
    import torch
    try:
        scripted = torch.jit.script(module)
    except Exception:             # noqa: BLE001  (scripting can refuse a module)
        # A generated forward is straight-line code, with no branch on values: a trace
        # records the same computation (sizes are read with x.shape, so the batch stays free).
        scripted = torch.jit.trace(module, example_inputs(report))
    scripted.save(str(path))


def _onnx(module, report: ModelReport, path: Path) -> None:
    import torch
    inputs = [name for name, _ in report.inputs] if report.model.graph_body else ["x"]
    outputs = list(getattr(module, "output_names", None) or ["y"])
    batch = torch.export.Dim("batch")
    with warnings.catch_warnings():
        # Several inputs share the one `batch` dim, and the exporter says so; they are all
        # named `batch` in the file all the same.
        warnings.filterwarnings("ignore", message=".*The axis name: batch will not be used")
        torch.onnx.export(module, example_inputs(report, batch=2), str(path),
                          input_names=inputs, output_names=outputs,
                          dynamic_shapes=tuple({0: batch} for _ in inputs), dynamo=True,
                          external_data=False, verbose=False)
