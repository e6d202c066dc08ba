"""The long fuzzing run of issue 14: mutated corpus specs and generated specs through `check`.

    nice python bench/fuzz.py                       # 100,000 mutated + 10,000 generated
    nice python bench/fuzz.py --mutated 20000 --generated 2000 --seed 7
    nice python bench/fuzz.py --mutated 10**6 --generated 10**5 --minutes 60   # an hour

Reports every input that raises, gets an unpositioned or unrenderable diagnostic or an
internal error (E0999), takes over --limit-s seconds of CPU (not wall time: the run is
meant to be nice'd on a shared machine), or pushes the process's peak memory
over --limit-mb above where it started (ru_maxrss is a high-water mark: if the final peak is
under the bound, no single input went over it). Generated specs come from the suite's one
generator (tests/generator.py: every registered layer kind, broadcasting joins, graph bodies),
half of them with a deliberate mistake; those that check are compiled and run in eval mode:
the module's parameter count, outputs and every submodule's output shape must equal check's
(the differential property, tests/backends/helpers.py). Findings are written to --out
(default out/fuzz/) with a summary.json.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fuzz.mutate import corpus_texts, examine, mutate  # noqa: E402
from generator import spec  # noqa: E402 — the suite's one generator (tests/generator.py)

MISTAKES = 0.5              # the share of generated specs given a deliberate error

HANG_S = 30                 # CPU seconds (ITIMER_VIRTUAL): a starved process is not a hang


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024      # Linux: KiB


def _alarm(signum, frame):
    raise TimeoutError(f"over {HANG_S} s of CPU")


def differential(text: str) -> str | None:
    """check vs the compiled module, in eval mode: parameters, outputs and every submodule's
    output shape (tests/backends/helpers.py, as the property tests). None: they agree."""
    import archlang
    from backends.helpers import compiled, forward_agrees, param_count
    result = archlang.check_text(text)
    if not result.ok:
        return None
    for model in result.models:
        report, gen, module = compiled(text, model.name)
        try:
            if param_count(module) != report.params:
                return f"parameters: module {param_count(module):,}, check {report.params:,}"
            try:
                forward_agrees(report, gen, module)
            except AssertionError as exc:
                return f"shapes: {exc}"
        finally:
            _forget(module)
    return None


def _forget(module) -> None:
    """Drop a generated module's code from the process: archlang keeps each one it ran (in
    sys.modules and linecache, for pickling and tracebacks), which over 100,000 inputs grows
    the harness's own memory past --limit-mb and would be blamed on an input."""
    import linecache
    generated = sys.modules.pop(type(module).__module__, None)
    if generated is not None:
        linecache.cache.pop(getattr(generated, "__file__", None), None)


def _summary(args, counts, findings, slowest, t0, start_mb) -> dict:
    """The figures so far, written to OUT/summary.json (with every finding) and returned."""
    summary = {**counts, "findings": len(findings), "by_kind": {},
               "seconds": round(time.monotonic() - t0), "seed": args.seed,
               "slowest_cpu_s": round(slowest[0], 3), "slowest_input": slowest[1],
               "peak_mb_over_start": round(_peak_mb() - start_mb, 1),
               "limit_s": args.limit_s, "limit_mb": args.limit_mb}
    for f in findings:
        summary["by_kind"][f["kind"]] = summary["by_kind"].get(f["kind"], 0) + 1
    (args.out / "summary.json").write_text(json.dumps({**summary, "details": findings}, indent=2))
    return summary


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mutated", type=int, default=100_000)
    ap.add_argument("--generated", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--limit-s", type=float, default=2.0)
    ap.add_argument("--limit-mb", type=float, default=200.0)
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "fuzz")
    ap.add_argument("--minutes", type=float, default=None,
                    help="stop after this much wall time (the counts are then upper bounds)")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    import archlang  # noqa: F401 — imported before the baseline is taken
    if args.generated:
        import torch  # noqa: F401 — the differential runs modules; torch's own memory is not an input's
        from archlang.backends.torch import generate  # noqa: F401

    corpus = corpus_texts()
    rng = random.Random(args.seed)
    signal.signal(signal.SIGVTALRM, _alarm)
    start_mb = _peak_mb()
    counts = {"mutated": 0, "generated": 0, "checked_ok": 0, "compiled": 0}
    findings: list[dict] = []
    slowest = (0.0, "")
    t0 = time.monotonic()
    total = args.mutated + args.generated
    # Interleaved, so a partial run has both kinds: one generated spec after every n mutated.
    every = max(1, round(total / max(1, args.generated)))
    deadline = None if args.minutes is None else t0 + 60 * args.minutes
    for i in range(total):
        if deadline is not None and time.monotonic() > deadline:
            print(f"--minutes {args.minutes:g} reached after {i:,} inputs", flush=True)
            break
        generated = counts["generated"] < args.generated and (i % every == every - 1 or
                                                               counts["mutated"] >= args.mutated)
        text = spec(rng, mistakes=MISTAKES) if generated else mutate(rng, rng.choice(corpus), corpus)
        counts["generated" if generated else "mutated"] += 1
        signal.setitimer(signal.ITIMER_VIRTUAL, HANG_S)
        began = time.process_time()
        try:
            problem = examine(text, limit_s=args.limit_s)
            if problem is None and generated:
                import archlang
                if archlang.check_text(text).ok:
                    counts["checked_ok"] += 1
                    problem = differential(text)
                    counts["compiled"] += 1
        except Exception as exc:      # noqa: BLE001 — a hang (TimeoutError) or a broken oracle
            problem = f"exception: {type(exc).__name__}: {exc}"
        finally:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        took = time.process_time() - began
        if took > slowest[0]:
            slowest = (took, text[:200])
        problems = [problem] if problem else []
        if _peak_mb() - start_mb > args.limit_mb and not any(f["kind"] == "memory" for f in findings):
            problems.append(f"memory: peak {_peak_mb():.0f} MB")       # this input raised the peak
        for problem in problems:
            kind = problem.split(":")[0]
            name = f"finding_{len(findings):04d}.arch"
            (args.out / name).write_text(text, encoding="utf-8", errors="surrogatepass")
            findings.append({"input": i, "kind": kind, "problem": problem, "file": name})
            print(f"[{i}] {problem}", flush=True)
        if (i + 1) % 1000 == 0:
            print(f"{i + 1:,}/{total:,} inputs, {len(findings)} findings, "
                  f"{time.monotonic() - t0:,.0f} s, peak {_peak_mb():.0f} MB", flush=True)
            _summary(args, counts, findings, slowest, t0, start_mb)     # a killed run has figures
    print(json.dumps(_summary(args, counts, findings, slowest, t0, start_mb), indent=2))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
