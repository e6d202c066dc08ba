"""Diagnostic → terminal text (rustc/gcc style) and → JSON-ready dicts.

    file:line:col: error[E0301]: message
       |
     8 |     Dense(400, 10),
       |     ^^^^^^^^^^^^^^ label
       |
       = note: ...
       = help: ...
"""
from __future__ import annotations

from ..diagnostics import Diagnostic
from ..source import Span

_COLOURS = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "note": "\x1b[1;32m", "help": "\x1b[1;36m",
            "bold": "\x1b[1m", "blue": "\x1b[1;34m", "reset": "\x1b[0m"}


_MAX_LINE = 120     # longer source lines are shown as a window around the caret
_CONTEXT = 40


def escaped(text: str) -> str:
    """Text from a spec (names, strings, paths) made safe for a terminal: every character that
    does not print (escape sequences, line breaks, bidi controls, lone surrogates) is written
    as a `\\x..`/`\\u....` escape, so no spec can forge a line or move the cursor."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        else:
            n = ord(ch)
            out.append(f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}")
    return "".join(out)


def _printable(text: str) -> str:
    """Tabs as 4 spaces, control characters as one replacement character (columns stay aligned)."""
    text = text.replace("\t", "    ")
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in text)


def _underline(span: Span, line: int) -> tuple[int, int]:
    """Column range (0-based start, width) under `line` for the part of span on that line."""
    src = span.source
    text = src.line_text(line)
    l0, c0 = src.line_col(span.start)
    l1, c1 = span.end_line_col()
    start = c0 - 1 if l0 == line else len(text) - len(text.lstrip())
    end = c1 if l1 == line else len(text)
    return start, max(1, end - start)


def render_text(d: Diagnostic, colour: bool = False) -> str:
    """The diagnostic as terminal text. Everything quoted from the input is `escaped`."""
    c = _COLOURS if colour else {k: "" for k in _COLOURS}
    head = (f"{c[d.severity]}{d.severity}[{d.code}]{c['reset']}{c['bold']}: {escaped(d.message)}"
            f"{c['reset']}")
    if d.span is not None:
        head = f"{c['bold']}{escaped(d.span.location())}{c['reset']}: " + head
    out = [head]
    marks: list[tuple[Span, str, str]] = []
    if d.span is not None:
        marks.append((d.span, "^", d.label))
    for lab in d.labels:
        if d.span is None or lab.span.source is d.span.source:
            marks.append((lab.span, "-", lab.message))
    lines = sorted({s.line for s, _, _ in marks})
    if lines:
        gutter = len(str(max(lines)))
        pad = " " * gutter
        out.append(f"{c['blue']}{pad} |{c['reset']}")
        for line in lines:
            on_line = sorted((m for m in marks if m[0].line == line), key=lambda m: m[0].start)
            text = on_line[0][0].source.line_text(line)
            # A very long line is shown as a window around the first mark.
            first = _underline(on_line[0][0], line)[0]
            cut = max(0, first - _CONTEXT) if len(text) > _MAX_LINE else 0
            window = text[cut:cut + _MAX_LINE]
            shown = ("…" if cut else "") + _printable(window) + ("…" if cut + _MAX_LINE < len(text) else "")
            out.append(f"{c['blue']}{line:>{gutter}} |{c['reset']} {shown}")
            for span, char, msg in on_line:
                start, width = _underline(span, line)
                if start < cut:
                    width, start = max(1, width - (cut - start)), cut
                lead = ("…" if cut else "") + _printable(text[cut:start])
                width = min(width, max(1, len(shown) - len(lead)))
                colour_on = c[d.severity] if char == "^" else c["blue"]
                tail = f" {escaped(msg)}" if msg else ""
                out.append(f"{c['blue']}{pad} |{c['reset']} {' ' * len(lead)}"
                           f"{colour_on}{char * width}{tail}{c['reset']}")
        for lab in d.labels:
            if d.span is not None and lab.span.source is not d.span.source:
                out.append(f"{c['blue']}{pad} = {c['reset']}note: {escaped(lab.message)} "
                           f"({escaped(lab.span.location())})")
        if d.notes or d.help:
            out.append(f"{c['blue']}{pad} |{c['reset']}")
    else:
        pad = ""
    for note in d.notes:
        out.append(f"{c['blue']}{pad} = {c['reset']}{c['bold']}note{c['reset']}: {escaped(note)}")
    if d.help:
        out.append(f"{c['blue']}{pad} = {c['reset']}{c['help']}help{c['reset']}: {escaped(d.help)}")
    return "\n".join(out)


def span_dict(span: Span | None) -> dict | None:
    if span is None:
        return None
    line, col = span.source.line_col(span.start)
    end_line, end_col = span.source.line_col(span.end)
    return {"file": span.source.path, "line": line, "column": col,
            "end_line": end_line, "end_column": end_col}


def encodable(text: str) -> str:
    """`text` with lone surrogates (a non-UTF-8 file name, a string from Python) written as
    `\\udcxx`: in a JSON document made with ensure_ascii=False, that is the JSON escape of
    the same character, and the document encodes as UTF-8."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def render_json(d: Diagnostic) -> dict:
    out = {"severity": d.severity, "code": d.code, "message": d.message}
    loc = span_dict(d.span)
    if loc:
        out.update(loc)
    if d.label:
        out["label"] = d.label
    out["labels"] = [{"message": lab.message, **span_dict(lab.span)} for lab in d.labels]
    out["notes"] = list(d.notes)
    out["help"] = d.help
    return out
