"""The Python API behind `import archlang` (the package re-exports it)."""
from __future__ import annotations

import gc
import importlib
import os
from contextlib import contextmanager
from pathlib import Path

from .analysis import Analysis, analyze_report, dtype_bytes
from .check import CheckResult, check_source
from .diagnostics import Diagnostic, Diagnostics, SpecError, internal_error
from .ir.lower import Lowerer
from .ir.program import read_source
from .ir.space import value_text
from .layers import plugins as _plugins
from .vocabulary import shadowed
from .limits import MAX_LOAD_ELEMENTS, MAX_NODES
from .present.table import rows
from .source import Source


def is_path(path_or_text: str | os.PathLike) -> bool:
    """The rule every API function uses to tell a file from spec text, without looking at the
    disk: a Path (any os.PathLike) is a file; a str is a file name when it ends in `.arch` and
    holds no line break; any other str is spec text. (`check_text` never reads a file.)"""
    if isinstance(path_or_text, os.PathLike):
        return True
    text = str(path_or_text)
    return text.endswith(".arch") and "\n" not in text and "\r" not in text


def as_source(path_or_text: str | os.PathLike) -> Source | Diagnostic:
    """The Source of a file (read) or of spec text, by `is_path`'s rule."""
    if is_path(path_or_text):
        return read_source(path_or_text)
    return Source("<string>", str(path_or_text))


def check(path_or_text: str | os.PathLike, strict: bool = False, *, keep_syntax: bool = True,
          plugins=None, params: dict | None = None, sizes: dict | None = None) -> CheckResult:
    """Check a spec (a file or text, see `is_path`): every model's shapes and counts, and all
    diagnostics.

    Never raises for the spec, not even for a failure inside archlang (that is an
    internal-error diagnostic): look at `result.ok` and `result.diagnostics`. `strict` adds
    warnings for strides that drop pixels of the input. `keep_syntax=False` drops the parsed
    file (`result.program.module`) once the models are built, for less memory.
    `plugins`: Python files or module names declaring layer kinds of your own, known to this
    call only (docs/language.md, Custom layers); one that cannot be loaded raises
    archlang.layers.PluginError before the spec is read.
    `params`: values of the spec's `param`s, `{"depth": 3, "act": "gelu"}` (as `--set`
    gives them): the point of its search space to check (default: each one's first value);
    an unknown name raises archlang.ir.space.SetError, a value outside its domain is E0113.
    `sizes`: values of the named input sizes (`{"H": 224}` for `x: H×W×3`): the models are
    checked at them, concretely (others at the sample the analysis picks); outside the valid
    set is E0315, naming the set.
    """
    assign = [f"{k}={v if isinstance(v, str) else value_text(v)}" for k, v in (params or {}).items()]
    with using_plugins(plugins):
        source = as_source(path_or_text)
        if isinstance(source, Diagnostic):
            return CheckResult(str(path_or_text), diagnostics=[source])
        with _collector_paused():
            return check_source(source, strict=strict, keep_syntax=keep_syntax, assign=assign,
                                sizes=sizes)


@contextmanager
def using_plugins(plugins):
    """The layer kinds of `plugins` (files or module names) known inside the block only;
    None: those of an enclosing call stay. Raises archlang.layers.PluginError."""
    with _plugins.using(None if plugins is None else _plugins.load_all(plugins, shadowed)):
        yield


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


def check_text(text: str, strict: bool = False, name: str = "<string>") -> CheckResult:
    """Check spec text, whatever it looks like (`check` would read `"model.arch"` as a file)."""
    with _collector_paused():
        return check_source(Source(name, text), strict=strict)


@contextmanager
def _reported(*passing: type[Exception]):
    """The API's edge: a failure inside archlang becomes a SpecError holding an internal-error
    diagnostic, never a bare exception from deep inside. SpecError and `passing` (errors
    already meant for the user, such as TrainError) go through."""
    try:
        yield
    except (SpecError, *passing):
        raise
    except Exception as exc:           # noqa: BLE001 — see archlang.diagnostics.internal_error
        raise SpecError([internal_error(exc)]) from exc


