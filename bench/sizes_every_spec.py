"""Every image spec of specs/ made symbolic, its valid sizes against brute force (issue 23).

For each model of specs/ whose first input is an image W×H×C, the input is written `W×H×C`
with the height a name (`x: 224×H×3`); archlang/sizes.py's *runs* and *exact* sets of H are
compared with the concrete check (strict: W0001 marks a dropped row) at every H in 1..MAX.
Prints a Markdown table (docs/analysis.md): the sets in words, agreement, check times.

    python bench/sizes_every_spec.py [--max 512] [--only NAME ...]
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archlang.check import check_source  # noqa: E402
from archlang.sizes import describe  # noqa: E402
from archlang.source import Source  # noqa: E402
from tests.test_sizes import brute_force  # noqa: E402  (the tests' brute force, one of it)

HEADER = re.compile(r"^(model\s+(\w+)\s*\(\s*(\w+)\s*:\s*)(\d+)\s*×\s*(\d+)\s*×\s*(\d+)", re.M)
# (the first three dims: W×H×C, or W×H×T of a video's W×H×T×C)


def symbolic(text: str):
    """The text with the first model's image input's height a name, and the model's name."""
    m = HEADER.search(text)
    if m is None:
        return None, None
    return text[:m.start()] + f"{m.group(1)}{m.group(4)}×H×{m.group(6)}" + text[m.end():], m.group(2)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--max", type=int, default=512)
    p.add_argument("--only", nargs="*")
    args = p.parse_args()
    rows, disagree = [], 0
    for path in sorted((ROOT / "specs").rglob("*.arch")):
        if "std" in path.parts:
            continue
        text, name = symbolic(path.read_text(encoding="utf-8"))
        if text is None or (args.only and name not in args.only):
            continue
        start = time.perf_counter()
        result = check_source(Source(str(path), text))
        took = time.perf_counter() - start
        report = next((m for m in result.models if m.name == name), None)
        if report is None or not report.ok or report.input_sizes is None:
            why = result.diagnostics[0].message if result.diagnostics else "no sizes"
            rows.append(f"| {path.relative_to(ROOT)} | – | – | – | {took:.2f} s | {why[:80]} |")
            continue
        h = report.input_sizes.variables["H"]
        start = time.perf_counter()
        runs, exact = brute_force(report.model, range(1, args.max + 1), width=None)
        brute = time.perf_counter() - start
        same = runs == {n for n in range(1, args.max + 1) if n in h.runs} and \
            exact == {n for n in range(1, args.max + 1) if n in h.exact}
        disagree += not same
        rows.append(f"| {path.relative_to(ROOT)} | {describe('H', h.runs.pieces())} | "
                    f"{describe('H', h.exact.pieces())} | {'yes' if same else '**no**'} | "
                    f"{took:.2f} s | brute force {brute:.1f} s |")
        print(rows[-1], flush=True, file=sys.stderr)
    print(f"| spec | runs | exact | equal to brute force 1..{args.max} | symbolic check | |")
    print("| --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    print(f"\n{len(rows)} specs, {disagree} disagree")
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
