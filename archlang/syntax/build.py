"""The AST-building rules that take more than a constructor, shared by both parsers: the
transformer over Lark's tokens (transformer.py) and the recursive-descent reader
(descent.py). Lark-free, so that a spec that parses never imports Lark.

Tokens are given as their text and [start, end) offsets in the source.
"""
from __future__ import annotations

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


def int_or_float(text: str) -> int | float:
    text = str(text)
    if text.isdigit():
        return int(text)
    clean = text.replace("_", "")
    return int(clean) if clean.isdigit() else float(clean)


def _short(text: str) -> str:
    return text if len(text) <= 20 else text[:8] + "…" + text[-8:]


def _digits(source: Source, text: str, start: int, end: int) -> None:
    """Refuse a number literal longer than MAX_NUMBER_DIGITS digits before converting it
    (int() of 5,000 digits raises; of 10^6 digits it takes seconds)."""
    if len(text) <= MAX_NUMBER_DIGITS:
        return
    digits = sum(ch.isdigit() for ch in text)
    if digits > MAX_NUMBER_DIGITS:
        raise Malformed(Diagnostic(
            "E0203", f"a number of {digits:,} digits", Span(source, start, end),
            label=f"more than {MAX_NUMBER_DIGITS} digits",
            help=f"numbers have at most {MAX_NUMBER_DIGITS} digits; write a large one as a "
                 "power, e.g. 2^20"))


def number(source: Source, text: str, start: int, end: int) -> ast.Number:
    _digits(source, text, start, end)
    value = int_or_float(text)
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        raise Malformed(Diagnostic("E0203", f"the number {_short(text)} is too large", Span(source, start, end),
                                   label="beyond the largest floating-point number",
                                   help="floating-point numbers are at most about 1.8e308"))
    return ast.Number(Span(source, start, end), value)


def label(source: Source, text: str, start: int, end: int) -> int | float:
    """The number of a `12: Conv(...)` line: bounded as any number literal."""
    _digits(source, text, start, end)
    return int_or_float(text)


def ascii_shape(source: Source, text: str, start: int, end: int) -> ast.AsciiShape:
    _digits(source, text, start, end)
    return ast.AsciiShape(Span(source, start, end), tuple(int(d.replace("_", "")) for d in text.split("x")))


def name(source: Source, text: str, start: int, end: int) -> str:
    """A name token (of layers, blocks, keywords, settings): at most MAX_NAME_LENGTH."""
    if len(text) > MAX_NAME_LENGTH:
        raise Malformed(Diagnostic(
            "E0018", f"a name of {len(text):,} characters", Span(source, start, end),
            label=f"more than {MAX_NAME_LENGTH} characters",
            help=f"names have at most {MAX_NAME_LENGTH} characters"))
    return text


def string_value(source: Source, text: str, start: int, end: int) -> str:
    """The value of a STRING token: its escapes decoded; an unknown escape is a diagnostic."""
    body = text[1:-1]
    if len(body) > MAX_STRING_LENGTH:
        raise Malformed(Diagnostic(
            "E0017", f"a string of {len(body):,} characters", Span(source, start, end),
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
            at = start + 1 + i
            raise Malformed(Diagnostic(
                "E0017", f"unknown escape `\\{esc}` in a string", Span(source, at, at + 2),
                label="not an escape",
                help='strings know `\\\\`, `\\"`, `\\n`, `\\t` and `\\r`; write `\\\\` '
                     'for a backslash'))
        out.append(ESCAPES[esc])
        i += 2
    return "".join(out)


class Operator:
    """An operator token of `u op u op u ...`."""

    __slots__ = ("text", "start", "end")

    def __init__(self, text: str, start: int, end: int):
        self.text, self.start, self.end = text, start, end


def operation(source: Source, items: list, bracketed: set[int]):
    """`u op u op u ...` (nodes and Operators alternating) as one expression, by precedence.
    `bracketed` holds the ids of nodes written in brackets, as `(-2)`.

    `×` binds loosest, so the list is first cut at every `×` and the pieces become the dims
    of one Shape: a 10^5-term shape is built in linear time.
    """
    pieces: list[list] = [[items[0]]]
    for op, operand in zip(items[1::2], items[2::2]):
        if op.text == "×":
            pieces.append([operand])
        else:
            pieces[-1] += [op, operand]
    dims = tuple(_climb(source, p, bracketed) for p in pieces)
    if len(dims) == 1:
        return dims[0]
    flat: list = []
    for d in dims:
        # `(2×3)×4` is one shape 2×3×4, as `2×3×4` is.
        flat.extend(d.dims if isinstance(d, ast.Shape) else (d,))
    return ast.Shape(dims[0].span.to(dims[-1].span), tuple(flat))


def _climb(source: Source, items: list, bracketed: set[int]):
    """Shunting-yard over `u op u ...` (no `×`), with explicit stacks (no recursion): `^` is
    right associative."""
    out, ops = [items[0]], []

    def reduce():
        op = ops.pop()
        right, left = out.pop(), out.pop()
        if op.text == "^":
            # `-2^2` is -(2^2) = -4, as in Julia and Python: `^` binds tighter than a
            # unary minus, which the grammar reads as part of the operand.
            out.append(_power_of(source, left, op, right, bracketed))
            return
        out.append(ast.BinOp(left.span.to(right.span), op.text, left, right, Span(source, op.start, op.end)))

    for op, operand in zip(items[1::2], items[2::2]):
        prec = PRECEDENCE[op.text]
        while ops and (PRECEDENCE[ops[-1].text] > prec or
                       (PRECEDENCE[ops[-1].text] == prec and op.text != "^")):
            reduce()
        ops.append(op)
        out.append(operand)
    while ops:
        reduce()
    return out[0]


def _power_of(source: Source, base, op: Operator, exponent, bracketed: set[int]):
    """base ^ exponent, the unary minus signs of an unbracketed base moved outside (in a
    loop: thousands of them must not recurse)."""
    signs = []
    while isinstance(base, ast.Neg) and id(base) not in bracketed:
        signs.append(base.span)
        base = base.operand
    node = ast.BinOp(base.span.to(exponent.span), "^", base, exponent, Span(source, op.start, op.end))
    for span in reversed(signs):
        node = ast.Neg(span.to(exponent.span), node)
    return node