def checked(path_or_text, model: str | None = None, params: dict | None = None):
    """The ModelReport of one model, raising SpecError if the file has errors."""
    return select(check(path_or_text, params=params), model)


def analyze(path_or_text, model: str | None = None, batch: int = 1, dtype: str = "fp32", *,
            plugins=None) -> Analysis:
    """Analyse one model of a spec (a file or text): per-layer records and totals.

    `model` picks a model by name (default: the first). Raises SpecError when the spec has
    errors, ValueError for an unknown dtype or a batch below 1.
    """
    dtype_bytes(dtype)                 # fail on a bad dtype before reading the spec
    with using_plugins(plugins):
        return analyze_report(checked(path_or_text, model), batch=batch, dtype=dtype)


def diff(a, b, model: str | tuple[str | None, str | None] | None = None, *, batch: int = 1,
         dtype: str = "fp32", plugins=None):
    """Compare model A with model B stage by stage (archlang/analysis/diff.py): a `Diff` with
    `rows` (a StageDiff per aligned stage: `status` "same", "changed", "added" or "removed",
    the stages `a` and `b`, `delta(figure)`), `delta(total)`, `json()` (the document of
    `archlang diff --json`) and `str()` (its table).

    `a` and `b`: files or spec text (see `is_path`), checked ModelReports or Analyses.
    `model`: one name for both, or a pair (name in A, name in B); default each one's first.
    Raises SpecError when a spec has errors, ValueError for an unknown dtype or a batch
    below 1. `plugins` as in `check`.
    """
    from .analysis.diff import compare
    dtype_bytes(dtype)
    names = model if isinstance(model, tuple) else (model, model)
    with using_plugins(plugins):
        sides = [_analysed(x, name, batch, dtype) for x, name in zip((a, b), names)]
    files = [str(x) if isinstance(x, (str, os.PathLike)) and is_path(x) else "" for x in (a, b)]
    return compare(*sides, *files)


def _analysed(x, model: str | None, batch: int, dtype: str) -> Analysis:
    """An Analysis as given, or of a ModelReport, a file or spec text (SpecError if wrong)."""
    if isinstance(x, Analysis):
        return x
    return analyze_report(x if hasattr(x, "infos") else checked(x, model), batch=batch, dtype=dtype)


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

    def __call__(self, path_or_text, model: str | None = None, *, plugins=None, **options):
        """A graphviz.Digraph of one model: layers, shapes, parameters, blocks as clusters.

        `path_or_text` is a file, spec text or a checked ModelReport. Options (see docs/draw.md):
        rankdir="TB"|"LR", collapse, depth, fold_repeats, merge_activations, edge_shapes, legend.
        Raises SpecError if the spec has errors. `.render()`, `.pipe()` or Jupyter show the result.
        `plugins` as in `check`.
        """
        with using_plugins(plugins):
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


def model_errors(result: CheckResult, name: str) -> list[Diagnostic]:
    """The errors that stop model `name` of a file checked at named sizes (`sizes=`): every
    model of the file was checked at them, and another model may not take them. None when
    the model checked; else the file's errors but those inside the other models."""
    if result.ok:
        return []
    try:
        report = result.model(name)
    except KeyError:
        return result.errors
    if not report.errors and not any(d.code == "E0315" and _inside(d.span, report.model.span)
                                     for d in result.errors):
        return []
    others = [m.model.span for m in result.models if m.name != name]
    return [d for d in result.errors if not any(_inside(d.span, o) for o in others)]


def _inside(span, outer) -> bool:
    return span is not None and outer is not None and span.source is outer.source \
        and outer.start <= span.start and span.end <= outer.end


def _compiled(path_or_text, model: str | None, params: dict | None = None,
              sizes: dict | None = None):
    """Generate PyTorch source for the spec's models (or the one named); SpecError if wrong.
    `sizes`: values of named input sizes, as in `check` (with `model`, errors of the file's
    other models at those sizes do not stop it)."""
    from .backends.torch import generate
    result = check(path_or_text, params=params, sizes=sizes)
    if sizes and model and result.models and not model_errors(result, model):
        with _reported():
            first = result.model(model)
            return generate([first], result.path), [first]
    first = select(result, model)        # SpecError: errors, no model, no such model
    reports = [first] if model else result.models
    with _reported():
        return generate(reports, result.path), reports


