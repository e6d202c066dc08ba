"""Every input ends in bounded time and memory; checking grows linearly with the spec.

The bounds are loose on purpose (CI runs on 2 busy cores): docs/performance.md has what each
input takes. The inputs are bench/big_specs.py's, each run as `archlang check` in a fresh
process that reports its own CPU time and peak memory (VmHWM, Linux): CPU time, unlike wall
time, does not grow when other work shares the machine.
"""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

import archlang
from conftest import ROOT, SPECS

sys.path.insert(0, str(ROOT / "bench"))
from big_specs import HOSTILE, blocks, flat  # noqa: E402

CPU_SECONDS, MIB = 20, 768      # MAX_NODES layers take about 470 MiB

CHILD = """
import resource, sys
from archlang.cli import main
rc = main(sys.argv[1:])
sys.stdout.flush()
with open("/proc/self/status") as f:
    peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
use = resource.getrusage(resource.RUSAGE_SELF)
print("bounds", use.ru_utime + use.ru_stime, peak, file=sys.stderr)
sys.exit(rc)
"""

needs_proc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="VmHWM is Linux's")


def run_check(path) -> tuple[float, float, int, str]:
    """CPU seconds, peak MiB, exit status and stderr of `archlang check PATH`."""
    proc = subprocess.run([sys.executable, "-c", CHILD, "check", str(path)], capture_output=True,
                          text=True, timeout=10 * CPU_SECONDS)
    last = proc.stderr.rstrip().splitlines()[-1]
    assert last.startswith("bounds"), proc.stderr[-2000:]
    _, cpu, peak = last.split()
    return float(cpu), int(peak) / 1024, proc.returncode, proc.stderr


# What each hostile input must end with: the diagnostic code, or 0 where it is a valid spec.
EXPECTED = {
    "50 MB file of layers": "E0019",
    "name of 10^6 characters": "error[",
    "90,000 errors": "error[E0301]",
    "blocks 10,000 deep": "error[",
    "2^40 layers through blocks": "error[",
    "brackets 10^5 deep": "error[",
    "number of 10^6 digits": "error[",
    "string of 10^6 characters": "error[",
    "wrong Dense after 400 convolutions": "error[E0301]",
    "repeat(10^9, Dense)": 0,
}


@needs_proc
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_ends_in_bounded_time_and_memory(name, tmp_path):
    path = tmp_path / "hostile.arch"
    path.write_text(HOSTILE[name]())
    cpu, peak, code, stderr = run_check(path)
    assert cpu < CPU_SECONDS and peak < MIB, f"{name}: {cpu:.1f} s of CPU, {peak:.0f} MiB"
    if EXPECTED[name] == 0:
        assert code == 0, stderr[-2000:]
    else:
        assert code == 1 and EXPECTED[name] in stderr, stderr[-2000:]
        assert "Traceback" not in stderr


def test_the_hostile_table_and_the_expectations_agree():
    assert set(EXPECTED) == set(HOSTILE)


def cpu_seconds(fn, tries: int = 2) -> float:
    """The least CPU time of a few calls: steadier than wall time on a shared machine."""
    best = float("inf")
    for _ in range(tries):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


@pytest.mark.slow
def test_a_literal_spec_checks_in_linear_time():
    small, large = flat(1_000), flat(10_000)
    assert archlang.check(large).ok
    ratio = cpu_seconds(lambda: archlang.check(large)) / cpu_seconds(lambda: archlang.check(small))
    assert ratio < 14, f"10,000 / 1,000 layers: {ratio:.1f}× (linear: about 10×)"


@pytest.mark.slow
def test_layers_through_blocks_check_in_linear_time():
    small, large = blocks(10_000), blocks(100_000)
    result = archlang.check(large)
    assert result.ok and len(result.models[0].layers) == 100_000
    ratio = cpu_seconds(lambda: archlang.check(large), 1) / cpu_seconds(lambda: archlang.check(small))
    assert ratio < 14, f"100,000 / 10,000 layers: {ratio:.1f}× (linear: about 10×)"


def test_resnet152_checks_and_analyses_in_milliseconds():
    from archlang.analysis import analyze_report
    text = (SPECS / "famous/resnet152.arch").read_text()

    def check_and_analyse():
        analyze_report(archlang.check(text).models[0])

    check_and_analyse()
    # 15 ms on an idle machine (bench/check_speed.py); this bound only catches a collapse.
    assert cpu_seconds(check_and_analyse, tries=5) < 0.150
