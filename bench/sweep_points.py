"""Points per second of `archlang sweep --check`: the parsed spec lowered again per point
(analysis/space.py) against a whole check of the text per point (api.check with params).

    PYTHONPATH=. python bench/sweep_points.py [SPEC]

Default spec: specs/book/model2_space.arch (48 points). Prints both rates; docs/analysis.md
quotes them.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import archlang
from archlang.analysis.space import classify
from archlang.diagnostics import Diagnostics
from archlang.ir.program import parse_program, read_source
from archlang.ir.space import value_text

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> None:
    spec = Path(argv[0]) if argv else ROOT / "specs" / "book" / "model2_space.arch"
    start = time.perf_counter()
    program = parse_program(read_source(spec), Diagnostics())
    found = classify(program)
    reused = len(found.results) / (time.perf_counter() - start)
    points = [r.point for r in found.results]
    start = time.perf_counter()
    for p in points:
        archlang.check(spec, params={k: v if isinstance(v, str) else value_text(v) for k, v in p.items()})
    whole = len(points) / (time.perf_counter() - start)
    print(f"{spec.name}: {len(points)} points; parsed once: {reused:,.0f} points/s "
          f"(the points alone: {found.points_per_second:,.0f}); a check per point: {whole:,.0f} points/s")


if __name__ == "__main__":
    main(sys.argv[1:])
