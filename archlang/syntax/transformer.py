"""Lark parse tree → AST. Non-recursive, so deeply nested specs cannot overflow the stack.

The parser keeps every token and propagates no positions (that halves parse time on big
specs): a node's span runs from its first token to its last.
"""
from __future__ import annotations

from lark import Token, Transformer_NonRecursive

from ..diagnostics import Diagnostic
from ..limits import MAX_NAME_LENGTH, MAX_NUMBER_DIGITS, MAX_STRING_LENGTH
from ..source import Source, Span
from . import ast

# Binding strength of the binary operators; `^` is right associative. `×` builds shapes.
PRECEDENCE = {"×": 1, "+": 2, "-": 2, "*": 3, "/": 3, "÷": 3, "//": 3, "^": 4}


# The escapes a spec string may use; Python's others (`\x`, `\N{...}`, octal) are not the language.
ESCAPES = {"\\": "\\", '"': '"', "n": "\n", "t": "\t", "r": "\r"}


class Malformed(Exception):
    """A token the grammar accepts but the language does not (an over-long name, a bad escape)."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _int_or_float(text: str) -> int | float:
    text = str(text)
    if text.isdigit():
        return int(text)
    clean = text.replace("_", "")
    return int(clean) if clean.isdigit() else float(clean)


def _short(text: str) -> str:
    text = str(text)
    return text if len(text) <= 20 else text[:8] + "…" + text[-8:]


class ToAst(Transformer_NonRecursive):
    def __init__(self, source: Source):
        super().__init__()
        self.source = source

    # spans --------------------------------------------------------------------------
    def _tok(self, tok: Token) -> Span:
        return Span(self.source, tok.start_pos, tok.end_pos)

    def _span(self, children) -> Span:
        items = [c for c in children if c is not None]
        first, last = items[0], items[-1]
        start = first.start_pos if isinstance(first, Token) else first.span.start
        end = last.end_pos if isinstance(last, Token) else last.span.end
        return Span(self.source, start, end)

    @staticmethod
    def _nodes(children) -> list:
        return [c for c in children if isinstance(c, ast.Node)]

    # atoms --------------------------------------------------------------------------
    def _digits(self, tok: Token) -> None:
        """Refuse a number literal longer than MAX_NUMBER_DIGITS digits before converting it
        (int() of 5,000 digits raises; of 10^6 digits it takes seconds)."""
        if len(tok) <= MAX_NUMBER_DIGITS:
            return
        digits = sum(ch.isdigit() for ch in tok)
        if digits > MAX_NUMBER_DIGITS:
            raise Malformed(Diagnostic(
                "E0203", f"a number of {digits:,} digits", self._tok(tok),
                label=f"more than {MAX_NUMBER_DIGITS} digits",
                help=f"numbers have at most {MAX_NUMBER_DIGITS} digits; write a large one as a "
                     "power, e.g. 2^20"))

    def number(self, children):
        (tok,) = children
        self._digits(tok)
        value = _int_or_float(tok)
        if isinstance(value, float) and value in (float("inf"), float("-inf")):
            raise Malformed(Diagnostic("E0203", f"the number {_short(tok)} is too large", self._tok(tok),
                                       label="beyond the largest floating-point number",
                                       help="floating-point numbers are at most about 1.8e308"))
        return ast.Number(self._tok(tok), value)

    def ascii_shape(self, children):
        (tok,) = children
        self._digits(tok)
        return ast.AsciiShape(self._tok(tok), tuple(int(d.replace("_", "")) for d in tok.split("x")))

    def name(self, children):
        (tok,) = children
        if tok == "_":
            return ast.Infer(self._tok(tok))
        return ast.Name(self._tok(tok), str(tok))

    def NAME(self, tok: Token) -> Token:
        """Every name token (of layers, blocks, keywords, settings): at most MAX_NAME_LENGTH."""
        if len(tok) > MAX_NAME_LENGTH:
            raise Malformed(Diagnostic(
                "E0018", f"a name of {len(tok):,} characters", self._tok(tok),
                label=f"more than {MAX_NAME_LENGTH} characters",
                help=f"names have at most {MAX_NAME_LENGTH} characters"))
        return tok

    def _text(self, tok: Token) -> str:
        """The value of a STRING token: its escapes decoded; an unknown escape is a diagnostic."""
        body = str(tok)[1:-1]
        if len(body) > MAX_STRING_LENGTH:
            raise Malformed(Diagnostic(
                "E0017", f"a string of {len(body):,} characters", self._tok(tok),
                label=f"more than {MAX_STRING_LENGTH:,} characters",
                help=f"strings have at most {MAX_STRING_LENGTH:,} characters"))
        if "\\" not in body:
            return body
        out, i = [], 0
        while i < len(body):
            ch = body[i]
            if ch != "\\":
                out.append(ch)
                i += 1
                continue
            esc = body[i + 1]          # the grammar guarantees a character after `\`
            if esc not in ESCAPES:
                start = tok.start_pos + 1 + i
                raise Malformed(Diagnostic(
                    "E0017", f"unknown escape `\\{esc}` in a string", Span(self.source, start, start + 2),
                    label="not an escape",
                    help='strings know `\\\\`, `\\"`, `\\n`, `\\t` and `\\r`; write `\\\\` '
                         'for a backslash'))
            out.append(ESCAPES[esc])
            i += 2
        return "".join(out)

    def string(self, children):
        (tok,) = children
        return ast.String(self._tok(tok), self._text(tok))

    def paren(self, children):
        return self._nodes(children)[0]

    def tuple(self, children):
        return ast.Tuple(self._span(children), tuple(self._nodes(children)))

    # operators ----------------------------------------------------------------------
    def pair(self, children):
        left, right = self._nodes(children)
        return ast.Pair(self._span(children), left, right)

    def neg(self, children):
        minus, operand = children
        return ast.Neg(self._span(children), operand)

    def operation(self, children):
        """Precedence climbing over `u op u op u ...`, with explicit stacks (no recursion).

        `×` binds loosest, so the list is first cut at every `×` and the pieces become the
        dims of one Shape: a 10^5-term shape is built in linear time.
        """
        pieces: list[list] = [[children[0]]]
        for op, operand in zip(children[1::2], children[2::2]):
            if str(op) == "×":
                pieces.append([operand])
            else:
                pieces[-1] += [op, operand]
        dims = tuple(self._climb(p) for p in pieces)
        if len(dims) == 1:
            return dims[0]
        flat: list = []
        for d in dims:
            # `(2×3)×4` is one shape 2×3×4, as `2×3×4` is.
            flat.extend(d.dims if isinstance(d, ast.Shape) else (d,))
        return ast.Shape(dims[0].span.to(dims[-1].span), tuple(flat))

    def _climb(self, items: list):
        """Shunting-yard over `u op u ...` (no `×`): `^` is right associative."""
        out, ops = [items[0]], []

        def reduce():
            op = ops.pop()
            right, left = out.pop(), out.pop()
            out.append(ast.BinOp(left.span.to(right.span), str(op), left, right, self._tok(op)))

        for op, operand in zip(items[1::2], items[2::2]):
            prec = PRECEDENCE[str(op)]
            while ops and (PRECEDENCE[str(ops[-1])] > prec or
                           (PRECEDENCE[str(ops[-1])] == prec and str(op) != "^")):
                reduce()
            ops.append(op)
            out.append(operand)
        while ops:
            reduce()
        return out[0]

    # calls --------------------------------------------------------------------------
    def call(self, children):
        func = children[0]
        return ast.Call(self._span(children), str(func), self._tok(func), tuple(self._nodes(children)))

    def keyword(self, children):
        name = children[0]
        (value,) = self._nodes(children)
        return ast.Keyword(self._span(children), str(name), self._tok(name), value)

    def join_op(self, children):
        (tok,) = children
        return ast.JoinOp(self._tok(tok), str(tok))

    def numbered(self, children):
        label = children[0]
        (expr,) = self._nodes(children)
        return ast.Numbered(self._span(children), _int_or_float(label), expr)

    # definitions --------------------------------------------------------------------
    def param(self, children):
        name = children[0]
        nodes = self._nodes(children)
        return ast.Param(self._span(children), str(name), nodes[0] if nodes else None)

    def block_def(self, children):
        name = children[1]
        params = tuple(c for c in children if isinstance(c, ast.Param))
        body = children[-1]
        return ast.BlockDef(self._span(children), str(name), self._tok(name), params, body)

    def model_def(self, children):
        name = children[1]
        inputs = tuple(c for c in children if isinstance(c, ast.ModelInput))
        body = children[-1]
        first = inputs[0]
        return ast.ModelDef(self._span(children), str(name), self._tok(name), first.name,
                            first.shape, body, inputs)

    def model_input(self, children):
        name = children[0]
        (shape,) = self._nodes(children)
        return ast.ModelInput(self._span(children), str(name), self._tok(name), shape)

    def apply(self, children):
        layer, *rest = children
        return ast.Apply(self._span(children), layer, tuple(self._nodes(rest)))

    def statement(self, children):
        name = children[0]
        value = self._nodes(children)[0]
        return ast.Statement(self._span(children), str(name), self._tok(name), value)

    def return_stmt(self, children):
        return ast.ReturnStmt(self._span(children), tuple(self._nodes(children)))

    def graph_body(self, children):
        statements = tuple(c for c in children if isinstance(c, ast.Statement))
        returns = next(c for c in children if isinstance(c, ast.ReturnStmt))
        return ast.GraphBody(self._span(children), statements, returns)

    def setting(self, children):
        name = children[0]
        value = self._nodes(children)[0]
        return ast.Setting(self._span(children), str(name), self._tok(name), value)

    def train_def(self, children):
        model = children[1]
        settings = tuple(c for c in children if isinstance(c, ast.Setting))
        return ast.TrainDef(self._span(children), str(model), self._tok(model), settings)

    def import_stmt(self, children):
        tok = children[1]
        return ast.ImportStmt(self._span(children), self._text(tok), self._tok(tok))

    def start(self, children):
        return tuple(children)
