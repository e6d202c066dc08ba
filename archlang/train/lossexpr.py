"""Loss expressions over a model's named outputs (no torch here; `archlang check` reads them).

A model with several outputs (a compiled module returning a tuple, with a class attribute
`output_names`) is trained on a weighted sum of losses, each on one or more outputs:

    crossentropy(out) + 0.3 * crossentropy(aux1)     GoogLeNet's auxiliary heads
    localization(box, cls)                           the book's §5.8.1 loss on two heads

`parse_loss` turns the text into terms (weight, loss name, output names); a bare loss name
(`crossentropy`) is one term with no output named (the model's first output).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .errors import TrainError

LOSSES = ("crossentropy", "mse", "localization")
ALIASES = {"crossentropy": "crossentropy", "cross_entropy": "crossentropy",
           "logitcrossentropy": "crossentropy", "ce": "crossentropy",
           "mse": "mse", "localization": "localization", "localization_loss": "localization"}

_EXAMPLE = "e.g. loss = crossentropy(out) + 0.3 * crossentropy(aux1), or localization(box, cls)"


@dataclass(frozen=True)
class Term:
    """weight × loss(outputs…); outputs is () for "the model's first output"."""

    weight: float
    loss: str
    outputs: tuple[str, ...] = ()

    def text(self) -> str:
        call = self.loss + (f"({', '.join(self.outputs)})" if self.outputs else "")
        return call if self.weight == 1 else f"{self.weight:g} * {call}"


def parse_loss(text: str) -> list[Term]:
    """'crossentropy(out) + 0.3 * crossentropy(aux1)' → two Terms; TrainError if malformed."""
    source = str(text).strip()
    try:
        tree = ast.parse(source, mode="eval").body
    except SyntaxError:
        raise TrainError(f"cannot read the loss `{source}`", _EXAMPLE) from None
    terms = _terms(tree, source)
    if len(terms) > 1 and any(t.outputs == () for t in terms):
        raise TrainError(f"the loss `{source}` names no output in some terms",
                         "name the output of each term: crossentropy(out) + mse(aux)")
    return terms


def canonical(text: str) -> str:
    """The loss as stored in a config: 'crossentropy' for a bare name, else the terms' text."""
    terms = parse_loss(text)
    if len(terms) == 1 and terms[0].outputs == () and terms[0].weight == 1:
        return terms[0].loss
    return " + ".join(t.text() for t in terms)


def _terms(node, source: str) -> list[Term]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _terms(node.left, source) + _terms(node.right, source)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for weight, rest in ((node.left, node.right), (node.right, node.left)):
            if _is_number(weight):
                return [Term(t.weight * float(weight.value), t.loss, t.outputs)
                        for t in _terms(rest, source)]
        raise TrainError(f"in the loss `{source}`, `*` needs a number on one side", _EXAMPLE)
    if isinstance(node, ast.Name):
        return [Term(1.0, _loss_name(node.id), ())]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        names = []
        for arg in node.args:
            if not isinstance(arg, ast.Name):
                raise TrainError(f"in the loss `{source}`, the arguments of "
                                 f"`{node.func.id}` must be output names", _EXAMPLE)
            names.append(arg.id)
        if not names:
            raise TrainError(f"in the loss `{source}`, `{node.func.id}()` names no output",
                             _EXAMPLE)
        return [Term(1.0, _loss_name(node.func.id), tuple(names))]
    raise TrainError(f"cannot read the loss `{source}`: only sums of (number *) loss(output) "
                     "terms are allowed", _EXAMPLE)


def _is_number(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
        and not isinstance(node.value, bool) and node.value >= 0


def _loss_name(name: str) -> str:
    key = name.lower()
    if key not in ALIASES:
        import difflib
        close = difflib.get_close_matches(key, list(ALIASES), n=1)
        raise TrainError(f"unknown loss `{name}`", f"use one of {', '.join(LOSSES)}"
                         + (f" (did you mean `{close[0]}`?)" if close else ""))
    return ALIASES[key]
