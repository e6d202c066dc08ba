"""A compiled module → an ONNX or TorchScript file (`archlang.export`, `archlang compile --to`).

torch, onnx and onnxscript are imported when a file is written, never when this module is:
`import archlang` and `archlang check` do not load them.

ONNX files take any batch size: the first dim of every input and output is the symbolic
`batch` (the export traces batch 2, since with 1 the exporter may fix the size to 1). A graph
body's inputs keep their names from the spec (a layer body's input is `x`); the outputs are
named by the module's `output_names` (a layer body's output is `y`). TorchScript files hold
`torch.jit.script(module)`, or a trace where scripting refuses the module.

A model with named input sizes (`x: W×H×1`) is exported with a torch.export Dim per size,
over its exact set of valid sizes (dims.py: the U-Net's H = 16·H_k), traced at the table's
sample sizes. torch.export specialises a size whose value may be 1 (its 0/1 rule: a
ResNet's last 7×7 map is 1×1 at H = 32); archlang's sets already say where the model is
valid, so the export runs with torch's `backed_size_oblivious` setting, which keeps such
sizes symbolic. Should torch.export still refuse the dims, the file is exported static at
the sample sizes with an ExportWarning saying so. Both formats record the sizes
(dims.metadata): ONNX in its metadata_props, TorchScript in the extra file `archlang.json`.
"""
from __future__ import annotations

import json
import os
import warnings
from contextlib import contextmanager
from pathlib import Path

from ...check import ModelReport
from ...layers.shape import Shape
from ...symbolic import SymInt
from .dims import BATCH, SizeDim, input_dims, metadata, size_dims, static_dims
from .layout import example_input

FORMATS = ("onnx", "torchscript")
ONNX_EXTRA = ("onnx", "onnxscript")
"""What torch.onnx.export needs besides torch: the `onnx` extra of archlang's pyproject."""


class ExportError(Exception):
    """The exporter refused the module or could not write the file; the message says why, and
    no file is left at the path."""


class ExportWarning(UserWarning):
    """The file takes fewer sizes than the model accepts: a set narrowed to what torch.export
    expresses (dims.py), or static sizes where it refused the dynamic ones."""


class StaticExportWarning(ExportWarning):
    """torch.export refused the dynamic sizes: the file is static at the sample sizes."""


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


def example_inputs(report: ModelReport, batch: int = 1, sizes: dict | None = None) -> tuple:
    """Random inputs of a checked model in PyTorch's layout (N×C×H×W), one per model input;
    its named sizes at `sizes` (default: the table's sample)."""
    return tuple(example_input(_at(shape, sizes or {}), batch) for _, shape in report.inputs)


def _at(shape, sizes: dict):
    """A model input's shape with its named sizes at `sizes` (others at their sample)."""
    return Shape(tuple(sizes.get(str(d), d.hint) if isinstance(d, SymInt) else d for d in shape),
                 shape.dtype)


def export_module(module, report: ModelReport, path: str | os.PathLike, to: str) -> Path:
    """Write `module`, the compiled module of `report`, to `path` as `to` ("onnx" or
    "torchscript") and return the path. The module is exported in eval mode. Raises what
    `check_format` raises, and ExportError when the exporter fails; warns (ExportWarning)
    where the file takes fewer sizes than the model's valid sets (dims.py)."""
    check_format(to)
    path = Path(path)
    module.eval()
    dims = size_dims(report)
    for d in dims.values():
        if d.narrowed:
            warnings.warn(ExportWarning(f"{d.name}: {d.narrowed}"), stacklevel=2)
    try:
        if to == "torchscript":
            _torchscript(module, report, path, dims)
        else:
            _onnx(module, report, path, dims)
    except Exception as err:      # noqa: BLE001  (the exporter's own failure, reported plainly)
        if path.is_file():
            path.unlink()
        what = "torch.onnx.export" if to == "onnx" else "TorchScript export"
        raise ExportError(f"{what} failed: {err}") from err
    return path


