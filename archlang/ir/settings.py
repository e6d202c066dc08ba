"""A spec's `train NAME { ... }` section as plain data for the training engine.

Values become int, float, str (a bare name such as `crossentropy` or a string), bool, lists
for tuples, or `{"call": NAME, "args": [...], "kwargs": {...}}` for calls such as
`mnist("data/mnist")` and `Adam(lr = 0.005)`. Sizes may be computed (`batch = 2^10`).
"""
from __future__ import annotations

from ..diagnostics import Diagnostic, Diagnostics, Label, Problem
from ..syntax import ast
from .lower import Env, Lowerer


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
