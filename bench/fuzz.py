"""The long fuzzing run of issue 14: mutated corpus specs and generated specs through `check`.

    nice python bench/fuzz.py                       # 100,000 mutated + 10,000 generated
    nice python bench/fuzz.py --mutated 20000 --generated 2000 --seed 7

Reports every input that raises, gets an unpositioned or unrenderable diagnostic or an
internal error (E0999), takes over --limit-s seconds, or pushes the process's peak memory
over --limit-mb above where it started (ru_maxrss is a high-water mark: if the final peak is
under the bound, no single input went over it). Generated specs that check are compiled and
run: the module's parameter count and output shape must equal check's (the differential
property). Findings are written to --out (default out/fuzz/) with a summary.json.
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

from fuzz.grammar import spec  # noqa: E402
from fuzz.mutate import corpus_texts, examine, mutate  # noqa: E402

HANG_S = 30


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024      # Linux: KiB


def _alarm(signum, frame):
    raise TimeoutError(f"over {HANG_S} s")


def differential(text: str) -> str | None:
    """check vs the compiled module: parameters and output shape (None: they agree)."""
    import torch

    import archlang
    from archlang.backends.torch import generate, load_source, torch_shape
    result = archlang.check_text(text)
    if not result.ok:
        return None
    for report in result.models:
        gen = generate([report], "<fuzz>")
        module = load_source(gen, report.name).eval()
        params = sum(p.numel() for p in module.parameters())
        if params != report.params:
            return f"parameters: module {params:,}, check {report.params:,}"
        with torch.no_grad():          # a graph body: every input, and a tuple of outputs
            ys = module(*[torch.randn(2, *torch_shape(s)) for _, s in report.inputs])
        ys = ys if isinstance(ys, tuple) else (ys,)
        got = [tuple(y.shape) for y in ys]
        want = [(2, *torch_shape(s)) for _, s in report.outputs]
        if got != want:
            return f"output shapes: module {got}, check {want}"
    return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mutated", type=int, default=100_000)
    ap.add_argument("--generated", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--limit-s", type=float, default=2.0)
    ap.add_argument("--limit-mb", type=float, default=200.0)
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "fuzz")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    import archlang  # noqa: F401 — imported before the baseline is taken
    if args.generated:
        import torch  # noqa: F401 — the differential runs modules; torch's own memory is not an input's
        from archlang.backends.torch import generate  # noqa: F401

    corpus = corpus_texts()
    rng = random.Random(args.seed)
    signal.signal(signal.SIGALRM, _alarm)
    start_mb = _peak_mb()
    counts = {"mutated": 0, "generated": 0, "checked_ok": 0, "compiled": 0}
    findings: list[dict] = []
    slowest = (0.0, "")
    t0 = time.monotonic()
    total = args.mutated + args.generated
    # Interleaved, so a partial run has both kinds: one generated spec after every n mutated.
    every = max(1, round(total / max(1, args.generated)))
    for i in range(total):
        generated = counts["generated"] < args.generated and (i % every == every - 1 or
                                                               counts["mutated"] >= args.mutated)
        text = spec(rng) if generated else mutate(rng, rng.choice(corpus), corpus)
        counts["generated" if generated else "mutated"] += 1
        signal.alarm(HANG_S)
        began = time.perf_counter()
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
            signal.alarm(0)
        took = time.perf_counter() - began
        if took > slowest[0]:
            slowest = (took, text[:200])
        if _peak_mb() - start_mb > args.limit_mb and not any(f["kind"] == "memory" for f in findings):
            problem = problem or f"memory: peak {_peak_mb():.0f} MB"
        if problem:
            kind = problem.split(":")[0]
            name = f"finding_{len(findings):04d}.arch"
            (args.out / name).write_text(text, encoding="utf-8", errors="surrogatepass")
            findings.append({"input": i, "kind": kind, "problem": problem, "file": name})
            print(f"[{i}] {problem}", flush=True)
        if (i + 1) % 1000 == 0:
            print(f"{i + 1:,}/{total:,} inputs, {len(findings)} findings, "
                  f"{time.monotonic() - t0:,.0f} s, peak {_peak_mb():.0f} MB", flush=True)
    summary = {**counts, "findings": len(findings), "by_kind": {},
               "seconds": round(time.monotonic() - t0), "seed": args.seed,
               "slowest_s": round(slowest[0], 3), "slowest_input": slowest[1],
               "peak_mb_over_start": round(_peak_mb() - start_mb, 1),
               "limit_s": args.limit_s, "limit_mb": args.limit_mb}
    for f in findings:
        summary["by_kind"][f["kind"]] = summary["by_kind"].get(f["kind"], 0) + 1
    (args.out / "summary.json").write_text(json.dumps({**summary, "details": findings}, indent=2))
    print(json.dumps(summary, indent=2))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
