"""Every point of a search space classified: valid (its parameters and MACs) or invalid, the
invalid points grouped into regions that share one located diagnostic.

The file is parsed once (ir/program.parse_program); each point lowers the parsed program
again with its values (ir/program.lower_models) and checks it: no text is read twice. A
finite space of at most ENUMERATE_UP_TO points is enumerated; a larger one, or one with a
continuous range, is sampled (seeded, so the same every run). A point's *reason* is its first
error in source order; two points fall in one region when their reasons have the same code,
the same span and the same message once the numbers in it are blanked (`MaxPool((2, 2))
needs 2×2, got 1×1` and `… got 1×0` are one region). docs/analysis.md, "Search spaces".

A model with named input sizes (`x: W×H×1`) is checked jointly in its parameters and its
sizes: at each point, as `archlang check` checks it, the exact sets of valid sizes are
explored (sizes.py) and the point is valid when its reference size is (check.check_sized);
the valid points with the same sets form one *size group*. The explorations cost a few to a
few hundred checks each, so they stop at a time or a point budget; the points left are *not
explored* (neither valid nor invalid), explored in a seeded random order so that those that
were are a fair sample.
"""
from __future__ import annotations

import random
import re
import time

from ..check import check_model, check_sized, dedupe, has_named_sizes
from ..diagnostics import Diagnostic, Diagnostics, internal_error
from ..ir.program import Program, lower_models
from ..ir.space import ENUMERATE_UP_TO, Space
from ..layers.structural import Input
from ..records import dataclass, field
from ..sizes import MAX_SECONDS, sets_key
from ..symbolic import polynomial

_NUMBER = re.compile(r"\d[\d,_.]*")
# A sampled region gives the bounds of a parameter with more values than this, not a list.
MANY = 16
# The exploration of the input sizes of every point (a model with named sizes) stops after
# this long; `archlang sweep --size-seconds` changes it.
SIZE_SECONDS = 60.0


@dataclass
class PointResult:
    """One point: its errors (first the reason) or, valid, the model's counts."""

    point: dict
    errors: list[Diagnostic] = field(default_factory=list)
    params: int = 0                  # with named input sizes, either may be a formula
    macs: int = 0                    # (a SymInt in polynomial normal form)
    input_sizes: object = None       # sizes.InputSizes of the model, when it has named sizes

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def sizes_complete(self) -> bool:
        """Every named size was classified (no exploration stopped at a budget)."""
        return self.input_sizes is None or all(v.complete for v in self.input_sizes.variables.values())


@dataclass
class Region:
    """Invalid points with one reason: `diagnostic` is the first point's (a real one, with
    that point's numbers)."""

    diagnostic: Diagnostic
    points: list[dict] = field(default_factory=list)

    def when(self, space: Space, sampled: bool = False) -> list[dict]:
        return when(self.points, space, sampled)


@dataclass
class SizeGroup:
    """Valid points whose models accept the same input sizes: `sizes` is the first point's
    sizes.InputSizes (the others' have the same sets, perhaps another reference)."""

    sizes: object
    points: list[dict] = field(default_factory=list)

    def when(self, space: Space, sampled: bool = False) -> list[dict]:
        return when(self.points, space, sampled)


def when(points: list[dict], space: Space, sampled: bool = False) -> list[dict]:
    """Points as a union of boxes, each a dict from a searched parameter to the values it
    takes there (a sorted list); a parameter taking every value is left out (the box holds
    for any value of it). Exact for an enumerated space; for a sampled one, a single box
    bounding the sampled points (a continuous range, or one of more than MANY values, as
    {"min", "max"})."""
    dims = space.dimensions
    if sampled or any(not d.finite for d in dims):
        box = {}
        for d in dims:
            seen = {p[d.name] for p in points}
            if not d.finite or d.size > MANY:
                box[d.name] = {"min": min(seen), "max": max(seen)}
            elif len(seen) < d.size:
                box[d.name] = sorted(seen) if d.kind != "choice" else \
                    [v for v in d.labels if v in seen]
        return [box]
    return [{name: values for name, values in box.items()
             if len(values) < space.dimension(name).size}
            for box in _boxes([tuple(p[d.name] for d in dims) for p in points], dims)]


def _boxes(points: list[tuple], dims) -> list[dict]:
    """Points (tuples over `dims`) as a union of boxes: split by the first parameter's value,
    describe each part by the rest, and merge the values whose parts are alike. Exact: every
    point of every box is one of `points`."""
    if not dims:
        return [{}]
    first, rest = dims[0], dims[1:]
    parts: dict = {}
    for p in points:
        parts.setdefault(p[0], []).append(p[1:])
    merged: dict = {}
    for value in first.values():
        if value in parts:
            sub = _boxes(parts[value], rest)
            key = tuple(tuple((k, tuple(v)) for k, v in box.items()) for box in sub)
            merged.setdefault(key, ([], sub))[0].append(value)
    return [{first.name: values, **box} for values, sub in merged.values() for box in sub]


@dataclass
class Classified:
    space: Space
    model: str | None
    results: list[PointResult]     # the points checked, in the space's order
    regions: list[Region]
    sampled: bool                  # False: every point of the space was checked
    seconds: float
    sized: bool = False            # the model has named input sizes: checked for every size
    groups: list[SizeGroup] = field(default_factory=list)   # the valid points by their sets
    unexplored: list[dict] = field(default_factory=list)    # points the size budget left out
    size_seconds: float | None = None     # the size budget, when it stopped the exploration

    @property
    def valid(self) -> list[PointResult]:
        return [r for r in self.results if r.ok]

    @property
    def points_per_second(self) -> float:
        return len(self.results) / self.seconds if self.seconds > 0 else float("inf")


