"""No input makes archlang raise: random text and mutated specs always give diagnostics."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archlang
from conftest import SPECS

SEEDS = [(SPECS / "book/model2.arch").read_text(), (SPECS / "famous/resnet18.arch").read_text(),
         "block B(c) = SkipConnection(Conv((3, 3), c => c, pad=1), +)\nmodel m(x: 8x8x4) = repeat(2, B(4))"]
ALPHABET = st.sampled_from(list("()[]{},;:=>+-*/^×÷_#\"' \n\tx0123456789") +
                           ["Conv", "Dense", "Chain", "model", "block", "relu", "=>", "pad=", "(3, 3)",
                            "SkipConnection", "Parallel", "repeat", "cat", "import", "10^", "\x00", "é"])


def _never_raises(text: str) -> None:
    result = archlang.check(text)
    for d in result.diagnostics:
        str(d)                      # renders
        assert d.code and d.message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_random_token_soup(text):
    _never_raises("model m(x: 28×28×1) = " + text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEEDS), st.integers(0, 10_000), st.integers(0, 8), st.text(max_size=6))
def test_mutated_specs(seed, where, cut, insert):
    where %= len(seed) + 1
    _never_raises(seed[:where] + insert + seed[where + cut:])
