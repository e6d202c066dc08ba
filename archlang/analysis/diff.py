"""Two analysed models compared stage by stage: what was added, removed or changed, with deltas.

A stage is a top-level element of a model's body as written (a row of `archlang check
--depth 1`): a layer, a block call, a `repeat(n, …)` (one stage, whatever n), a skip or
parallel, or a graph body's statement; a body that is a single block call is opened. The two stage lists are aligned as a text diff aligns
lines (a longest common subsequence) on each stage's `key` — its block name, layer kind or
statement name, ignoring arguments and repeat counts — so that an inserted stage shows as
added instead of shifting every later row, and `BasicBlock(128)` → `repeat(3, BasicBlock(128))`
is one stage that changed. Pure data: `archlang/present/diffview.py` prints it,
`archlang/draw/compare.py` draws it, `json()` is the `archlang diff --json` document.
"""
from __future__ import annotations

from ..ir.groups import Group, GroupKind
from ..layers.shape import Shape
from ..records import dataclass
from .receptive_field import RF
from .report import Analysis

SCHEMA = "archlang.diff/1"

# What a stage's status is decided by. The receptive field is shown but not among them: it is
# cumulative, so a change upstream changes it in every later stage that itself is the same.
COMPARED = ("label", "copies", "layers", "params", "macs", "activation_bytes", "output_shape")

# Totals compared under the table, in order (fields of analysis.Totals, and `layers`).
TOTALS = ("params", "state", "macs", "element_ops", "activation_bytes", "peak_forward_bytes",
          "training_bytes", "layers")


@dataclass(frozen=True)
class Stage:
    """One top-level element of a model, its figures summed over its layers (every copy of
    a repeat, folded or not)."""

    index: int                       # 1-based position among the model's stages
    label: str                       # as written: "repeat(2, BasicBlock(64))", "Dense(512 => 10)"
    key: str                         # what alignment compares: "BasicBlock", "Dense", "h ="
    copies: int                      # a repeat's count; 1 for anything else
    layers: int                      # layers it holds, copies counted out
    params: int
    macs: int
    activation_bytes: int            # the outputs of its layers, as check's `memory` column
    output_shape: Shape | None
    rf: RF | None                    # the receptive field of its output
    nodes: tuple[int, ...]           # its graph nodes (what a drawing colours)

    def json(self) -> dict:
        return {"index": self.index, "label": self.label, "key": self.key,
                "copies": self.copies, "layers": self.layers, "params": self.params,
                "macs": self.macs, "activation_bytes": self.activation_bytes,
                "output_shape": list(self.output_shape) if self.output_shape is not None else None,
                "rf": self.rf.json() if self.rf is not None else None}


@dataclass(frozen=True)
class StageDiff:
    """One row of the comparison: a stage of A, of B, or of both (aligned)."""

    status: str                      # "same", "changed", "added" (B only), "removed" (A only)
    a: Stage | None
    b: Stage | None
    changes: tuple[str, ...] = ()    # the fields of COMPARED (and "rf") that differ

    def delta(self, figure: str) -> int:
        """B's figure minus A's; a missing side counts 0 (an added stage adds all of it)."""
        return (getattr(self.b, figure) if self.b else 0) - (getattr(self.a, figure) if self.a else 0)

    @property
    def stage(self) -> Stage:
        """B's stage, or A's for a removed one."""
        return self.b or self.a

    def json(self) -> dict:
        return {"status": self.status, "changes": list(self.changes),
                "a": self.a.json() if self.a else None, "b": self.b.json() if self.b else None,
                "delta": {f: self.delta(f) for f in ("params", "macs", "activation_bytes", "layers")}}


@dataclass
class Side:
    """One of the two models: where it came from, its analysis and its stages."""

    file: str
    analysis: Analysis
    stages: list[Stage]

    @property
    def name(self) -> str:
        return self.analysis.name

    @property
    def report(self):
        return self.analysis.report

    @property
    def title(self) -> str:
        return self.report.title()

    def total(self, figure: str) -> int:
        if figure == "layers":
            return self.report.layer_count
        return getattr(self.analysis.totals, figure)

    def json(self) -> dict:
        return {"file": self.file, "model": self.name, "title": self.title,
                "stages": len(self.stages)}


