"""Every stage is linear in its input: each kind of hostile input, grown twice, costs about
twice the operations, never four times.

The cost is counted, not timed: the Python and C function calls that checking (and analysing
what checks) makes (tests/counting.py). tests/test_growth.py holds the whole-process side:
each hostile input of bench/big_specs.py ends with its diagnostic in bounded memory. For sizes n, 2n and 4n the second increase must
be at most 2.5 times the first (linear: 2; n log n: a little more; quadratic: 4); for a few
kinds the count must not grow at all (CONSTANT). Speed lives in bench/.
"""
from __future__ import annotations

import pytest

import archlang
from archlang.analysis import analyze_report
from archlang.limits import MAX_DIAGNOSTICS
from counting import calls


def check_and_analyse(text: str, path=None) -> None:
    """What `archlang check` computes: the check, then each checked model's analysis."""
    if path is not None:
        path.write_text(text, encoding="utf-8")
    result = archlang.check(path) if path is not None else archlang.check_text(text)
    for report in result.models:
        if report.ok:
            analyze_report(report)


def chain(items) -> str:
    return "Chain(" + ", ".join(items) + ")"


# Each kind: (sizes n, 2n, 4n; size → spec text). Sizes stay small: the profile is slow.
KINDS = {
    "many models": ((100, 200, 400),
                    lambda n: "".join(f"model m{i}(x: 8×8×1) = Conv((3, 3), 1 => 1, pad=1)\n"
                                      for i in range(n))),
    "a long chain": ((200, 400, 800),
                     lambda n: "model m(x: 8) = " + chain(["Dense(8, 8, relu)"] * n)),
    "a long line of activations": ((500, 1000, 2000),
                                   lambda n: "model m(x: 8) = " + chain(["relu"] * n)),
    "deep nesting": ((20, 40, 80),
                     lambda n: "model m(x: 4) = " + "Chain(relu, " * n + "relu" + ")" * n),
    "a long name (refused)": ((2000, 4000, 8000),
                              lambda n: f"model m(x: 4) = {'a' * n}(4, 2)"),
    "long names": ((60, 120, 240),
                   lambda n: f"block {'B' * n}(c) = Dense(c, c)\nmodel {'m' * n}(x: 4) = {'B' * n}(4)"),
    "many blocks": ((100, 200, 400),
                    lambda n: "".join(f"block B{i}(c) = Dense(c, c, relu)\n" for i in range(n))
                    + "model m(x: 4) = " + chain([f"B{i}(4)" for i in range(n)])),
    "blocks calling blocks": ((16, 32, 64),
                              lambda n: "block B0(c) = Dense(c, c)\n"
                              + "".join(f"block B{i}(c) = Chain(B{i - 1}(c), relu)\n" for i in range(1, n))
                              + f"model m(x: 4) = B{n - 1}(4)"),
    "a long sum": ((500, 1000, 2000),
                   lambda n: f"model m(x: 4) = Dense(4, {' + '.join(['1'] * n)})"),
    "many unknown layers": ((2 * MAX_DIAGNOSTICS, 4 * MAX_DIAGNOSTICS, 8 * MAX_DIAGNOSTICS),
                            lambda n: "model m(x: 4) = " + chain(["foo"] * n)),
    "many shape errors": ((2 * MAX_DIAGNOSTICS, 4 * MAX_DIAGNOSTICS, 8 * MAX_DIAGNOSTICS),
                          lambda n: "model m(x: 9) = " + chain(["Dense(5, 9)"] * n)),
    "a wide Parallel": ((100, 200, 400),
                        lambda n: "model m(x: 4) = Parallel(+, " + ", ".join(["Dense(4, 4)"] * n) + ")"),
    "a long graph body": ((100, 200, 400),
                          lambda n: "model m(x: 4) = {\n  h0 = Dense(4, 4)(x)\n"
                          + "".join(f"  h{i} = Dense(4, 4)(h{i - 1}) + h{i - 1}\n" for i in range(1, n))
                          + f"  return h{n - 1}\n}}"),
    "a long comment": ((20_000, 40_000, 80_000),
                       lambda n: "# " + "x" * n + "\nmodel m(x: 4) = Dense(4, 2)"),
    "a long string": ((500, 1000, 2000),
                      lambda n: f'model m(x: 8×8×1) = Conv((3, 3), 1 => 1, init="{"a" * n}")'),
    "many resizes": ((40, 80, 160),
                     lambda n: "model m(x: 16×1) = " + chain(
                         [f"Upsample(size={17 + i % 5})" if i % 2 else "Conv((2,), 1 => 1)"
                          for i in range(n)])),
    "a long repeat count": ((10**3, 10**6, 10**9),        # folded: the count costs nothing
                            lambda n: f"model m(x: 4) = repeat({n}, Dense(4, 4))"),
}


# Kinds whose length costs no more operations at all: a folded repeat's count, and text that
# single library calls read in one pass (the tokenizer's regular expressions, str methods),
# which the profile counts as one call each whatever their length (their own speed is
# bench/'s to measure).
CONSTANT = {"a long repeat count", "a long name (refused)", "long names", "a long comment",
            "a long string"}


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_stage_is_linear_in_the_input(kind):
    sizes, make = KINDS[kind]
    check_and_analyse(make(sizes[0]))                      # warm caches and lazy imports
    c1, c2, c3 = (calls(lambda n=n: check_and_analyse(make(n))) for n in sizes)
    if kind in CONSTANT:
        assert c3 - c1 <= c1 // 50, (kind, c1, c2, c3)     # no more operations for more of it
        return
    assert c2 > c1, (c1, c2)                               # the input does cost something
    assert c3 - c2 <= 2.5 * (c2 - c1), (kind, c1, c2, c3)


def test_many_imports_are_linear(tmp_path):
    def make(n: int) -> None:
        root = tmp_path / str(n)
        root.mkdir(exist_ok=True)
        for i in range(n):
            (root / f"lib{i}.arch").write_text(f"block L{i}(c) = Dense(c, c)\n", encoding="utf-8")
        text = "".join(f'import "lib{i}.arch"\n' for i in range(n))
        text += "model m(x: 4) = " + chain([f"L{i}(4)" for i in range(n)])
        return lambda: check_and_analyse(text, root / "root.arch")

    runs = [make(n) for n in (50, 100, 200)]
    runs[0]()
    c1, c2, c3 = (calls(run) for run in runs)
    assert c2 > c1 and c3 - c2 <= 2.5 * (c2 - c1), (c1, c2, c3)


def test_the_measure_sees_quadratic_work():
    # The bound of this file (2.5) fails for work that grows with the square of the input.
    def work(n):
        return lambda: [abs(i - j) for i in range(n) for j in range(n)]
    c1, c2, c3 = (calls(work(n)) for n in (50, 100, 200))
    assert c3 - c2 > 2.5 * (c2 - c1)