def check_point(program: Program, point: dict, model: str | None = None,
                strict: bool = False, size_seconds: float | None = None) -> PointResult:
    """Lower and check the parsed `program` at `point`; `model`: only that model (its
    params and MACs are reported; default the first). `size_seconds`: a model with named
    input sizes is checked as `archlang check` checks it, for every size (its valid sets
    explored for at most that long, its counts as formulas, the report at the reference
    sizes); None: at the sizes' defaults only. Never raises."""
    diags = Diagnostics()
    result = PointResult(point)
    try:
        models, _ = lower_models(program, point, diags)
        reports = []
        for m in models:
            if (model is None or m.name == model) and not any(m.graph[i].layer is None for i in m.inputs):
                if size_seconds is not None and has_named_sizes(m):
                    reports.append(check_sized(m, diags, strict, seconds=size_seconds))
                else:
                    reports.append(check_model(m, diags, strict))
        if reports:
            report = reports[0]
            result.params = polynomial(report.params)
            result.macs = polynomial(total_macs(report))
            result.input_sizes = report.input_sizes
    except Exception as exc:          # noqa: BLE001 — a failure is this point's diagnostic
        diags.add(internal_error(exc))
    source = program.source
    errors = [d for d in dedupe(diags.items) if d.is_error]
    result.errors = sorted(errors, key=lambda d: (d.span is None, d.span is not None and d.span.source is not source,
                                                  d.span.start if d.span else 0))
    return result


def sized_model(program: Program, model: str | None = None) -> bool:
    """Whether the model sweep reports on (`model`, else the file's first) has named input
    sizes (`x: W×H×1`; a `param` in a shape is a number, not a size): lowered at the
    space's default point."""
    try:
        models, _ = lower_models(program, program.space.default(), Diagnostics())
    except Exception:                 # noqa: BLE001 — check_point diagnoses it at each point
        return False
    chosen = [m for m in models if model is None or m.name == model][:1]
    return bool(chosen) and has_named_sizes(chosen[0])


def total_macs(report) -> int:
    """The model's multiply-accumulates per sample, as analyze_report totals them (each
    layer's count times the copies a folded node stands for), without its other records."""
    total = 0
    for info in report.infos:
        layer, out = info.layer, info.out
        if layer is not None and out is not None and not isinstance(layer, Input):
            total += layer.macs(info.inputs, out) * info.times
    return total


def region_key(d: Diagnostic) -> tuple:
    """What two points' reasons must share to be one region: code, span, message template."""
    span = (d.span.source.path, d.span.start, d.span.end) if d.span is not None else None
    return d.code, span, _NUMBER.sub("#", d.message)


def points_to_check(space: Space, samples: int, seed: int) -> tuple[list[dict], bool]:
    """(points, sampled): every point of a finite space of at most ENUMERATE_UP_TO, else
    `samples` points drawn with `seed`."""
    if space.size is not None and space.size <= ENUMERATE_UP_TO:
        return list(space.points()), False
    return space.sample(samples, seed), True


def classify(program: Program, *, model: str | None = None, samples: int = 1000, seed: int = 0,
             strict: bool = False, size_seconds: float = SIZE_SECONDS,
             size_points: int | None = None) -> Classified:
    """Check the points of `program`'s space (parsed without errors) and group the invalid
    ones by reason, the largest region first. A model with named input sizes is checked for
    every size at each point, the valid points grouped by their sets, until `size_seconds`
    have passed or `size_points` points are explored; the rest are `unexplored`."""
    points, sampled = points_to_check(program.space, samples, seed)
    sized = sized_model(program, model)
    start = time.perf_counter()
    results, unexplored, stopped = [], [], False
    if not sized:
        results = [check_point(program, p, model, strict) for p in points]
    else:
        # a seeded random order: the points explored before a budget stops are a fair sample
        order = list(range(len(points)))
        random.Random(seed).shuffle(order)
        deadline = time.monotonic() + size_seconds
        checked: dict[int, PointResult] = {}
        for k, i in enumerate(order):
            left = deadline - time.monotonic()
            if left <= 0 or (size_points is not None and k >= size_points):
                unexplored = [points[j] for j in sorted(order[k:])]
                stopped = True
                break
            r = check_point(program, points[i], model, strict, size_seconds=min(MAX_SECONDS, left))
            if not r.sizes_complete and time.monotonic() >= deadline:
                # cut short by the budget: its sets are partial, and it may be valid after all
                unexplored = [points[j] for j in sorted([i] + order[k + 1:])]
                stopped = True
                break
            checked[i] = r
        results = [checked[i] for i in sorted(checked)]
    seconds = time.perf_counter() - start
    regions: dict[tuple, Region] = {}
    groups: dict[str, SizeGroup] = {}
    for r in results:
        if r.errors:
            key = region_key(r.errors[0])
            regions.setdefault(key, Region(r.errors[0])).points.append(r.point)
        elif r.input_sizes is not None:
            groups.setdefault(sets_key(r.input_sizes), SizeGroup(r.input_sizes)).points.append(r.point)
    ordered = sorted(regions.values(), key=lambda g: -len(g.points))
    return Classified(program.space, model, results, ordered, sampled, seconds, sized,
                      list(groups.values()), unexplored,
                      size_seconds if stopped and size_points is None else None)
