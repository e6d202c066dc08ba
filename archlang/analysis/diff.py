"""Two analysed models compared stage by stage: what was added, removed or changed, with deltas.

A stage is a top-level element of a model's body as written (a row of `archlang check
--depth 1`): a layer, a block call, a `repeat(n, …)` (one stage, whatever n), a skip or
parallel, or a graph body's statement. The two stage lists are aligned as a text diff aligns
lines (difflib's SequenceMatcher) on each stage's `key` — its block name, layer kind or
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
    if child.kind is GroupKind.VALUE:
        return f"{child.name} ="
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


def stages(analysis: Analysis) -> list[Stage]:
    """The model's top-level elements (its tree's children), with their figures."""
    records = analysis.records
    out = []
    for i, child in enumerate(analysis.report.model.tree.children, 1):
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


def align(a: list[Stage], b: list[Stage]) -> list[StageDiff]:
    """The rows of the comparison: stages with equal keys paired in order (the longest
    matching runs first, as difflib does for lines), the rest removed (A) or added (B);
    where both sides have unpaired stages at one place, A's come first."""
    # Imported here: difflib is no part of the check path that loads archlang.analysis
    # (tests/test_imports.py). autojunk off: in a long model the common keys (BasicBlock,
    # relu) are exactly the ones to pair, not noise.
    from difflib import SequenceMatcher
    matcher = SequenceMatcher(None, [s.key for s in a], [s.key for s in b], autojunk=False)
    rows: list[StageDiff] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows += [_paired(x, y) for x, y in zip(a[i1:i2], b[j1:j2])]
            continue
        rows += [StageDiff("removed", x, None) for x in a[i1:i2]]
        rows += [StageDiff("added", None, y) for y in b[j1:j2]]
    return rows


def compare(a: Analysis, b: Analysis, file_a: str = "", file_b: str = "") -> Diff:
    """Model A against model B (both analysed with the same batch and dtype)."""
    side_a, side_b = Side(file_a, a, stages(a)), Side(file_b, b, stages(b))
    return Diff(side_a, side_b, align(side_a.stages, side_b.stages))


__all__ = ["COMPARED", "Diff", "SCHEMA", "Side", "Stage", "StageDiff", "TOTALS", "align",
           "compare", "stages"]
