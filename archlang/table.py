"""The per-layer table of `archlang check`, as rows (data) and as aligned text.

Rows follow the spec as written: blocks, repeats and branches are groups whose children are
indented beneath them, with subtotals (like torchinfo's depth); `depth` folds deeper groups.
Columns are a table of (name, header, align, cell function), so analyses can add their own.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .check import LayerInfo, ModelReport
from .ir.graph import Group


@dataclass
class Row:
    depth: int
    index: int | None            # leaf layers are numbered; groups are not
    label: str
    info: LayerInfo | None       # the leaf, or the group's output node
    params: int
    group: Group | None = None

    @property
    def is_group(self) -> bool:
        return self.group is not None


def rows(report: ModelReport, depth: int | None = None) -> list[Row]:
    """Table rows for a checked model; groups deeper than `depth` are folded into one row."""
    out: list[Row] = []

    def walk(children, level):
        for child in children:
            if isinstance(child, Group):
                if child.kind == "copy" and len(child.children) == 1 and isinstance(child.children[0], Group):
                    # repeat(n, Block(...)): the copy adds nothing over the block row itself.
                    walk(child.children, level)
                    continue
                info = report.infos[child.output] if child.output is not None else None
                out.append(Row(level, None, child.label, info, report.group_params(child), child))
                inner = child.children
                if child.kind == "block" and len(inner) == 1 and isinstance(inner[0], Group):
                    inner = inner[0].children    # BasicBlock(64) = SkipConnection(...): one row
                if depth is None or level + 1 < depth:
                    walk(inner, level + 1)
            else:
                info = report.infos[child]
                out.append(Row(level, info.index, str(info.layer) if info.layer is not None else "<error>",
                               info, info.params))

    walk(report.model.tree.children, 0)
    return out


def fmt_int(n: int) -> str:
    return f"{n:,}"


def fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


@dataclass(frozen=True)
class Column:
    name: str
    header: str
    align: str                   # "<" or ">"
    cell: Callable[[Row], str]


def _shape(row: Row) -> str:
    return str(row.info.out) if row.info is not None and row.info.out is not None else "?"


COLUMNS: dict[str, Column] = {
    "index": Column("index", "#", ">", lambda r: "" if r.index is None else str(r.index)),
    "layer": Column("layer", "layer", "<", lambda r: "  " * r.depth + r.label),
    "input_shape": Column("input_shape", "input", ">",
                          lambda r: ", ".join(str(s) for s in r.info.inputs) if r.info else ""),
    "output_shape": Column("output_shape", "output", ">", _shape),
    "params": Column("params", "params", ">", lambda r: fmt_int(r.params)),
}
DEFAULT_COLUMNS = ["index", "layer", "output_shape", "params"]


def render(report: ModelReport, columns: list[str] | None = None, depth: int | None = None,
           title: str | None = None) -> str:
    cols = [COLUMNS[c] for c in (columns or DEFAULT_COLUMNS)]
    body = rows(report, depth)
    cells = [[c.cell(r) for c in cols] for r in body]
    headers = [c.header for c in cols]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]
    # Long layer texts are shortened rather than wrapping the table.
    for i, c in enumerate(cols):
        if c.name == "layer":
            widths[i] = min(widths[i], 64)

    def line(values):
        parts = []
        for i, (v, c) in enumerate(zip(values, cols)):
            if len(v) > widths[i]:
                v = v[:widths[i] - 1] + "…"
            parts.append(v.ljust(widths[i]) if c.align == "<" else v.rjust(widths[i]))
        return "  ".join(parts).rstrip()

    model = report.model
    out = [title or f"{model.name}({model.input_name}: {model.input_shape}) → {report.output_shape}"]
    out.append(line(headers))
    rule = "─" * len(line(["x" * w for w in widths]))
    out.append(rule)
    for r, row in zip(body, cells):
        out.append(line(row))
    out.append(rule)
    out.extend(totals(report))
    return "\n".join(out)


def totals(report: ModelReport) -> list[str]:
    p, t = report.params, report.trainable_params
    lines = [f"total params:         {fmt_int(p)}   ({fmt_bytes(4 * p)} as float32)",
             f"trainable params:     {fmt_int(t)}",
             f"non-trainable params: {fmt_int(p - t)}"]
    if report.state:
        lines.append(f"non-trainable state:  {fmt_int(report.state)}   "
                     f"(BatchNorm running mean and variance; not parameters)")
    return lines
