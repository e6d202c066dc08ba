"""The per-layer table of `archlang check`, as rows (data) and as aligned text (also
`Analysis.table()` and `str(analysis)`).

Rows follow the spec as written: blocks, repeats and branches are groups whose children are
indented beneath them, with subtotals (like torchinfo's depth); `depth` folds deeper groups.
Columns are a table of (name, header, align, cell function); a cell reads the row and the
model's Analysis (MACs, memory, receptive fields: archlang/analysis).
"""
from __future__ import annotations

from itertools import islice
from typing import Callable, Iterator

from ..analysis import analyze_report
from ..analysis.report import sample_sizes
from ..check import LayerInfo, ModelReport
from ..ir.groups import Group
from ..records import dataclass
from ..symbolic import SymInt, hint_of, polynomial


@dataclass
class Row:
    depth: int
    index: int | None            # leaf layers are numbered; groups are not
    label: str
    info: LayerInfo | None       # the leaf, or the group's output node
    params: int
    group: Group | None = None
    name: str | None = None      # the compiled module's attribute for it (rows(names=True))

    @property
    def is_group(self) -> bool:
        return self.group is not None


def rows(report: ModelReport, depth: int | None = None, names: bool = False,
         limit: int | None = None, subtotals: dict[int, int] | None = None) -> list[Row]:
    """Table rows for a checked model; groups deeper than `depth` are folded into one row.
    `names`: fill each row's `name`, the attribute of the compiled PyTorch module that holds
    it (the model must check). `limit`: only the first rows (and only they are built)."""
    out = list(islice(iter_rows(report, depth, subtotals), limit))
    if names:
        # Imported here: code generation is not loaded to check without names
        # (tests/test_imports.py); the map is the backend's, built without torch.
        from ..backends.torch import generate
        compiled = generate([report], "").maps[report.name]
        for r in out:
            r.name = compiled.groups.get(r.group) if r.is_group else \
                compiled.layers.get(r.info.node.id) if r.info is not None else None
    return out


def iter_rows(report: ModelReport, depth: int | None = None,
              subtotals: dict[int, int] | None = None) -> Iterator[Row]:
    """The rows of rows(), built as they are taken. subtotals: _subtotals(report), if known."""
    subtotals = _subtotals(report) if subtotals is None else subtotals

    def walk(children, level):
        for child in children:
            if isinstance(child, Group) and child.is_value and child.sole_node is not None:
                # `box = Dense(_ => 5)(h)`: one layer, one row, named as written.
                info = report.infos[child.sole_node]
                yield Row(level, info.index, f"{child.label} = {_layer_text(info)}", info,
                          info.params)
                continue
            if isinstance(child, Group):
                if child.is_copy and child.sole_group is not None:
                    # repeat(n, Block(...)): the copy adds nothing over the block row itself.
                    yield from walk(child.children, level)
                    continue
                info = report.infos[child.output] if child.output is not None else None
                label = child.label + (f"  ×{child.times:,}, folded" if child.folded else "")
                yield Row(level, None, label, info, subtotals[id(child)], child)
                inner = child.children
                if child.is_block and child.sole_group is not None:
                    inner = child.sole_group.children   # BasicBlock(64) = SkipConnection(...): one row
                if child.folded:
                    inner = inner[0].children    # a folded repeat: the rows of its one copy
                if depth is None or level + 1 < depth:
                    yield from walk(inner, level + 1)
            else:
                info = report.infos[child]
                label = _layer_text(info)
                if info.times > 1:
                    label += f"  ×{info.times:,}"     # figures on this row are for every copy
                yield Row(level, info.index, label, info, info.params * info.times)

    return walk(report.model.tree.children, 0)


def _subtotals(report: ModelReport) -> dict[int, int]:
    """id(group) → its parameters, every group's in one pass (summing each group's nodes
    anew costs nodes × nesting: 17 levels of blocks around 131,072 layers took seconds)."""
    infos, out = report.infos, {}

    def total(group: Group) -> int:
        n = sum(total(c) if isinstance(c, Group) else infos[c].params * infos[c].times
                for c in group.children)
        out[id(group)] = n
        return n
    total(report.model.tree)
    return out


