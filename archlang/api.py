"""The Python API behind `import archlang` (the package re-exports it)."""
from __future__ import annotations

import gc
import importlib
import os
from contextlib import contextmanager
from pathlib import Path

from .check import CheckResult, check_source
from .diagnostics import Diagnostic, SpecError
from .ir.program import read_source
from .source import Source


def as_source(path_or_text: str | os.PathLike) -> Source | Diagnostic:
    """A Path, or a string naming an existing `.arch` file, is read; any other string is spec text."""
    if isinstance(path_or_text, os.PathLike):
        return read_source(path_or_text)
    text = str(path_or_text)
    if "\n" not in text and "(" not in text and (text.endswith(".arch") or Path(text).is_file()):
        return read_source(text)
    return Source("<string>", text)


def check(path_or_text: str | os.PathLike, strict: bool = False) -> CheckResult:
    """Check a spec (a file or text): every model's shapes and counts, and all diagnostics.

    Never raises for a bad spec: look at `result.ok` and `result.diagnostics`. `strict` adds
    warnings for strides that drop pixels.
    """
    source = as_source(path_or_text)
    if isinstance(source, Diagnostic):
        return CheckResult(str(path_or_text), diagnostics=[source])
    with _collector_paused():
        return check_source(source, strict=strict)


@contextmanager
def _collector_paused():
    """Checking allocates objects by the million and frees few: the cycle collector's passes
    over them made a 10,000-layer check superlinear and twice as slow (docs/performance.md).
    What it makes is freed by reference counting; collection resumes afterwards."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def checked(path_or_text, model: str | None = None):
    """The ModelReport of one model, raising SpecError if the file has errors."""
    return select(check(path_or_text), model)


def select(result: CheckResult, model: str | None = None):
    """The ModelReport of `model` (default: the first) in a checked file; SpecError if wrong."""
    if not result.ok:
        raise SpecError(result.errors)
    if not result.models:
        source = result.program.source
        raise SpecError([Diagnostic(
            "E0015", "the spec defines no model", source.span(0, min(len(source.text), 1) or 0),
            label="no `model` definition in this file",
            help="blocks are checked only where a model uses them: add "
                 "`model NAME(x: 28×28×1) = Chain(...)`")])
    try:
        return result.model(model)
    except KeyError:
        raise SpecError([Diagnostic("E0016", f"no model named `{model}`; the spec defines "
                                    + ", ".join(m.name for m in result.models), None)]) from None


class _Draw:
    """`archlang.draw`: call it for a drawing; its other attributes are the draw package's
    (`archlang.draw.svg(report)`, `archlang.draw.DotMissing`), imported on first use so that
    `check` does not pay for it. archlang/__init__ keeps the subpackage from replacing it."""

    def __call__(self, path_or_text, model: str | None = None, **options):
        """A graphviz.Digraph of one model: layers, shapes, parameters, blocks as clusters.

        `path_or_text` is a file, spec text or a checked ModelReport. Options (see docs/draw.md):
        rankdir="TB"|"LR", collapse, depth, fold_repeats, merge_activations, edge_shapes, legend.
        Raises SpecError if the spec has errors. `.render()`, `.pipe()` or Jupyter show the result.
        """
        report = path_or_text if hasattr(path_or_text, "infos") else checked(path_or_text, model)
        return self.digraph(report, **options)

    def __getattr__(self, name: str):
        if name.startswith("__"):        # introspection (copy, inspect) imports nothing
            raise AttributeError(name)
        # importlib, not `from . import draw`: the package attribute `draw` is this object.
        return getattr(importlib.import_module(__package__ + ".draw"), name)

    def __repr__(self) -> str:
        return "<archlang.draw>"


draw = _Draw()
draw.__doc__ = _Draw.__call__.__doc__


def _compiled(path_or_text, model: str | None):
    """Generate PyTorch source for the spec's models (or the one named); SpecError if wrong."""
    from .backends.torch import generate
    result = check(path_or_text)
    first = select(result, model)        # SpecError: errors, no model, no such model
    reports = [first] if model else result.models
    return generate(reports, result.path), reports


def compile(path_or_text: str | os.PathLike, model: str | None = None) -> str:
    """The source of a standalone PyTorch module (it imports torch only): one nn.Module class
    per model (or only `model`), inputs in PyTorch's layout N×C×H×W. Raises SpecError."""
    return _compiled(path_or_text, model)[0].source


def load(path_or_text: str | os.PathLike, model: str | None = None):
    """An instance of the compiled nn.Module of `model` (default: the first), built by running
    the generated source. Raises SpecError for a wrong spec."""
    from .backends.torch import load_source
    gen, reports = _compiled(path_or_text, model)
    _buildable(reports[0])
    return load_source(gen, reports[0].name)


def _buildable(report) -> None:
    """SpecError before PyTorch builds a module with more layers than archlang allows (a
    folded repeat of 10⁹ copies checks in milliseconds but cannot be instantiated)."""
    from .limits import MAX_NODES
    if report.layer_count <= MAX_NODES:
        return
    folds = [f for fs in report.model.graph.folds.values() for f in fs]
    span = max(folds, key=lambda f: f.times).span if folds else report.model.name_span
    raise SpecError([Diagnostic(
        "E0309", f"the compiled module would have {report.layer_count:,} layers, more than the "
        f"{MAX_NODES:,} archlang builds", span, label="counted out here" if folds else "",
        help="check and draw work on any size; to build or train the model, repeat fewer times")])


def train_settings(path_or_text: str | os.PathLike, model: str | None = None) -> dict:
    """The spec's `train` section for `model` (default: the first) as plain data; SpecError."""
    from .diagnostics import Diagnostics
    from .ir.lower import Lowerer
    from .ir.settings import train_settings as settings_of
    result = check(path_or_text)
    report = select(result, model)
    diags = Diagnostics()
    settings = settings_of(result.program.trains, report.name,
                           Lowerer(result.program.blocks, diags), diags)
    if diags.has_errors:
        raise SpecError(diags.errors)
    return settings


def fit(path_or_text: str | os.PathLike, model: str | None = None, **settings):
    """Compile and train a spec's model: its `train` section, overridden by `settings`
    (the names of `archlang train`'s flags: epochs=5, lr=3e-3, data="digits(28)", ...).
    Returns archlang.train.TrainResult; raises SpecError or archlang.train.TrainError."""
    from .train import TrainConfig, train
    report = checked(path_or_text, model)
    config = TrainConfig.from_section(train_settings(path_or_text, report.name)).merge(settings)
    module = load(path_or_text, report.name)
    return train(module, tuple(report.input_shape), config, name=report.name)
