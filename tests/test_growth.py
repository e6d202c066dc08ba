"""Checking grows linearly with the spec, and every hostile input ends with its diagnostic in
bounded memory and bounded work.

Growth is asserted as operation counts (tests/counting.py: calls made while checking), which
a loaded machine does not change; the speed goals themselves (seconds, ratios against Python's
start) are bench/check_speed.py's, and docs/performance.md has what each input takes. The
hostile inputs are bench/big_specs.py's, each run as `archlang check` in a fresh process that
reports its peak memory (VmHWM, Linux).
"""
from __future__ import annotations

import subprocess
import sys

import pytest

import archlang
from conftest import ROOT
from counting import call_counts, grows_linearly

sys.path.insert(0, str(ROOT / "bench"))
import big_specs  # noqa: E402
from big_specs import HOSTILE, blocks, flat  # noqa: E402

MIB = 768      # MAX_NODES layers take about 470 MiB
HANG_S = 300   # a hang guard, not a speed goal: the input takes about a second (bench/)

CHILD = """
import sys
from archlang.cli import main
rc = main(sys.argv[1:])
sys.stdout.flush()
with open("/proc/self/status") as f:
    peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
print("peak", peak, file=sys.stderr)
sys.exit(rc)
"""

needs_proc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="VmHWM is Linux's")


def run_check(path) -> tuple[float, int, str]:
    """Peak MiB, exit status and stderr of `archlang check PATH`."""
    proc = subprocess.run([sys.executable, "-c", CHILD, "check", str(path)], capture_output=True,
                          text=True, timeout=HANG_S)
    last = proc.stderr.rstrip().splitlines()[-1]
    assert last.startswith("peak"), proc.stderr[-2000:]
    return int(last.split()[1]) / 1024, proc.returncode, proc.stderr


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
def test_hostile_input_ends_with_its_diagnostic_in_bounded_memory(name, tmp_path):
    path = tmp_path / "hostile.arch"
    path.write_text(HOSTILE[name]())
    peak, code, stderr = run_check(path)
    assert peak < MIB, f"{name}: {peak:.0f} MiB"
    if EXPECTED[name] == 0:
        assert code == 0, stderr[-2000:]
    else:
        assert code == 1 and EXPECTED[name] in stderr, stderr[-2000:]
        assert "Traceback" not in stderr


def test_the_hostile_table_and_the_expectations_agree():
    assert set(EXPECTED) == set(HOSTILE) == set(GROWING)


def _dense_file(n: int) -> str:
    return "model m(x: 10) = Chain(" + "Dense(10 => 10), " * n + "Dense(10 => 10))\n"


# Each hostile input at three sizes n, 2n, 4n, small enough to count calls quickly; where the
# sizes pass a limit, the work must stop growing at it.
GROWING = {
    "50 MB file of layers": (_dense_file, [70_000, 140_000, 280_000]),     # all over 1 MiB
    "name of 10^6 characters": (big_specs.long_name, [10_000, 20_000, 40_000]),
    "90,000 errors": (big_specs.many_errors, [1_000, 2_000, 4_000]),
    "blocks 10,000 deep": (big_specs.deep_blocks, [100, 200, 400]),
    "2^40 layers through blocks": (big_specs.doubling_blocks, [20, 40, 80]),
    "brackets 10^5 deep": (big_specs.deep_brackets, [1_000, 2_000, 4_000]),
    "number of 10^6 digits": (big_specs.long_number, [10_000, 20_000, 40_000]),
    "string of 10^6 characters": (big_specs.long_string, [10_000, 20_000, 40_000]),
    "wrong Dense after 400 convolutions": (big_specs.deep_cnn_wrong_dense, [100, 200, 400]),
    "repeat(10^9, Dense)": (big_specs.huge_repeat, [10 ** 6, 2 * 10 ** 6, 4 * 10 ** 6]),
}


@pytest.mark.parametrize("name", list(GROWING))
def test_hostile_input_costs_at_most_linear_work_in_its_size(name):
    make, sizes = GROWING[name]
    counts = call_counts(lambda n: archlang.check_text(make(n)), sizes)
    assert grows_linearly(counts), f"{name}: calls at sizes {sizes}: {counts}"


def test_work_past_a_limit_does_not_grow():
    # Refused at the limit: a bigger file, name or string costs no more calls.
    for make, sizes in [(_dense_file, [70_000, 300_000, 1_000_000]),
                        (big_specs.long_string, [10_000, 100_000, 1_000_000]),
                        (big_specs.huge_repeat, [10 ** 4, 10 ** 6, 10 ** 9])]:
        counts = call_counts(lambda n: archlang.check_text(make(n)), sizes)
        assert max(counts) - min(counts) <= 10, (sizes, counts)


def test_a_literal_spec_checks_in_linear_work():
    assert archlang.check(flat(500)).ok
    counts = call_counts(lambda n: archlang.check(flat(n)), [500, 1_000, 2_000])
    assert grows_linearly(counts, constant=0), counts


def test_layers_through_blocks_check_and_analyse_in_linear_work():
    from archlang.analysis import analyze_report
    result = archlang.check(blocks(4_000))
    assert result.ok and len(result.models[0].layers) == 4_000
    counts = call_counts(lambda n: analyze_report(archlang.check(blocks(n)).models[0]),
                         [1_000, 2_000, 4_000])
    assert grows_linearly(counts, constant=0), counts


def test_the_counter_tells_linear_from_quadratic():
    # The oracle of every test above: it must reject quadratic work, or they prove nothing.
    def linear(n):
        return [abs(i) for i in range(n)]

    def quadratic(n):
        return [abs(i) for i in range(n) for _ in range(n)]
    assert grows_linearly(call_counts(linear, [100, 200, 400]), constant=0)
    assert not grows_linearly(call_counts(quadratic, [100, 200, 400]))