def fitting(report: ModelReport, depth: int | None, max_rows: int,
            subtotals: dict[int, int]) -> tuple[int | None, int | None, str | None]:
    """(depth, limit, note): how rows() gives a table of at most max_rows rows. The depth
    asked for if its table fits; else the deepest folding that fits, as --depth would; else
    (a long chain of layers) the first max_rows rows. The note says what was left out. Each
    try builds at most max_rows + 1 rows, so a huge model costs a few small tables."""

    def fits(d: int | None) -> bool:
        return sum(1 for _ in islice(iter_rows(report, d, subtotals), max_rows + 1)) <= max_rows
    if fits(depth):
        return depth, None, None
    every = "`--all` prints every row, `--json` gives every layer"
    if not fits(1):
        return 1, max_rows, (f"the table is cut after its first {max_rows:,} rows, blocks "
                             f"folded (the model has {len(report.layers):,} layers); {every}")
    d = 1
    while (depth is None or d + 1 < depth) and fits(d + 1):
        d += 1                  # ends: the whole table does not fit, so some depth overflows
    return d, None, (f"blocks nested deeper than {d} levels are folded to keep the table "
                     f"within {max_rows:,} rows; `--depth N` chooses the level, {every}")


def _layer_text(info: LayerInfo) -> str:
    if info.layer is None:
        return "<error>"
    # A tied weight is counted at its owner: the row says where it went.
    return f"{info.layer}  tied to {info.tied_to}" if info.tied_to else str(info.layer)


def _params(row: Row, a=None) -> str:
    tied = row.info is not None and row.info.tied_to and not row.is_group
    return fmt_int(row.params) + (" (tied)" if tied else "")


def fmt_int(n) -> str:
    """A count with thousands separators; a formula of named sizes (a SymInt) as its
    polynomial, with separators in its numbers: `148,160·H·W + 696,320·⌊H/2⌋·⌊W/2⌋`."""
    return f"{polynomial(n):,}"


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
    cell: Callable[[Row, object], str]     # (row, Analysis or None) → text
    analysis: bool = False       # needs the analysis (MACs, memory, receptive fields)


def _shape(row: Row, a=None) -> str:
    return str(row.info.out) if row.info is not None and row.info.out is not None else "?"


def _records(row: Row, a):
    """The analysis records a row stands for: the leaf's, or every node of the group."""
    if row.group is not None:
        return [a.records[i] for i in row.group.node_ids()]
    return [a.records[row.info.node.id]] if row.info is not None else []


def _sum(attr: str, fmt=fmt_int):
    def cell(row: Row, a) -> str:
        recs = _records(row, a)
        values = [getattr(r, attr) * r.times for r in recs if getattr(r, attr) is not None]
        return fmt(sum(values)) if values else ""
    return cell


def _rf(row: Row, a) -> str:
    rec = a.records[row.info.node.id] if row.info is not None else None
    if rec is not None and rec.rf is None and not row.info.node.inputs and rec.index:
        return "none"        # a learned tensor (Parameter) sees no input at all
    return rec.rf.text() if rec is not None and rec.rf is not None else "?"


def _kernel(row: Row, a) -> str:
    return "" if row.is_group or row.info is None else a.records[row.info.node.id].kernel


def _params_share(row: Row, a) -> str:
    total = a.totals.params
    return f"{100 * row.params / total:.2f}%" if total else ""


def _dense(row: Row, a) -> str:
    recs = [r for r in _records(row, a) if r.dense_equivalent is not None]
    if not recs:
        return ""
    dense = sum(r.dense_equivalent * r.times for r in recs)
    params = sum(r.params * r.times for r in recs)
    ratio = f" ({dense / params:,.0f}×)" if params and dense != params else ""
    return fmt_int(dense) + ratio