@dataclass
class Diff:
    """`archlang.diff(a, b)`: model A against model B, stage by stage (`rows`, in the order
    of both models), and their totals. `str()` is `archlang diff`'s table."""

    a: Side
    b: Side
    rows: list[StageDiff]

    def of(self, status: str) -> list[StageDiff]:
        return [r for r in self.rows if r.status == status]

    @property
    def added(self) -> list[StageDiff]:
        return self.of("added")

    @property
    def removed(self) -> list[StageDiff]:
        return self.of("removed")

    @property
    def changed(self) -> list[StageDiff]:
        return self.of("changed")

    @property
    def same(self) -> bool:
        """No stage added, removed or changed."""
        return all(r.status == "same" for r in self.rows)

    def delta(self, figure: str) -> int:
        """B's total minus A's: a name of TOTALS."""
        return self.b.total(figure) - self.a.total(figure)

    def counts(self) -> dict[str, int]:
        return {s: len(self.of(s)) for s in ("added", "removed", "changed", "same")}

    def json(self) -> dict:
        return {"schema": SCHEMA, "a": self.a.json(), "b": self.b.json(),
                "batch": self.a.analysis.batch, "dtype": self.a.analysis.dtype,
                "summary": self.counts(),
                "stages": [r.json() for r in self.rows],
                "totals": {f: {"a": self.a.total(f), "b": self.b.total(f), "delta": self.delta(f)}
                           for f in TOTALS}}

    def __repr__(self) -> str:
        c = self.counts()
        return (f"<Diff {self.a.name} → {self.b.name}: {c['changed']} changed, {c['added']} added, "
                f"{c['removed']} removed; {self.delta('params'):+,} params>")


# ---- stages -----------------------------------------------------------------------------------
def _layer_key(analysis: Analysis, node: int) -> str:
    return analysis.records[node].kind or "?"


def _key(analysis: Analysis, child) -> str:
    """What alignment compares: the block's name, the layer's kind, the statement's name."""
    if not isinstance(child, Group):
        return _layer_key(analysis, child)
    if child.kind is GroupKind.BLOCK:
        return child.name
    if child.kind is GroupKind.VALUE:        # a returned expression: named by its output
        return f"{child.name or child.label} ="
    if child.kind is GroupKind.REPEAT:
        # repeat(3, BasicBlock(128)) is the stage BasicBlock(128) was, three times over.
        copy = child.children[0]
        if copy.sole_block is not None:
            return copy.sole_block.name
        if copy.sole_node is not None:
            return _layer_key(analysis, copy.sole_node)
        return "repeat"
    return {GroupKind.SKIP: "SkipConnection", GroupKind.PARALLEL: "Parallel"}.get(child.kind,
                                                                                 child.kind.value)


def _label(analysis: Analysis, child) -> str:
    if not isinstance(child, Group):
        return analysis.records[child].layer
    if child.kind is GroupKind.VALUE and child.sole_node is not None:
        return f"{child.label} = {analysis.records[child.sole_node].layer}"
    return child.label + (f" ×{child.times:,}, folded" if child.folded else "")


def top_level(tree: Group) -> tuple[list, int]:
    """The elements of a model's body (its tree's children), and how many block calls were
    opened to reach them: a body that is one block call (`model m(x: 32×32×3) = Net(64)`)
    is opened, or the whole model would be one stage."""
    children, opened = tree.children, 0
    while len(children) == 1 and isinstance(children[0], Group) and children[0].is_block:
        children, opened = children[0].children, opened + 1
    return children, opened


def stages(analysis: Analysis) -> list[Stage]:
    """The model's top-level elements (`top_level`), with their figures."""
    records = analysis.records
    out = []
    for i, child in enumerate(top_level(analysis.report.model.tree)[0], 1):
        nodes = tuple(child.node_ids()) if isinstance(child, Group) else (child,)
        output = child.output if isinstance(child, Group) else child
        recs = [records[n] for n in nodes]
        out.append(Stage(
            index=i, label=_label(analysis, child), key=_key(analysis, child),
            copies=child.copies if isinstance(child, Group) and child.is_repeat else 1,
            layers=sum(r.times for r in recs),
            params=sum(r.params * r.times for r in recs),
            macs=sum(r.macs * r.times for r in recs),
            activation_bytes=sum(r.activation_bytes * r.times for r in recs),
            output_shape=analysis.report.infos[output].out, rf=records[output].rf, nodes=nodes))
    return out


