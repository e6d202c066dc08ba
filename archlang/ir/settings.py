"""A spec's `train NAME { ... }` section as plain data for the training engine.

Values become int, float, str (a bare name such as `crossentropy` or a string), bool, lists
for tuples, or `{"call": NAME, "args": [...], "kwargs": {...}}` for calls such as
`mnist("data/mnist")` and `Adam(lr = 0.005)`. Sizes may be computed (`batch = 2^10`).
"""
from __future__ import annotations

from ..diagnostics import Diagnostic, Diagnostics, Label, Problem
from ..syntax import ast
from .lower import Env, Lowerer


def _has_call(node: ast.Node) -> bool:
    if isinstance(node, ast.Call):
        return True
    if isinstance(node, ast.BinOp):
        return _has_call(node.left) or _has_call(node.right)
    return isinstance(node, ast.Neg) and _has_call(node.operand)


def _plain(node: ast.Node, lowerer: Lowerer):
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
    if isinstance(node, (ast.BinOp, ast.Neg)) and _has_call(node):
        # A loss expression over a model's outputs: `crossentropy(out) + 0.3 * crossentropy(aux1)`,
        # read by the training engine (archlang/train/lossexpr.py) as written.
        return " ".join(node.span.text.split())
    if isinstance(node, (ast.Number, ast.BinOp, ast.Neg)):
        return lowerer.value(node, Env()).value
    raise Problem(Diagnostic("E0103", "expected a number, a name, a string or a call", node.span,
                             label="not a setting value",
                             help="e.g. `epochs = 20`, `loss = crossentropy`, `data = mnist(\"data/mnist\")`"))


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
                out[s.name] = _plain(s.value, lowerer)
                where[s.name] = s.name_span
            except Problem as p:
                diags.add(p.diagnostic)
    return out


def check_train_sections(trains: list[ast.TrainDef], models: list[str], lowerer: Lowerer,
                         diags: Diagnostics) -> None:
    """Diagnose every `train` section as `archlang check` does: a section for no model
    (E0100), an unknown setting (E0101, with did-you-mean) and a value the training engine
    would refuse (E0103: wrong type, out of range, unknown loss or optimizer), each at its
    position. Imports no torch (archlang.train's settings are torch-free)."""
    from ..suggest import did_you_mean
    from ..train.config import TrainConfig
    from ..train.errors import TrainError
    known = sorted(set(TrainConfig.__dataclass_fields__) - {"optimizer_kwargs", "schedule_kwargs",
                                                            "resume", "overwrite"})
    aliases = ("batch_size", "batchsize", "lr_schedule", "scheduler")
    for section in trains:
        if section.model not in models:
            diags.error("E0100", f"`train {section.model}` names no model of this file",
                        section.model_span, label="no model of this name",
                        help=did_you_mean(section.model, models) or
                        "models here: " + (", ".join(models) or "none"))
            continue
        for s in section.settings:
            key = s.name.replace("-", "_")
            if key not in known and key not in aliases:
                diags.error("E0101", f"unknown train setting `{s.name}`", s.name_span,
                            label="not a train setting",
                            help=did_you_mean(key, known + list(aliases)) or
                            "train settings: " + ", ".join(known))
                continue
            try:
                value = _plain(s.value, lowerer)
            except Problem as p:
                diags.add(p.diagnostic)
                continue
            try:
                TrainConfig().merge({key: value})
            except TrainError as err:
                diags.error("E0103", err.message, s.value.span,
                            label="not accepted here", help=err.hint)
