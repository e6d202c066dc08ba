"""`archlang diff`'s table: two models stage by stage as aligned text, totals beneath with
their deltas (also `str(diff)`).

One row per aligned stage (archlang/analysis/diff.py), marked `+` added, `−` removed,
`~` changed. Figures are B's (A's for a removed stage); a Δ column gives B − A and is empty
where nothing changed; a label, shape or receptive field that differs reads `A → B`.
"""
from __future__ import annotations

from ..analysis.diff import Diff, StageDiff
from .table import fmt_bytes, fmt_int

MARKS = {"same": " ", "changed": "~", "added": "+", "removed": "−"}
MAX_LABEL = 64                    # as check's table: a longer label is shortened, not wrapped
MINUS = "−"


def signed(n: int, fmt=fmt_int) -> str:
    """+1,234 / −1,234 / '' for 0: a delta cell."""
    if not n:
        return ""
    return ("+" if n > 0 else MINUS) + fmt(abs(n))


def _either(row: StageDiff, text) -> str:
    """`A → B` where the two sides read differently, else the one text."""
    a = text(row.a) if row.a else None
    b = text(row.b) if row.b else None
    if a is None or b is None or a == b:
        return b if b is not None else a
    return f"{a} → {b}"


def _shape(stage) -> str:
    return str(stage.output_shape) if stage.output_shape is not None else "?"


def _rf(stage) -> str:
    return stage.rf.text() if stage.rf is not None else ""


# (header, align, cell): one table of columns, as check's.
COLUMNS = [
    ("", "<", lambda r: MARKS[r.status]),
    ("A", ">", lambda r: str(r.a.index) if r.a else ""),
    ("B", ">", lambda r: str(r.b.index) if r.b else ""),
    ("stage", "<", lambda r: _either(r, lambda s: s.label)),
    ("output", ">", lambda r: _either(r, _shape)),
    ("params", ">", lambda r: fmt_int(r.stage.params)),
    ("Δ params", ">", lambda r: signed(r.delta("params"))),
    ("MACs", ">", lambda r: fmt_int(r.stage.macs)),
    ("Δ MACs", ">", lambda r: signed(r.delta("macs"))),
    ("activations", ">", lambda r: fmt_bytes(r.stage.activation_bytes)),
    ("Δ activations", ">", lambda r: signed(r.delta("activation_bytes"), fmt_bytes)),
    ("rf /jump", ">", lambda r: _either(r, _rf)),
]

# Totals under the table: (label, Totals field, format).
TOTAL_ROWS = [
    ("params", "params", fmt_int),
    ("MACs", "macs", fmt_int),
    ("activations (all)", "activation_bytes", fmt_bytes),
    ("peak forward", "peak_forward_bytes", fmt_bytes),
    ("training estimate", "training_bytes", fmt_bytes),
    ("layers", "layers", fmt_int),
]


def _aligned(headers, aligns, cells, widths) -> list[str]:
    def line(values):
        parts = []
        for v, a, w in zip(values, aligns, widths):
            if len(v) > w:
                v = v[:w - 1] + "…"
            parts.append(v.ljust(w) if a == "<" else v.rjust(w))
        return "  ".join(parts).rstrip()
    return [line(headers)] + [line(c) for c in cells]


def render_diff(diff: Diff) -> str:
    """The comparison as text: a title, one row per stage, and the totals with deltas."""
    headers = [h for h, _, _ in COLUMNS]
    aligns = [a for _, a, _ in COLUMNS]
    cells = [[cell(r) for _, _, cell in COLUMNS] for r in diff.rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers)]
    widths[headers.index("stage")] = min(widths[headers.index("stage")], MAX_LABEL)
    head, *body = _aligned(headers, aligns, cells, widths)
    rule = "─" * max(len(head), *(len(b) for b in body)) if body else "─" * len(head)

    c = diff.counts()
    out = [f"A  {diff.a.title}" + (f"   ({diff.a.file})" if diff.a.file else ""),
           f"B  {diff.b.title}" + (f"   ({diff.b.file})" if diff.b.file else ""),
           head, rule, *body, rule]
    out.append(f"stages: {len(diff.a.stages)} → {len(diff.b.stages)}; {c['changed']} changed, "
               f"{c['added']} added, {c['removed']} removed, {c['same']} the same")
    out.extend(_totals(diff))
    return "\n".join(out)


def _totals(diff: Diff) -> list[str]:
    cells = [[label, fmt(diff.a.total(f)), fmt(diff.b.total(f)),
              signed(diff.delta(f), fmt) or "0"] for label, f, fmt in TOTAL_ROWS]
    headers = ["total", "A", "B", "Δ"]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers)]
    return _aligned(headers, "<>>>", cells, widths)


__all__ = ["render_diff", "signed"]