# ---- alignment ----------------------------------------------------------------------------------
def _paired(a: Stage, b: Stage) -> StageDiff:
    changes = tuple(f for f in COMPARED if getattr(a, f) != getattr(b, f))
    rf = ("rf",) if a.rf != b.rf else ()
    return StageDiff("changed" if changes else "same", a, b, changes + rf)


# Stages between the common start and end beyond which the exact alignment (a table of
# len(a) × len(b) cells) gives way to difflib's faster, approximate one.
EXACT_CELLS = 250_000


def matches(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    """The (i, j) of keys paired: a longest common subsequence of the two lists, so that as
    few stages as possible are added or removed. The common start and end are paired first
    (always part of some longest one), and only the rest is compared cell by cell; a rest of
    more than EXACT_CELLS cells is aligned by difflib's SequenceMatcher (longest runs first,
    not always the fewest changes)."""
    lo = 0
    while lo < min(len(a), len(b)) and a[lo] == b[lo]:
        lo += 1
    hi = 0
    while hi < min(len(a), len(b)) - lo and a[-1 - hi] == b[-1 - hi]:
        hi += 1
    mid_a, mid_b = a[lo:len(a) - hi], b[lo:len(b) - hi]
    if len(mid_a) * len(mid_b) > EXACT_CELLS:
        # Imported here: difflib is no part of the check path that loads archlang.analysis
        # (tests/test_imports.py). autojunk off: in a long model the common keys (BasicBlock,
        # relu) are exactly the ones to pair, not noise.
        from difflib import SequenceMatcher
        blocks = SequenceMatcher(None, mid_a, mid_b, autojunk=False).get_matching_blocks()
        middle = [(i + k, j + k) for i, j, n in blocks for k in range(n)]
    else:
        middle = _lcs(mid_a, mid_b)
    return ([(k, k) for k in range(lo)] + [(i + lo, j + lo) for i, j in middle]
            + [(len(a) - hi + k, len(b) - hi + k) for k in range(hi)])


def _lcs(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    """A longest common subsequence by the textbook table (CLRS §15.4): longest[i][j] is
    the length of one of a[i:] and b[j:]; walking from the start, equal keys are paired as
    soon as pairing them keeps the length, so a stage pairs with the earliest one it can."""
    longest = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        row, below = longest[i], longest[i + 1]
        for j in range(len(b) - 1, -1, -1):
            row[j] = below[j + 1] + 1 if a[i] == b[j] else max(below[j], row[j + 1])
    pairs, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        if a[i] == b[j] and longest[i][j] == longest[i + 1][j + 1] + 1:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif longest[i + 1][j] >= longest[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def align(a: list[Stage], b: list[Stage]) -> list[StageDiff]:
    """The rows of the comparison: stages with equal keys paired in order (`matches`), the
    rest removed (A's) or added (B's); between two pairs, A's come first."""
    rows: list[StageDiff] = []
    i = j = 0
    for x, y in matches([s.key for s in a], [s.key for s in b]) + [(len(a), len(b))]:
        rows += [StageDiff("removed", s, None) for s in a[i:x]]
        rows += [StageDiff("added", None, s) for s in b[j:y]]
        if x < len(a) and y < len(b):
            rows.append(_paired(a[x], b[y]))
        i, j = x + 1, y + 1
    return rows


def compare(a: Analysis, b: Analysis, file_a: str = "", file_b: str = "") -> Diff:
    """Model A against model B (both analysed with the same batch and dtype)."""
    side_a, side_b = Side(file_a, a, stages(a)), Side(file_b, b, stages(b))
    return Diff(side_a, side_b, align(side_a.stages, side_b.stages))


__all__ = ["COMPARED", "Diff", "SCHEMA", "Side", "Stage", "StageDiff", "TOTALS", "align",
           "compare", "matches", "stages", "top_level"]
