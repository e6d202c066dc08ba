"""Operation counts for tests of growth and bounded work: what tests assert instead of time.

`calls(fn)` counts the function calls (Python functions and built-ins called from Python)
made while `fn()` runs, through `sys.setprofile`. The count is the same on an idle machine and
a loaded one, so a test can bound it tightly; wall-clock and CPU times belong to `bench/`.
What a count cannot see is work done inside one C call (a regular expression backtracking,
`bytes.replace` on a huge string); tests of such inputs bound memory or use bench/.

`grows_linearly(counts)` judges counts taken at sizes n, 2n, 4n: linear work adds as much
from 2n to 4n as twice what it added from n to 2n; quadratic work adds four times as much.
"""
from __future__ import annotations

import sys
from collections.abc import Callable

# From n → 2n → 4n, the second step adds ≤ SLACK × twice the first: n·log n adds about 2.2
# times at the sizes used here, quadratic work 4 times.
SLACK = 1.15


def calls(fn: Callable[[], object]) -> int:
    """How many calls `fn()` makes (including its own), counted through sys.setprofile."""
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event == "call" or event == "c_call":
            count += 1

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(previous)
    return count


def grows_linearly(counts: list[int], constant: int = 1000) -> bool:
    """True when counts taken at sizes n, 2n, 4n grow at most linearly (or not at all).

    `constant` absorbs a fixed difference (a diagnostic more or less, a cache filled once)."""
    small, middle, large = counts
    return large - middle <= SLACK * 2 * max(0, middle - small) + constant


def call_counts(fn: Callable[[int], object], sizes: list[int]) -> list[int]:
    """calls(fn(n)) for each size, after one warm-up call (lazy imports and caches)."""
    fn(sizes[0])
    return [calls(lambda n=n: fn(n)) for n in sizes]


# Work allowed for checking any one input, in calls: the heaviest fixture today (fifty wrong
# Dense layers and their hints) makes about 340 calls a byte; quadratic work on a few KB
# makes millions more. Fuzzers and crasher fixtures are held to it.
WORK_PER_BYTE, BASE_WORK = 1_000, 200_000


def work_budget(text: str) -> int:
    return WORK_PER_BYTE * len(text.encode("utf-8", "surrogatepass")) + BASE_WORK
