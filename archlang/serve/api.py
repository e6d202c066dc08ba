"""The answers of the playground's JSON API, as plain functions (server.py runs them in a worker
process with a time limit).

`check_page(text)` is what the page shows for a spec: its diagnostics with the UTF-16 offsets a
browser editor underlines, every model's table and drawing (SVG; a drawing runs Graphviz, the
costliest step, so a request draws at most MAX_DRAWINGS models of at most MAX_DRAWN_BOXES boxes:
3,000 small models took 72 s to draw, 1 s to check). `torch_code(text)` is the
generated PyTorch module; only it imports the backend (and so, lazily, torch). `formatted(text)`
is `archlang fmt`; `hover(text, offset)` the language server's hover.
"""
from __future__ import annotations

from pathlib import Path

from ..diagnostics import Diagnostic
from ..source import Source

# Drawings of bigger models fold their blocks (as `archlang draw --collapse`): dot stays fast.
DRAW_OPEN_LIMIT = 120
MAX_DRAWINGS = 8                  # models drawn per request; the others get "note" instead
MAX_DRAWN_BOXES = 2_000           # boxes in one drawing (after folding); more: a note


def _ranges(d: Diagnostic, lines, source: Source) -> dict:
    from ..present.render import render_json, render_text
    out = render_json(d)
    out["rendered"] = render_text(d)
    if d.span is not None and d.span.source is source:
        out["from"] = lines.utf16_offset(d.span.start)
        out["to"] = lines.utf16_offset(max(d.span.end, d.span.start + 1))
    else:
        out["from"], out["to"] = 0, 0
    out["related"] = [
        {"message": lab.message, "from": lines.utf16_offset(lab.span.start),
         "to": lines.utf16_offset(lab.span.end)}
        for lab in d.labels if lab.span.source is source]
    return out


class _Offsets:
    """Character offsets → UTF-16 offsets (what JavaScript strings count)."""

    def __init__(self, text: str):
        self.text = text
        self.astral = [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF]

    def utf16_offset(self, offset: int) -> int:
        import bisect
        offset = max(0, min(offset, len(self.text)))
        return offset + bisect.bisect_left(self.astral, offset)


def check_page(text: str, path: str = "playground.arch", draw: bool = True) -> dict:
    """Diagnostics, tables and drawings of a spec, JSON-ready."""
    from ..analysis import analyze_report
    from ..check import check_source
    from ..present.table import render
    source = Source(path, text)
    result = check_source(source)
    lines = _Offsets(text)
    models, warnings, drawn = [], [], 0
    for m in result.models:
        entry = {"name": m.name, "ok": m.ok, "input": str(m.input_shape),
                 "output": str(m.output_shape) if m.output_shape is not None else None,
                 "params": m.params, "table": None, "svg": None, "macs": None, "note": None}
        if m.ok:
            analysis = analyze_report(m)
            warnings += analysis.warnings         # as `archlang check` reports them
            entry["table"] = render(m, analysis=analysis)
            entry["macs"] = analysis.totals.macs
            if draw and drawn < MAX_DRAWINGS:
                entry["svg"], entry["note"] = _svg(m)
                drawn += entry["svg"] is not None
            elif draw:
                entry["note"] = (f"not drawn: a page draws the first {MAX_DRAWINGS} models "
                                 "(`archlang draw --model NAME` draws any)")
        models.append(entry)
    diagnostics = [_ranges(d, lines, source) for d in list(result.diagnostics) + warnings]
    return {"ok": result.ok, "models": models, "diagnostics": diagnostics}


def _svg(report) -> tuple[str | None, str | None]:
    """(the SVG, None), or (None, why it was not drawn)."""
    from ..draw import DotMissing, build_view, svg
    collapse = len(report.layers) > DRAW_OPEN_LIMIT
    boxes = sum(1 for _ in build_view(report, depth=1 if collapse else None).boxes())
    if boxes > MAX_DRAWN_BOXES:
        return None, (f"not drawn: {boxes:,} boxes even with blocks folded (a page draws up "
                      f"to {MAX_DRAWN_BOXES:,}; `archlang draw` draws any)")
    try:
        return svg(report, collapse=collapse), None
    except DotMissing:
        return None, "not drawn: Graphviz's `dot` is not installed"


def torch_code(text: str, path: str = "playground.arch") -> dict:
    """{"source": the generated PyTorch module} or {"diagnostics": [...]} for a wrong spec."""
    from ..api import select
    from ..backends.torch import generate
    from ..check import check_source
    from ..diagnostics import SpecError
    source = Source(path, text)
    result = check_source(source)
    try:
        select(result)                    # SpecError: errors, or no model
    except SpecError as err:
        lines = _Offsets(text)
        return {"diagnostics": [_ranges(d, lines, source) for d in err.diagnostics]}
    return {"source": generate(result.models, Path(path).name).source}


def hover(text: str, offset: int, path: str = "playground.arch") -> dict:
    """What the language server's hover says about the layer at a UTF-16 offset:
    {"markdown", "from", "to"}, or {} where there is no layer."""
    from ..lsp.features import Document
    lines = _Offsets(text)
    at = next((i for i in range(len(text) + 1) if lines.utf16_offset(i) >= offset), len(text)) \
        if lines.astral else max(0, min(offset, len(text)))
    found = Document(path, text).hover(at)
    if found is None:
        return {}
    markdown, span = found
    return {"markdown": markdown, "from": lines.utf16_offset(span.start),
            "to": lines.utf16_offset(span.end)}


def formatted(text: str, path: str = "playground.arch") -> dict:
    """{"text": the canonical layout} or {"diagnostics": [...]} for text that does not parse."""
    from ..syntax.format import FormatError, format_source
    source = Source(path, text)
    try:
        out = format_source(source)
    except FormatError as err:
        out = err.diagnostic
    if isinstance(out, Diagnostic):
        return {"diagnostics": [_ranges(out, _Offsets(text), source)]}
    return {"text": out}


def example_specs(roots: list[Path]) -> list[dict]:
    """The specs the page offers (book, famous networks, the zoo, the standard library), as
    {group, name, path}."""
    out = []
    for root in roots:
        for group in ("book", "famous", "zoo", "std"):
            folder = root / group
            if folder.is_dir():
                for p in sorted(folder.glob("*.arch")):
                    out.append({"group": group, "name": p.stem, "path": f"{group}/{p.name}",
                                "file": str(p)})
    seen, unique = set(), []
    for e in out:
        if e["path"] not in seen:
            seen.add(e["path"])
            unique.append(e)
    return unique
