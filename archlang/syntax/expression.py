"""One expression of the spec grammar, written outside a spec's syntax: a loss given on the
command line (`--loss "crossentropy(out) + 0.3 * crossentropy(aux1)"`), to the Python API,
or inside a string of a spec (`loss = "crossentropy(out)"`).

The text is read by the grammar's `expr` rule through the one parser of specs (parser.py),
so a flag and a spec accept the same forms and refuse them with the same diagnostics. Its
spans, and those of a syntax error, point into the text as the user wrote it: a Source
named `origin` (`--loss`) that holds that text alone, or, for a string of a spec, the
string's characters in the spec.
"""
from __future__ import annotations

import re

from ..diagnostics import Diagnostic, Label
from ..limits import MAX_NESTING
from ..records import fields, replace
from ..source import Source, Span
from . import ast
from .parser import parse

# The grammar starts at definitions: the expression is read as the value of a setting,
# then every span is moved back by the length of this prefix.
_PREFIX = "train x { x = "
_SUFFIX = "\n}"          # on its own line: a `#` comment in the text ends before it


class _Place:
    """Where the text lies: `size` characters from offset `base` of `source`."""

    def __init__(self, source: Source, base: int, size: int):
        self.source, self.base, self.size = source, base, size

    def span(self, start: int, end: int) -> Span:
        """Offsets in the text (clamped to it; never empty unless the text is) → a Span."""
        start = min(max(start, 0), self.size)
        end = min(max(end, start), self.size)
        if end == start and start < self.size:
            end = start + 1
        return Span(self.source, self.base + start, self.base + end)

    def unwrapped(self, span: Span) -> Span:
        """A span of the wrapped text as a span of the text (the wrapper clamped off)."""
        return self.span(span.start - len(_PREFIX), span.end - len(_PREFIX))


def parse_expression(text: str, origin: str | Span) -> ast.Node | Diagnostic:
    """`text` as one expression, or the Diagnostic of a text that is not exactly one. Spans
    lie in Source(origin, text), or, when `origin` is the span of a string literal whose
    characters are `text` (no escapes), in that string's own source."""
    if isinstance(origin, Span) and origin.text[1:-1] == text:
        place = _Place(origin.source, origin.start + 1, len(text))
    else:
        name = origin.location() if isinstance(origin, Span) else origin
        place = _Place(Source(name, text), 0, len(text))
    wrapped = Source(place.source.path, _PREFIX + text + _SUFFIX)
    module = parse(wrapped)
    if isinstance(module, Diagnostic):
        # Brackets are judged in the text alone (the wrapper's `}` would close a `{` of it);
        # the scan imports Lark, as parse does for a text that does not parse.
        from .syntax_errors import bracket_problem
        brackets = bracket_problem(Source(place.source.path, text), MAX_NESTING)
        return _placed(brackets, place, 0) if brackets else \
            _second_expression(module, text, place) or _placed(module, place, len(_PREFIX))
    definitions = module.definitions
    settings = definitions[0].settings if definitions and isinstance(definitions[0], ast.TrainDef) else ()
    if len(definitions) != 1 or len(settings) != 1:
        # `a, b = c` reads as two settings, `a } model ...` as more definitions.
        extra = settings[1] if len(settings) > 1 else definitions[-1] if definitions else None
        start = len(_PREFIX) if extra is None else extra.span.start
        return _one_expression(place.unwrapped(Span(wrapped, start, start + 1)))
    value = settings[0].value
    _move_spans(value, place)
    return value


def _one_expression(span: Span) -> Diagnostic:
    return Diagnostic("E0002", "expected one expression", span,
                      label="the expression should end before this",
                      help="write one expression, e.g. crossentropy(out) + 0.3 * crossentropy(aux1)")


def _second_expression(d: Diagnostic, text: str, place: _Place) -> Diagnostic | None:
    """`a b` or `a b(c)`: the wrapper reads `b` as the name of a second setting, missing its
    `=`; the second expression starts at that name."""
    if d.span is None or not d.message.startswith("expected `=`"):
        return None
    before = text[:d.span.start - len(_PREFIX)]
    name = re.search(r"[^\W\d]\w*(?=\s*$)", before)
    return _one_expression(place.span(name.start(), name.end())) if name else None


def _placed(d: Diagnostic, place: _Place, shift: int) -> Diagnostic:
    """A diagnostic of a text `shift` characters into what was parsed, moved to `place`."""
    def moved(span: Span) -> Span:
        return place.span(span.start - shift, span.end - shift)
    message = d.message
    if d.span is not None and d.span.start - shift >= place.size:
        message = message.replace("`}`", "the end of the text")     # the wrapper's, not the user's
    return replace(
        d, message=message, span=moved(d.span) if d.span is not None else None,
        labels=tuple(Label(moved(label.span), label.message) for label in d.labels))


def _move_spans(root: ast.Node, place: _Place) -> None:
    """Move, in place, every span of the expression `root` to `place`: each span once (one
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
        for f in fields(node):
            value = getattr(node, f.name)
            if isinstance(value, Span):
                if id(value) not in seen:
                    seen.add(id(value))
                    moved = place.unwrapped(value)
                    value.source, value.start, value.end = moved.source, moved.start, moved.end
            else:
                todo.append(value)
