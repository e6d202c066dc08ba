"""One expression of the spec grammar, written outside a spec: a loss given on the command
line (`--loss "crossentropy(out) + 0.3 * crossentropy(aux1)"`) or to the Python API.

The text is read by the grammar's `expr` rule through the one parser of specs (parser.py),
so a flag and a spec accept the same forms and refuse them with the same diagnostics. Its
spans, and those of a syntax error, point into the text as the user wrote it: a Source
named `origin` (`--loss`) that holds that text alone.
"""
from __future__ import annotations

import dataclasses
import re

from ..diagnostics import Diagnostic, Label
from ..limits import MAX_NESTING
from ..source import Source, Span
from . import ast
from .parser import parse

# The grammar starts at definitions: the expression is read as the value of a setting,
# then every span is moved back by the length of this prefix.
_PREFIX = "train x { x = "
_SUFFIX = "\n}"          # on its own line: a `#` comment in the text ends before it


def parse_expression(text: str, origin: str) -> ast.Node | Diagnostic:
    """`text` as one expression whose spans lie in Source(origin, text), or the Diagnostic
    (positioned in that Source) of a text that is not exactly one expression."""
    own = Source(origin, text)
    wrapped = Source(origin, _PREFIX + text + _SUFFIX)
    module = parse(wrapped)
    if isinstance(module, Diagnostic):
        # Brackets are judged in the text alone (the wrapper's `}` would close a `{` of it);
        # the scan imports Lark, as parse does for a text that does not parse.
        from .syntax_errors import bracket_problem
        return bracket_problem(own, MAX_NESTING) or _second_expression(module, own) \
            or _moved_diagnostic(module, own)
    definitions = module.definitions
    settings = definitions[0].settings if definitions and isinstance(definitions[0], ast.TrainDef) else ()
    if len(definitions) != 1 or len(settings) != 1:
        # `a, b = c` reads as two settings, `a } model ...` as more definitions.
        extra = settings[1] if len(settings) > 1 else definitions[-1] if definitions else None
        start = len(_PREFIX) if extra is None else extra.span.start
        return _one_expression(_moved(Span(wrapped, start, start + 1), own))
    value = settings[0].value
    _move_spans(value, own)
    return value


def _one_expression(span: Span) -> Diagnostic:
    return Diagnostic("E0002", "expected one expression", span,
                      label="the expression should end before this",
                      help="write one expression, e.g. crossentropy(out) + 0.3 * crossentropy(aux1)")


def _second_expression(d: Diagnostic, own: Source) -> Diagnostic | None:
    """`a b` or `a b(c)`: the wrapper reads `b` as the name of a second setting, missing its
    `=`; the second expression starts at that name."""
    if d.span is None or not d.message.startswith("expected `=`"):
        return None
    before = own.text[:_moved(d.span, own).start]
    name = re.search(r"[^\W\d]\w*(?=\s*$)", before)
    return _one_expression(own.span(name.start(), name.end())) if name else None


def _moved(span: Span, own: Source) -> Span:
    """`span` of the wrapped text as a span of the user's text (the wrapper clamped off)."""
    size = len(own.text)
    start = min(max(span.start - len(_PREFIX), 0), size)
    end = min(max(span.end - len(_PREFIX), start), size)
    if end == start and start < size:
        end = start + 1
    return Span(own, start, end)


def _moved_diagnostic(d: Diagnostic, own: Source) -> Diagnostic:
    message = d.message
    if d.span is not None and d.span.start >= len(_PREFIX) + len(own.text):
        message = message.replace("`}`", "the end of the text")     # the wrapper's, not the user's
    return dataclasses.replace(
        d, message=message, span=_moved(d.span, own) if d.span is not None else None,
        labels=tuple(Label(_moved(label.span, own), label.message) for label in d.labels))


def _move_spans(root: ast.Node, own: Source) -> None:
    """Move, in place, every span of the expression `root` into `own`: each span once (one
    may be shared by two nodes), with an explicit stack (a sum of thousands of terms is a
    tree that deep)."""
    seen: set[int] = set()
    todo: list = [root]
    while todo:
        node = todo.pop()
        if isinstance(node, tuple):
            todo.extend(node)
            continue
        if not isinstance(node, ast.Node):
            continue
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if isinstance(value, Span):
                if id(value) not in seen:
                    seen.add(id(value))
                    moved = _moved(value, own)
                    value.source, value.start, value.end = own, moved.start, moved.end
            else:
                todo.append(value)