def allocation_problem(report) -> Diagnostic | None:
    """A model whose parameters and buffers exceed MAX_LOAD_ELEMENTS: refused before any
    tensor is allocated (PyTorch would fail midway, or take the machine's memory)."""
    elements = report.params + report.state
    if elements <= MAX_LOAD_ELEMENTS:
        return None
    return Diagnostic("E0206", f"model `{report.name}` has {elements:,} parameters and buffers, more "
                      f"than the {MAX_LOAD_ELEMENTS:,} archlang instantiates",
                      report.model.name_span, label=f"{elements * 4 / 2**30:,.1f} GiB as fp32",
                      help="`archlang check` and `archlang compile` (to Python) still work; "
                           "instantiate the generated module yourself, on the meta device")


def compile(path_or_text: str | os.PathLike, model: str | None = None, *, plugins=None) -> str:
    """The source of a standalone PyTorch module (it imports torch, and the PyTorch modules
    of plugin kinds): one nn.Module class per model (or only `model`), inputs in PyTorch's
    layout N×C×H×W. `plugins` as in `check`. Raises SpecError."""
    with using_plugins(plugins):
        return _compiled(path_or_text, model)[0].source


def load(path_or_text: str | os.PathLike, model: str | None = None, *, weights=None, plugins=None):
    """An instance of the compiled nn.Module of `model` (default: the first), built by running
    the generated source. `weights`: a checkpoint written by `archlang train` (best.pt,
    last.pt, a run folder) or a saved state_dict, loaded strictly; the module is then in
    eval mode. Raises SpecError for a wrong spec, archlang.train.TrainError for weights
    that are missing, unreadable or do not fit. `plugins` as in `check`."""
    with using_plugins(plugins):
        gen, reports = _compiled(path_or_text, model)
    return _with_weights(instantiate(gen, reports[0]), weights)


def _with_weights(module, weights):
    """`module` with the weights of a checkpoint or state_dict loaded strictly, in eval mode."""
    if weights is not None:
        from .train.checkpoint import load as load_checkpoint, model_state, trained_for
        from .train.runs import load_weights
        saved = load_checkpoint(weights)
        load_weights(module, model_state(saved), weights, trained_for(saved))
        module.eval()
    return module


def export(path_or_text: str | os.PathLike, path: str | os.PathLike, to: str = "onnx",
           model: str | None = None, *, weights=None, plugins=None, sizes: dict | None = None):
    """Write the compiled module of `model` (default: the first) to the file `path` and return
    it as a pathlib.Path: `to="onnx"` (torch.onnx.export; the first dim of every input and
    output is a dynamic batch size; needs the `onnx` extra) or `to="torchscript"`.
    A model with named input sizes (`x: W×H×1`) is exported with a dynamic dim per size over
    its exact set of valid sizes (the U-Net's H = 16·H_k), recorded in the file's metadata;
    `sizes={"H": 64, "W": 64}` exports it static at those sizes instead. Where the file takes
    fewer sizes than the set, an archlang.backends.torch.ExportWarning says so.
    `weights` as in `load`. Raises ValueError for another `to`, ImportError without the onnx
    extra, SpecError for a wrong spec (E0315: a size outside its set), TrainError for weights
    that do not fit, archlang.backends.torch.ExportError when the exporter fails
    (docs/compile.md). `plugins` as in `check`."""
    from .backends.torch.export import check_format
    check_format(to)
    with using_plugins(plugins):
        gen, reports = _compiled(path_or_text, model, sizes=sizes)
    return export_compiled(gen, reports[0], path, to, weights=weights)


def export_compiled(gen, report, path: str | os.PathLike, to: str, *, weights=None):
    """`export` of a model already checked and generated (`archlang compile --to`)."""
    from .backends.torch.export import ExportError, export_module
    module = _with_weights(instantiate(gen, report), weights)
    with _reported(ExportError, ImportError, ValueError):
        return export_module(module, report, path, to)