def _trainable(row: Row, a) -> str:
    # Like torchinfo: "--" for layers without parameters.
    return fmt_int(row.params) if row.params else "--"


def _inputs(row: Row, a=None) -> str:
    return ", ".join(str(s) for s in row.info.inputs) if row.info and not row.is_group else ""


COLUMNS: dict[str, Column] = {
    "index": Column("index", "#", ">", lambda r, a: "" if r.index is None else str(r.index)),
    "layer": Column("layer", "layer", "<", lambda r, a: "  " * r.depth + r.label),
    "input": Column("input", "input", ">", _inputs),
    "output": Column("output", "output", ">", _shape),
    "params": Column("params", "params", ">", _params),
    "params%": Column("params%", "params %", ">", _params_share, True),
    "kernel": Column("kernel", "kernel /stride", "<", _kernel, True),
    "macs": Column("macs", "MACs", ">", _sum("macs"), True),
    "flops": Column("flops", "FLOPs", ">", _sum("flops"), True),
    "ops": Column("ops", "element ops", ">", _sum("element_ops"), True),
    "memory": Column("memory", "activations", ">", _sum("activation_bytes", fmt_bytes), True),
    "weights": Column("weights", "param memory", ">", _sum("param_bytes", fmt_bytes), True),
    "rf": Column("rf", "rf /jump", ">", _rf, True),
    "dense": Column("dense", "dense-equivalent (×saved)", ">", _dense, True),
    "trainable": Column("trainable", "trainable", ">", _trainable),
    "state": Column("state", "state", ">", _sum("state"), True),
    # The compiled module's attribute (what `archlang train --freeze` also accepts).
    "name": Column("name", "name", "<", lambda r, a: r.name or ""),
}
# Earlier names of the shape columns.
COLUMNS["input_shape"] = COLUMNS["input"]
COLUMNS["output_shape"] = COLUMNS["output"]

DEFAULT_COLUMNS = ["index", "layer", "output", "params", "macs", "rf"]
ALWAYS = ["index", "layer"]


def choose_columns(names: list[str]) -> list[str]:
    """`--columns output,params,macs` → the full list (# and layer always first).

    Raises ValueError naming the known columns for an unknown one.
    """
    out = list(ALWAYS)
    for n in names:
        n = n.strip().lower()
        if not n:
            continue
        key = {"macs": "macs", "mem": "memory", "activations": "memory", "params %": "params%",
               "param%": "params%", "receptive_field": "rf"}.get(n, n)
        if key not in COLUMNS:
            known = [k for k in COLUMNS if k not in ("index", "layer", "input_shape", "output_shape")]
            raise ValueError(f"unknown column `{n}`; choose from {', '.join(known)}")
        if key not in out:
            out.append(key)
    return out


def render(report: ModelReport, columns: list[str] | None = None, depth: int | None = None,
           title: str | None = None, analysis=None, max_rows: int | None = None) -> str:
    """The table as text; with max_rows, a longer table is folded or cut, with a note (see
    fitting()), so that printing a huge model costs a few thousand rows, not one per layer."""
    cols = [COLUMNS[c] for c in (columns or DEFAULT_COLUMNS)]
    if analysis is None:
        analysis = analyze_report(report)
    limit = note = None
    subtotals = _subtotals(report)
    if max_rows is not None:
        depth, limit, note = fitting(report, depth, max_rows, subtotals)
    body = rows(report, depth, names=any(c.name == "name" for c in cols), limit=limit,
                subtotals=subtotals)
    cells = [[c.cell(r, analysis) for c in cols] for r in body]
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
    out = [title or report.title()]
    out.append(line(headers))
    rule = "─" * len(line(["x" * w for w in widths]))
    out.append(rule)
    for r, row in zip(body, cells):
        out.append(line(row))
    if limit is not None:
        out.append("…")
    out.append(rule)
    if note:
        out.append(f"note: {note}")
    out.extend(summary_lines(report, analysis))
    return "\n".join(out)


