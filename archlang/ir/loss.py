"""A `loss` setting lowered once from its expression: a weighted sum of loss terms with spans.

A model with several outputs is trained on a weighted sum of losses, each on one or more
of its named outputs:

    crossentropy(out) + 0.3 * crossentropy(aux1)     GoogLeNet's auxiliary heads
    localization(box, cls)                           the book's §5.8.1 loss on two heads

A bare loss name (`crossentropy`) is one term on the model's first output. The expression
comes from a spec (`lower_loss`, given its AST) or from a string given on the command line
or in Python (`parse_loss`, read by the spec grammar through archlang.syntax); either way
each mistake is a Diagnostic at the exact sub-expression, raised as a Problem. Plain data,
no torch: `archlang check` reads it and the training engine (archlang/train/losses.py)
computes it.
"""
from __future__ import annotations

from ..diagnostics import Diagnostic, Problem
from ..records import dataclass, field
from ..source import Span
from ..suggest import did_you_mean
from ..syntax import ast, parse_expression

# next_token: cross-entropy at every position of a sequence output (a language model's
# N×L×V against the N×L next tokens; train/losses.py).
LOSSES = ("crossentropy", "mse", "localization", "next_token")
ALIASES = {"crossentropy": "crossentropy", "cross_entropy": "crossentropy",
           "logitcrossentropy": "crossentropy", "ce": "crossentropy",
           "mse": "mse", "localization": "localization", "localization_loss": "localization",
           "next_token": "next_token", "nexttoken": "next_token", "lm": "next_token"}

_FORM = "a loss is a sum of (number *) loss(output) terms, e.g. crossentropy(out) + " \
        "0.3 * crossentropy(aux1), or localization(box, cls)"


@dataclass(frozen=True)
class LossTerm:
    """weight × loss(outputs…); outputs is () for "the model's first output". The spans
    (of the term, its loss name and each output name) are where it was written; they take
    no part in comparisons."""

    weight: float
    loss: str                                   # one of LOSSES
    outputs: tuple[str, ...] = ()
    span: Span | None = field(default=None, compare=False, repr=False)
    name_span: Span | None = field(default=None, compare=False, repr=False)
    output_spans: tuple[Span, ...] = field(default=(), compare=False, repr=False)

    def text(self) -> str:
        call = self.loss + (f"({', '.join(self.outputs)})" if self.outputs else "")
        return call if self.weight == 1 else f"{self.weight:g} * {call}"


@dataclass(frozen=True)
class Loss:
    """The terms of a `loss` setting, in the order written; `str(loss)` is its canonical
    text (`crossentropy`, `crossentropy(out) + 0.3 * crossentropy(aux1)`), which is what a
    checkpoint stores."""

    terms: tuple[LossTerm, ...]
    span: Span | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return " + ".join(t.text() for t in self.terms)

    @property
    def kind(self) -> str:
        """The first term's loss: accuracy and predictions follow it."""
        return self.terms[0].loss

    def picks(self, names: tuple[str, ...] | None, model: str | None = None
              ) -> list[tuple[float, str, tuple[int, ...] | None]]:
        """(weight, loss, indices of the outputs it scores) per term, for a model whose
        outputs are `names` (None: one unnamed output; the indices are then None, the
        output itself). A model of one output takes a one-term loss on it whatever output
        the term names. Problem (E0100, E0103) at the output name or term that does not fit."""
        index = {n: i for i, n in enumerate(names or ())}
        out = []
        for term in self.terms:
            if names is None:
                if term.outputs and (len(term.outputs) > 1 or len(self.terms) > 1):
                    whole = self.span or term.span
                    raise Problem(Diagnostic(
                        "E0103", "the loss names outputs, but " + (f"`{model}`" if model else "the model")
                        + " has one output", whole, label="more than one output named",
                        help=f"use loss = {term.loss}"))
                out.append((term.weight, term.loss, None))
                continue
            for name, span in zip(term.outputs, term.output_spans or (None,) * len(term.outputs)):
                if name not in index:
                    raise Problem(Diagnostic(
                        "E0100", f"the loss names `{name}`, which "
                        + (f"`{model}`" if model else "the model") + " does not return",
                        span or term.span or self.span, label="no output of this name",
                        help=did_you_mean(name, names) or
                        ((f"`{model}`" if model else "the model") + " returns "
                         + ", ".join(f"`{n}`" for n in names))))
            out.append((term.weight, term.loss, tuple(index[o] for o in term.outputs) or (0,)))
        return out

    def note(self, names: tuple[str, ...] | None) -> str | None:
        """What to tell the user when a bare loss name meets a model of several outputs."""
        if names and len(names) > 1 and not self.terms[0].outputs:
            return (f"the model has {len(names)} outputs ({', '.join(names)}); the loss "
                    f"{self.kind} is computed on the first, `{names[0]}` (name outputs in the "
                    "loss to use others)")
        return None


