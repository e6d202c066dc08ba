"""Every point of a search space classified: valid (its parameters and MACs) or invalid, the
invalid points grouped into regions that share one located diagnostic.

The file is parsed once (ir/program.parse_program); each point lowers the parsed program
again with its values (ir/program.lower_models) and checks it: no text is read twice. A
finite space of at most ENUMERATE_UP_TO points is enumerated; a larger one, or one with a
continuous range, is sampled (seeded, so the same every run). A point's *reason* is its first
error in source order; two points fall in one region when their reasons have the same code,
the same span and the same message once the numbers in it are blanked (`MaxPool((2, 2))
needs 2×2, got 1×1` and `… got 1×0` are one region). docs/analysis.md, "Search spaces".
"""
from __future__ import annotations

import re
import time

from ..check import check_model, dedupe
from ..diagnostics import Diagnostic, Diagnostics, internal_error
from ..ir.program import Program, lower_models
from ..ir.space import ENUMERATE_UP_TO, Space
from ..layers.structural import Input
from ..records import dataclass, field

_NUMBER = re.compile(r"\d[\d,_.]*")


@dataclass
class PointResult:
    """One point: its errors (first the reason) or, valid, the model's counts."""

    point: dict
    errors: list[Diagnostic] = field(default_factory=list)
    params: int = 0
    macs: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Region:
    """Invalid points with one reason: `diagnostic` is the first point's (a real one, with
    that point's numbers)."""

    diagnostic: Diagnostic
    points: list[dict] = field(default_factory=list)

    def when(self, space: Space) -> dict:
        """Per searched parameter, the values the region's points take: a sorted list, or
        for a continuous range {"min", "max"}; a parameter taking every value is left out
        (the region holds for any value of it)."""
        out = {}
        for d in space.dimensions:
            seen = [p[d.name] for p in self.points]
            if not d.finite:
                out[d.name] = {"min": min(seen), "max": max(seen)}
                continue
            values = [v for v in d.values() if v in set(seen)]
            if len(values) < d.size:
                out[d.name] = values
        return out

    def is_box(self, space: Space) -> bool:
        """Whether the region is every combination of the values `when` lists (else it is
        only a part of that box)."""
        if any(not d.finite for d in space.dimensions):
            return False
        size = 1
        for d in space.dimensions:
            size *= len({p[d.name] for p in self.points})
        return size == len(self.points)


@dataclass
class Classified:
    space: Space
    model: str | None
    results: list[PointResult]
    regions: list[Region]
    sampled: bool                  # False: every point of the space was checked
    seconds: float

    @property
    def valid(self) -> list[PointResult]:
        return [r for r in self.results if r.ok]

    @property
    def points_per_second(self) -> float:
        return len(self.results) / self.seconds if self.seconds > 0 else float("inf")


def check_point(program: Program, point: dict, model: str | None = None,
                strict: bool = False) -> PointResult:
    """Lower and check the parsed `program` at `point`; `model`: only that model (its
    params and MACs are reported; default the first). Never raises."""
    diags = Diagnostics()
    result = PointResult(point)
    try:
        models, _ = lower_models(program, point, diags)
        reports = [check_model(m, diags, strict) for m in models
                   if (model is None or m.name == model)
                   and not any(m.graph[i].layer is None for i in m.inputs)]
        if reports:
            report = reports[0]
            result.params = report.params
            result.macs = total_macs(report)
    except Exception as exc:          # noqa: BLE001 — a failure is this point's diagnostic
        diags.add(internal_error(exc))
    source = program.source
    errors = [d for d in dedupe(diags.items) if d.is_error]
    result.errors = sorted(errors, key=lambda d: (d.span is None, d.span is not None and d.span.source is not source,
                                                  d.span.start if d.span else 0))
    return result


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
             strict: bool = False) -> Classified:
    """Check the points of `program`'s space (parsed without errors) and group the invalid
    ones by reason, the largest region first."""
    points, sampled = points_to_check(program.space, samples, seed)
    start = time.perf_counter()
    results = [check_point(program, p, model, strict) for p in points]
    seconds = time.perf_counter() - start
    regions: dict[tuple, Region] = {}
    for r in results:
        if r.errors:
            key = region_key(r.errors[0])
            regions.setdefault(key, Region(r.errors[0])).points.append(r.point)
    ordered = sorted(regions.values(), key=lambda g: -len(g.points))
    return Classified(program.space, model, results, ordered, sampled, seconds)
