"""The answers of the playground's JSON API, as plain functions (server.py runs them in a worker
process with a time limit).

`check_page(text)` is what the page shows for a spec: its diagnostics with the UTF-16 offsets a
browser editor underlines, every model's table and drawing (SVG). `torch_code(text)` is the
generated PyTorch module; only it imports the backend (and so, lazily, torch). `formatted(text)`
is `archlang fmt`; `hover(text, offset)` the language server's hover.
"""
from __future__ import annotations

from pathlib import Path

from ..diagnostics import Diagnostic
from ..source import Source

# Drawings of bigger models fold their blocks (as `archlang draw --collapse`): dot stays fast.
DRAW_OPEN_LIMIT = 120


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
    models, warnings = [], []
    for m in result.models:
        entry = {"name": m.name, "ok": m.ok, "input": str(m.input_shape),
                 "output": str(m.output_shape) if m.output_shape is not None else None,
                 "params": m.params, "table": None, "svg": None, "macs": None}
        if m.ok:
            analysis = analyze_report(m)
            warnings += analysis.warnings         # as `archlang check` reports them
            entry["table"] = render(m, analysis=analysis)
            entry["macs"] = analysis.totals.macs
            if draw:
                entry["svg"] = _svg(m)
        models.append(entry)
    diagnostics = [_ranges(d, lines, source) for d in list(result.diagnostics) + warnings]
    return {"ok": result.ok, "models": models, "diagnostics": diagnostics}


def _svg(report) -> str | None:
    from ..draw import DotMissing, svg
    try:
        return svg(report, collapse=len(report.layers) > DRAW_OPEN_LIMIT)
    except DotMissing:
        return None


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