def instantiate(gen, report):
    """Build the compiled module of a checked model, refusing (SpecError) before PyTorch
    allocates a model too large to build; PyTorch's own failures become diagnostics."""
    from .backends.torch import load_source
    _buildable(report)
    problem = allocation_problem(report)
    if problem is not None:
        raise SpecError([problem])
    with _reported():
        return load_source(gen, report.name)


def _buildable(report) -> None:
    """SpecError before PyTorch builds a module with more layers than archlang allows (a
    folded repeat of 10⁹ copies checks in milliseconds but cannot be instantiated)."""
    if report.layer_count <= MAX_NODES:
        return
    folds = [f for fs in report.model.graph.folds.values() for f in fs]
    span = max(folds, key=lambda f: f.times).span if folds else report.model.name_span
    raise SpecError([Diagnostic(
        "E0309", f"the compiled module would have {report.layer_count:,} layers, more than the "
        f"{MAX_NODES:,} archlang builds", span, label="counted out here" if folds else "",
        help="check and draw work on any size; to build or train the model, repeat fewer times")])


def layer_rows(report) -> list:
    """The rows of `archlang check`'s table for a checked model as
    archlang.train.transfer.LayerRow (number, compiled attribute, layer, parameters): what
    `freeze` selects from."""
    from .train.transfer import LayerRow
    return [LayerRow(r.index, r.name, r.label, r.params) for r in rows(report, names=True)]


def shard_units(report, gen=None) -> list[tuple[str, ...]]:
    """The units `--fsdp` shards a checked model's compiled module by: its blocks and repeat
    copies as attribute paths, innermost first (backends/torch/modulemap.shard_units).
    `gen`: the model's Generated, when the caller has it."""
    from .backends.torch import generate
    from .backends.torch.modulemap import shard_units as units_of
    gen = gen if gen is not None else generate([report], "")
    return units_of(gen.maps[report.name], report.model.tree)


def run_meta(gen, report, spec: str) -> dict:
    """What a run records about its module (train's `meta`): the generated class and its
    source, so that the run folder alone rebuilds the model (evaluate, predict), the spec
    and model it came from, and the layout each output is returned in (channels_first,
    channels_last or None, in return order; a language model's loss and sampling read it)."""
    layouts = gen.maps[report.name].outputs or {}
    return {"class": gen.classes[report.name], "spec": spec, "model": report.name,
            "source": gen.source,
            "output_layouts": [layouts.get(node) for _, node in report.model.outputs]}


def _sized(path_or_text, report, params, sizes, call, data, log):
    """`fit`'s model with named input sizes made concrete: at `sizes`, the others the data's
    own (train/natural.py); returns (its report, the sizes). SpecError (E0315, with a note
    naming the data) for a size outside the valid set."""
    from .train.natural import bind_from_data, from_data
    given = dict(sizes or {})
    bound = None
    if not all(n in given for n in report.input_sizes.variables):
        bound = bind_from_data(report, call, data, given=given)
        given = {**bound.sizes, **given}
    result = check(path_or_text, params=params, sizes=given)
    errors = model_errors(result, report.name)
    if errors:
        raise SpecError([from_data(d, bound) for d in errors])
    report = result.model(report.name)
    if bound is not None and log is not None:
        for line in bound.lines(report.input_sizes):
            log(line)
    return report, given


def train_settings(path_or_text: str | os.PathLike, model: str | None = None, *,
                   plugins=None, params: dict | None = None) -> dict:
    """The spec's `train` section for `model` (default: the first) as plain data; SpecError."""
    # Imported here: the train section's schema is not loaded to check a spec (start-up).
    from .ir.settings import train_settings as settings_of
    result = check(path_or_text, plugins=plugins, params=params)
    report = select(result, model)
    diags = Diagnostics()
    with _reported():
        # `check` has already diagnosed every setting where it is written (ir/settings.py).
        settings = settings_of(result.program.trains, report.name,
                               Lowerer(result.program.blocks, diags, result.program.constants), diags)
    if diags.has_errors:
        raise SpecError(diags.errors)
    return settings