def _torchscript(module, report: ModelReport, path: Path, dims: dict[str, SizeDim]) -> None:
    import torch
    try:
        scripted = torch.jit.script(module)
    except Exception:             # noqa: BLE001  (scripting can refuse a module)
        # A generated forward is straight-line code, with no branch on values: a trace
        # records the same computation (sizes are read with x.shape, so they stay free).
        scripted = torch.jit.trace(module, example_inputs(report, sizes=_samples(dims)))
    extra = metadata(report, dims)
    scripted.save(str(path), _extra_files={"archlang.json": json.dumps(extra, ensure_ascii=False)}
                  if extra else {})


def _onnx(module, report: ModelReport, path: Path, dims: dict[str, SizeDim]) -> None:
    try:
        program = _onnx_program(module, report, dims)
    except Exception as err:      # noqa: BLE001  (refused dims: retried static, said so)
        if not any(not d.static for d in dims.values()):
            raise
        why = f"torch.export refused the dynamic sizes ({_first_line(err)})"
        dims = static_dims(dims, why)
        program = _onnx_program(module, report, dims)   # failing too: the exporter's error
        warnings.warn(StaticExportWarning(f"{why}; the file is static at "
                                          + ", ".join(f"{n} = {d.sample}" for n, d in dims.items())),
                      stacklevel=3)
    program.model.metadata_props.update(metadata(report, dims))
    program.save(str(path), external_data=False)


def _onnx_program(module, report: ModelReport, dims: dict[str, SizeDim]):
    import torch
    inputs = [name for name, _ in report.inputs] if report.model.graph_body else ["x"]
    outputs = list(getattr(module, "output_names", None) or ["y"])
    with warnings.catch_warnings(), _oblivious(), _quiet_registry():
        # Several inputs share the one `batch` dim, and the exporter says so; they are all
        # named `batch` in the file all the same (the named sizes likewise).
        warnings.filterwarnings("ignore", message=".*The axis name: .* will not be used")
        warnings.filterwarnings("ignore", category=FutureWarning)    # torch's own deprecations
        return torch.onnx.export(module, example_inputs(report, 2, _samples(dims)), None,
                                 input_names=inputs, output_names=outputs,
                                 dynamic_shapes=_dynamic_shapes(report, dims), dynamo=True,
                                 verbose=False)


def _samples(dims: dict[str, SizeDim]) -> dict[str, int]:
    return {n: d.sample for n, d in dims.items()}


def _dynamic_shapes(report: ModelReport, dims: dict[str, SizeDim]) -> tuple:
    """torch.export's dynamic_shapes: per input {axis: Dim}, the batch and the named sizes
    (one Dim object per name, so that `x: S×S×3` ties both axes)."""
    from torch.export import Dim
    batch = Dim(BATCH)
    made: dict = {}
    for name, d in dims.items():
        if d.static:
            continue
        lo, hi = d.k_range
        root = Dim(d.root, min=lo, max=hi) if hi is not None else Dim(d.root, min=lo)
        made[name] = root if d.step == 1 else \
            (root * d.step + d.residue if d.residue else root * d.step)
    return tuple({0: batch, **{axis: made[name] for axis, name in axes if name in made}}
                 for axes in input_dims(report))


@contextmanager
def _quiet_registry():
    """Without the exporter's log lines about torchvision operators it cannot register
    (torchvision is no dependency of archlang, and no generated module uses them)."""
    import logging
    log = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


@contextmanager
def _oblivious():
    """torch.export without its 0/1 specialisation (the torch export tutorial's
    `torch.fx.experimental._config.backed_size_oblivious`), where this torch has it."""
    try:
        from torch.fx.experimental import _config
    except ImportError:
        _config = None
    if _config is None or not hasattr(_config, "backed_size_oblivious"):
        yield
        return
    with _config.patch(backed_size_oblivious=True):
        yield


def _first_line(err: Exception) -> str:
    lines = [line.strip(" -") for line in str(err).splitlines() if line.strip(" -")]
    text = " ".join(lines[:2]) if lines else type(err).__name__
    return text if len(text) <= 300 else text[:297] + "…"