def analysis_table(analysis, columns: list[str] | None = None, depth: int | None = None) -> str:
    """`Analysis.table()`: check's text table; `columns` as for `--columns` (# and layer come
    first)."""
    return render(analysis.report, choose_columns(columns) if columns else None, depth=depth,
                  analysis=analysis)


def fmt_si(n: float, unit: str = "") -> str:
    """3 significant digits with an SI prefix: 4.09 G, 115 K."""
    for prefix, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.3g} {prefix}{unit}"
    return f"{n:g} {unit}".rstrip()


def summary_lines(report: ModelReport, a) -> list[str]:
    """The totals under the table: parameters, then MACs, memory and the dense equivalent.
    With named input sizes (x: W×H×3) a figure that depends on them is its polynomial, and
    the number beside it is at the table's sample sizes; the peak, a maximum over the layers,
    is only that number."""
    t = a.totals
    p = t.params
    at = sample_sizes(report)
    where = f" at {', '.join(f'{k} = {v}' for k, v in at.items())}" if at else ""
    symbolic = bool(at) and any(isinstance(v, SymInt) for v in (
        t.params, t.macs, t.element_ops, t.input_bytes, t.activation_bytes, t.training_bytes))

    def size(n, note: str = "") -> str:
        """Bytes: a formula with its value at the sample, or the value alone; then the note."""
        if isinstance(n, SymInt):
            return f"{fmt_int(n)}   ({fmt_bytes(n.hint)}{where}" + (f"; {note})" if note else ")")
        return fmt_bytes(n) + (f"   ({note})" if note else "")
    lines = []
    if len(report.outputs) > 1:
        lines.append("outputs:              " + ", ".join(f"{n} {s}" for n, s in report.outputs))
    lines += [f"total params:         {fmt_int(p)}   ({fmt_bytes(hint_of(t.param_bytes))} as {a.dtype}"
              f"{where if isinstance(p, SymInt) else ''})",
              f"trainable params:     {fmt_int(t.trainable_params)}",
              f"non-trainable params: {fmt_int(p - t.trainable_params)}"]
    if t.state:
        lines.append(f"non-trainable state:  {fmt_int(t.state)}   "
                     f"(buffers: BatchNorm's running statistics, attention's position index; "
                     f"not parameters)")
    macs_at = where if isinstance(t.macs, SymInt) else ""
    lines += [
        f"MACs:                 {fmt_int(t.macs)}   ({fmt_si(hint_of(t.macs))}{macs_at}; FLOPs = 2 × "
        f"MACs = {fmt_si(hint_of(t.flops))}; per sample, bias and element ops excluded)",
        *(f"  {kind}: {note}" for kind, note in a.count_notes.items()),
        f"element ops:          {fmt_int(t.element_ops)}   (bias adds, activations, pooling, "
        f"normalisation, joins)",
        f"memory ({a.dtype}, batch {a.batch}{'; formulas in bytes' if symbolic else ''}):",
        f"  parameters:         {size(t.param_bytes + t.state_bytes)}",
        f"  input:              {size(t.input_bytes)}",
        f"  activations (all):  {size(t.activation_bytes)}",
        f"  peak forward:       {fmt_bytes(t.peak_forward_bytes)}{where if symbolic else ''}   "
        f"(inference, at layer {t.peak_forward_layer}; tensors freed after their last use"
        + ("; a maximum over the layers: a number at these sizes, not a formula" if symbolic else "")
        + ")",
        f"  training estimate:  {size(t.training_bytes, 'activations + weights, gradients and Adam' + chr(39) + 's 2 moments')}",
    ]
    if t.dense_equivalent and any(r.family == "conv" for r in a.records):
        lines.append(f"dense-equivalent:     {fmt_int(t.dense_equivalent)} weights for the conv "
                     f"and dense layers as dense (Toeplitz) matrices, book §5.2")
    return lines
