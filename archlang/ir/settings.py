"""A spec's `train NAME { ... }` section as plain data for the training engine, checked
where it is written.

Values become int, float, str (a bare name such as `adam` or a string), bool, lists for
tuples, or `{"call": NAME, "args": [...], "kwargs": {...}}` for calls such as
`mnist("data/mnist")` and `Adam(lr = 0.005)`. Sizes may be computed (`batch = 2^10`). Two
settings are lowered further: `loss` into a Loss (loss.py: weighted terms over the model's
outputs, with their spans), and `out` into a folder inside the spec's folder (a spec may not
send its outputs elsewhere, as its imports may not climb out; only the user's `--out` or
`fit(out=...)` can). What a value may be is the schema's, TrainConfig's (trainconfig.py).
"""
from __future__ import annotations

from pathlib import Path

from ..diagnostics import Diagnostic, Diagnostics, Label, Problem
from ..layers import args as A
from ..suggest import did_you_mean
from ..syntax import ast
from .augment import read_node
from .loss import lower_loss, parse_loss
from .lower import Env, Lowerer
from .trainconfig import TrainConfig, TrainError

# Settings a section may not give: they say how the user runs it, not what it trains.
_NOT_IN_SPECS = ("optimizer_kwargs", "schedule_kwargs", "resume", "overwrite")
_ALIASES = ("batch_size", "batchsize", "lr_schedule", "scheduler")


def _plain(node: ast.Node, lowerer: Lowerer):
    if isinstance(node, ast.Name) and node.id in lowerer.constants:    # a `param` (ir/space.py)
        return _plain_arg(lowerer.constants[node.id].value)
    if isinstance(node, ast.Name):
        return {"true": True, "false": False}.get(node.id, node.id)
    if isinstance(node, ast.String):
        return node.value
    if isinstance(node, ast.Tuple):
        return [_plain(i, lowerer) for i in node.items]
    if isinstance(node, ast.Call):
        args = [_plain(a, lowerer) for a in node.args if not isinstance(a, ast.Keyword)]
        kwargs = {k.name: _plain(k.value, lowerer) for k in node.keywords}
        return {"call": node.func, "args": args, "kwargs": kwargs}
    if isinstance(node, (ast.Number, ast.BinOp, ast.Neg)):
        return lowerer.value(node, Env()).value
    raise Problem(Diagnostic("E0103", "expected a number, a name, a string or a call", node.span,
                             label="not a setting value",
                             help="e.g. `epochs = 20`, `loss = crossentropy`, `data = mnist(\"data/mnist\")`"))


def _plain_arg(value):
    """A `param`'s value as a setting's: a number, a string, `true`; a name (`{adam, sgd}`)
    as its text."""
    if isinstance(value, (A.Activation, A.Symbol)):
        return value.name
    return value


def setting_value(setting: ast.Setting, lowerer: Lowerer):
    """The value of one setting as the engine takes it (see the module docstring);
    Problem at the (sub-)expression that cannot be one."""
    key = setting.name.replace("-", "_")
    if key == "loss":
        if isinstance(setting.value, ast.String):      # `loss = "crossentropy(out)"`
            return parse_loss(setting.value.value, setting.value.span)
        return lower_loss(setting.value)
    if key == "augment":                   # each step checked where it is written
        return read_node(setting.value, lambda node: _plain(node, lowerer))
    value = _plain(setting.value, lowerer)
    if key == "out" and isinstance(value, str):
        return str(_confined(value, setting.value))
    return value


def _confined(out: str, node: ast.Node) -> Path:
    """A spec's `out` as a folder inside the spec's folder (the working folder for a spec
    given as text); Problem when it is absolute or climbs out, at its position."""
    where = Path(node.span.source.path)
    root = where.parent if where.is_file() else Path.cwd()
    help_text = ("a spec's `out` is a folder inside the spec's folder, e.g. out = \"runs/model2\"; "
                 "to write elsewhere, give --out on the command line (fit(out=...) in Python)")
    try:
        root = root.resolve()
        folder = (root / out).resolve()
    except (OSError, ValueError, RuntimeError):        # a NUL, a name too long, a link loop
        raise Problem(Diagnostic("E0103", f"`out` is not a folder name: {out!r}", node.span,
                                 label="not a folder name", help=help_text)) from None
    if Path(out).is_absolute() or not folder.is_relative_to(root):
        raise Problem(Diagnostic(
            "E0103", f"`out` {'is an absolute path' if Path(out).is_absolute() else 'climbs out of'}"
            f"{'' if Path(out).is_absolute() else f' `{root}`'}", node.span,
            label="outside the spec's folder", help=help_text))
    return folder


def train_settings(trains: list[ast.TrainDef], model: str, lowerer: Lowerer,
                   diags: Diagnostics) -> dict:
    """The merged settings of every `train` section naming `model` (later ones win)."""
    out: dict = {}
    where: dict = {}
    for section in trains:
        if section.model != model:
            continue
        for s in section.settings:
            if s.name in where:
                diags.warning("W0002", f"`{s.name}` is set twice for `{model}`", s.name_span,
                              labels=(Label(where[s.name], "first set here"),),
                              help="the last one wins")
            try:
                out[s.name] = setting_value(s, lowerer)
                where[s.name] = s.name_span
            except Problem as p:
                diags.add(p.diagnostic)
    return out


def check_train_sections(trains: list[ast.TrainDef], models: list[str], lowerer: Lowerer,
                         diags: Diagnostics, outputs: dict[str, list[str]] | None = None) -> None:
    """Diagnose every `train` section as `archlang check` does: a section for no model
    (E0100), an unknown setting (E0101, with did-you-mean), a value the training engine
    would refuse (E0103: wrong type, out of range, unknown loss or optimizer, an `out`
    outside the spec's folder), each at its position, a loss's at its sub-expression; with
    `outputs` (model → its output names), a loss that names an output the model does not
    have (E0100) or names outputs of a model of one output (E0103). Imports no torch."""
    known = sorted(set(TrainConfig.__dataclass_fields__) - set(_NOT_IN_SPECS))
    for section in trains:
        if section.model not in models:
            diags.error("E0100", f"`train {section.model}` names no model of this file",
                        section.model_span, label="no model of this name",
                        help=did_you_mean(section.model, models) or
                        "models here: " + (", ".join(models) or "none"))
            continue
        for s in section.settings:
            key = s.name.replace("-", "_")
            if key not in known and key not in _ALIASES:
                diags.error("E0101", f"unknown train setting `{s.name}`", s.name_span,
                            label="not a train setting",
                            help=did_you_mean(key, known + list(_ALIASES)) or
                            "train settings: " + ", ".join(known))
                continue
            try:
                value = setting_value(s, lowerer)
                config = TrainConfig().merge({key: value})
                if key == "loss" and outputs and section.model in outputs:
                    names = outputs[section.model]
                    # A model of one output takes a one-term loss on it whatever the name.
                    config.loss.picks(tuple(names) if len(names) > 1 else None, section.model)
            except Problem as p:
                diags.add(p.diagnostic)
            except TrainError as err:
                if err.diagnostic is not None:
                    diags.add(err.diagnostic)
                else:
                    diags.error("E0103", err.message, s.value.span,
                                label="not accepted here", help=err.hint)