def fit(path_or_text: str | os.PathLike, model: str | None = None, *, data=None, val_data=None,
        progress: bool = True, plugins=None, callbacks=None, params: dict | None = None,
        sizes: dict | None = None, **settings):
    """Compile and train a spec's model: its `train` section, overridden by `settings`
    (the names of `archlang train`'s flags: epochs=5, lr=3e-3, data="digits(28)", ...).

    `data`: a source as the CLI's --data takes it ("digits(28)", "table.csv", a folder of
    class subfolders), or data of your own: (x, y) numpy arrays or torch tensors, a torch
    Dataset of (x, y) pairs (read in DataLoader workers, `workers=N`), or a DataLoader (used
    as it is: its batches, order and workers; never split). `val_data`: the same kinds,
    the validation data instead of a split. `progress=False`: no progress bars.
    Returns archlang.train.TrainResult: `.model` the trained module, `.history` one dict per
    epoch, `.out` the run folder (`.best`, `.last` its checkpoints). Raises SpecError or
    archlang.train.TrainError.
    The model is built after seeding with the run's seed, so the same call gives the same
    weights; `freeze` takes `archlang check`'s row numbers and attribute names; a `loss`
    string is read by the spec grammar (a mistake in it is a TrainError positioned in it);
    `out` may name any folder (a spec's own `out` stays inside the spec's folder).
    `plugins` as in `check`; `callbacks`: objects with on_batch_end / on_epoch_end /
    on_train_end methods (archlang.callbacks: EarlyStopping, TensorBoard, StopTraining);
    `metrics=["top5", "f1"]` and `log="tensorboard"` are settings like the others;
    `params`: the point of the spec's search space to train, as in `check`;
    `sizes`: values of named input sizes (`{"H": 32}` for `x: W×H×1`); the sizes it does not
    give are the data's own (28×28 for MNIST; archlang/train/natural.py), printed, and a
    size outside the model's valid set is a SpecError (E0315);
    `augment="random_crop(4), flip"` (or a list of steps) and `normalize="auto"` (or
    `(mean, std)`) are the train section's transforms (docs/train.md, Transforms)."""
    with using_plugins(plugins):
        return _fit(path_or_text, model, data=data, val_data=val_data, progress=progress,
                    callbacks=callbacks, params=params, sizes=sizes, **settings)


def _fit(path_or_text, model, *, data, val_data, progress, callbacks, params=None, sizes=None,
         **settings):
    from .train import TrainConfig, TrainError
    from .train.data import Batches, from_python
    from .train.loop import seed_everything, train
    report = checked(path_or_text, model, params)
    if len(report.inputs) > 1:
        raise TrainError(f"`{report.name}` has {len(report.inputs)} inputs; training takes one "
                         "input so far")
    if isinstance(data, os.PathLike):             # a folder or a file, as --data names it
        data = str(data)
    own = data is not None and not isinstance(data, (str, dict))
    if data is not None and not own:
        settings["data"] = data
    config = TrainConfig.from_section(train_settings(path_or_text, report.name, params=params)).merge(settings)
    train_data = from_python(data, "data") if own else None
    valid = from_python(val_data, "val_data") if val_data is not None else None
    if isinstance(train_data, Batches) and (settings.get("val_split") or settings.get("test_split")):
        raise TrainError("a DataLoader is used as it is and not split",
                         "give the validation data as val_data=, or pass a Dataset instead")
    if report.input_sizes is not None:            # named sizes: --size's, else the data's
        report, sizes = _sized(path_or_text, report, params, sizes, config.data, train_data,
                               log=print if progress else None)
    gen, _ = _compiled(path_or_text, report.name, params, sizes)
    seed_everything(config.seed)
    module = instantiate(gen, report)
    # As the CLI records it: the run folder then rebuilds its model (evaluate, predict).
    spec = str(Path(path_or_text).resolve()) if is_path(path_or_text) else "<string>"
    meta = run_meta(gen, report, spec)
    with _reported(TrainError):
        return train(module, report.input_shape, config, name=report.name,
                     layers=layer_rows(report), data=train_data, val_data=valid,
                     progress=progress, meta=meta,
                     given=[k for k, v in settings.items() if v is not None],
                     callbacks=callbacks,
                     shard_units=shard_units(report, gen) if config.fsdp else None)