def parse_loss(text: str, origin: str | Span = "loss") -> Loss:
    """A loss given as text (a flag, a Python argument, a checkpoint's record, a string of a
    spec), read by the spec grammar; Problem positioned in Source(origin, text), or in the
    spec when `origin` is the span of the string literal holding the text."""
    node = parse_expression(str(text), origin)
    if isinstance(node, Diagnostic):
        raise Problem(node)
    return lower_loss(node)


def lower_loss(node: ast.Node) -> Loss:
    """The Loss an expression of the spec grammar writes; Problem at the sub-expression
    that is not a loss term. A sum of thousands of terms is walked without recursion."""
    terms: list[LossTerm] = []
    todo: list[tuple[ast.Node, float]] = [(node, 1.0)]
    while todo:
        item, weight = todo.pop()
        if isinstance(item, ast.BinOp) and item.op == "+":
            todo += [(item.right, weight), (item.left, weight)]      # left first
        elif isinstance(item, ast.BinOp) and item.op in ("*", "×"):
            todo.append(_weighted(item, weight))
        elif isinstance(item, ast.BinOp):
            raise Problem(Diagnostic("E0103", f"`{item.op}` in a loss: only `+` and `*` by a "
                                     "number are allowed", item.op_span,
                                     label="not allowed in a loss", help=_FORM))
        elif isinstance(item, (ast.Name, ast.Call)):
            terms.append(_term(item, weight))
        else:
            raise Problem(Diagnostic("E0103", "expected a loss", item.span,
                                     label="not a loss term", help=_FORM))
    named = [t for t in terms if t.outputs]
    if named and len(named) < len(terms):
        bare = next(t for t in terms if not t.outputs)
        raise Problem(Diagnostic("E0103", "the loss names no output in some terms", bare.span,
                                 label="which output does this term score?",
                                 help=f"name the output of each term: {bare.loss}({named[0].outputs[0]})"
                                      f" + {named[0].text()}"))
    return Loss(tuple(terms), node.span)


def _weighted(node: ast.BinOp, weight: float) -> tuple[ast.Node, float]:
    """`0.3 * term` or `term * 2`: the term and its weight."""
    for number, rest in ((node.left, node.right), (node.right, node.left)):
        value = _number(number)
        if value is not None:
            return rest, weight * value
    raise Problem(Diagnostic("E0103", "`*` in a loss needs a number on one side", node.span,
                             label="neither side is a number", help=_FORM))


def _number(node: ast.Node) -> float | None:
    """A weight: a number ≥ 0, or a product or quotient of such numbers (`0.5 / 3`)."""
    if isinstance(node, ast.Number):
        return float(node.value)
    if isinstance(node, ast.Neg) and _number(node.operand) is not None:
        raise Problem(Diagnostic("E0103", "a loss's weight is a number ≥ 0", node.span,
                                 label="negative", help="a negative weight would maximise its loss"))
    if isinstance(node, ast.BinOp) and node.op in ("*", "×", "/", "÷"):
        left, right = _number(node.left), _number(node.right)
        if left is None or right is None:
            return None
        if node.op in ("/", "÷"):
            if right == 0:
                raise Problem(Diagnostic("E0103", "division by zero in a loss's weight",
                                         node.right.span, label="zero"))
            return left / right
        return left * right
    return None


def _term(node: ast.Name | ast.Call, weight: float) -> LossTerm:
    if isinstance(node, ast.Name):
        return LossTerm(weight, _loss_name(node.id, node.span), (), node.span, node.span)
    kind = _loss_name(node.func, node.func_span)
    if not node.args:
        raise Problem(Diagnostic("E0102", f"`{node.func}()` names no output", node.span,
                                 label="an output name goes here",
                                 help=f"name the output it scores, e.g. {node.func}(out); or "
                                      f"write `{node.func}` alone for the model's first output"))
    for arg in node.args:
        if not isinstance(arg, ast.Name):
            raise Problem(Diagnostic("E0103", f"the arguments of the loss `{node.func}` must be "
                                     "output names", arg.span, label="not an output name",
                                     help=f"e.g. {node.func}(out), localization(box, cls)"))
    return LossTerm(weight, kind, tuple(a.id for a in node.args), node.span, node.func_span,
                    tuple(a.span for a in node.args))


def _loss_name(name: str, span: Span) -> str:
    key = name.lower()
    if key not in ALIASES:
        close = did_you_mean(key, ALIASES)
        raise Problem(Diagnostic("E0103", f"unknown loss `{name}`", span, label="not a loss",
                                 help=f"use one of {', '.join(LOSSES)}" + (f" ({close})" if close else "")))
    return ALIASES[key]
