"""Timing for the benchmarks: whole processes (wall, CPU, peak memory) and in-process calls.

A whole process is timed from outside: wall seconds around its start and its reaping, user +
system seconds and peak resident memory from the kernel's accounting of that one child
(os.wait4, in bench/spawner.py). Commands compared with each other run in turn (A B A B ...)
after a warm-up, so that a machine whose speed drifts moves all of them alike; every figure
is a median.
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass
class Run:
    wall: float            # seconds
    cpu: float             # user + system seconds
    peak_mib: float        # peak resident memory of the process
    code: int              # exit status; -9 when killed at the time limit


@lru_cache(maxsize=1)
def _spawner() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(Path(__file__).with_name("spawner.py"))],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def run_once(argv: list[str], timeout: float | None = None) -> Run:
    """Run argv once, output thrown away; killed after `timeout` seconds."""
    spawner = _spawner()
    spawner.stdin.write(json.dumps({"argv": [str(a) for a in argv], "timeout": timeout}) + "\n")
    spawner.stdin.flush()
    return Run(**json.loads(spawner.stdout.readline()))


@dataclass
class Stats:
    runs: list[Run]

    def median(self, field: str) -> float:
        return statistics.median(getattr(r, field) for r in self.runs)

    @property
    def codes(self) -> set[int]:
        return {r.code for r in self.runs}


def compare(commands: dict[str, list[str]], runs: int = 5, warmup: int = 1,
            timeout: float | None = None) -> dict[str, Stats]:
    """Each command `runs` times, in turn with the others, after `warmup` uncounted rounds."""
    out: dict[str, Stats] = {name: Stats([]) for name in commands}
    for i in range(warmup + runs):
        for name, argv in commands.items():
            run = run_once(argv, timeout)
            if i >= warmup:
                out[name].runs.append(run)
    return out


def paired_ratio(a: Stats, b: Stats, field: str = "wall") -> float:
    """The median of the run-by-run ratios a/b (runs that alternated)."""
    return statistics.median(getattr(x, field) / getattr(y, field) for x, y in zip(a.runs, b.runs))


def in_process(fn, runs: int = 30, warmup: int = 3) -> tuple[float, float]:
    """Median wall and CPU seconds of fn() called in this process."""
    for _ in range(warmup):
        fn()
    walls, cpus = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn()
        cpus.append(time.process_time() - c)
        walls.append(time.perf_counter() - w)
    return statistics.median(walls), statistics.median(cpus)


def machine() -> str:
    """One line: CPU model, cores, memory, OS, Python, and the load when the benchmark began."""
    model = platform.processor() or platform.machine()
    memory = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), model)
        with open("/proc/meminfo") as f:
            kib = int(next(line.split()[1] for line in f if line.startswith("MemTotal")))
            memory = f", {kib / (1 << 20):.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    load = ", load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()) if hasattr(os, "getloadavg") else ""
    return (f"{model}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}{load}")


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table (also readable as plain text)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
