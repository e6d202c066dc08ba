"""Fuzzing that stays in the suite: generated specs and mutated corpus specs never break check.

Bounded for CI: a few seconds each. `ARCHLANG_FUZZ_SECONDS=600 pytest tests/fuzz` turns the
last test into a ten-minute mutational run (bench/fuzz.py is the long run with figures).
Every finding is kept as a minimised fixture in tests/fixtures/crashers/.
"""
from __future__ import annotations

import os
import random
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .grammar import spec
from .mutate import corpus_texts, examine, mutate

CORPUS = corpus_texts()
FUZZ_SECONDS = float(os.environ.get("ARCHLANG_FUZZ_SECONDS", "0"))
QUICK = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck),
                 derandomize=True)


def test_the_corpus_is_the_projects_specs_and_fixtures():
    assert len(CORPUS) >= 60


@QUICK
@given(st.randoms(use_true_random=False).map(spec))
def test_generated_specs_get_a_result_or_positioned_diagnostics(text):
    assert examine(text) is None, text


@QUICK
@given(st.randoms(use_true_random=False), st.integers(0, len(CORPUS) - 1))
def test_mutated_specs_get_positioned_diagnostics(rng, i):
    text = mutate(rng, CORPUS[i], CORPUS)
    assert examine(text) is None, text


def test_mutational_run_for_the_time_allowed():
    """Seeded, so a failure is reproducible from its seed and index."""
    seed = int(os.environ.get("ARCHLANG_FUZZ_SEED", "14"))
    rng = random.Random(seed)
    deadline = time.monotonic() + (FUZZ_SECONDS or 2.0)
    n = 0
    while time.monotonic() < deadline:
        text = mutate(rng, rng.choice(CORPUS), CORPUS) if n % 5 else spec(rng)
        problem = examine(text)
        assert problem is None, f"seed {seed}, input {n}: {problem}\n{text}"
        n += 1
    assert n > 0


def test_the_oracle_catches_what_it_must():
    # examine() must fail on what issue 14 found, or the fuzz tests above prove nothing.
    import archlang.api
    real = archlang.api.check_source

    def broken(source, strict=False):
        raise ZeroDivisionError("0.0 cannot be raised to a negative power")
    archlang.api.check_source = broken
    try:
        assert examine("model m(x: 4) = Dense(4, 0^-1)").startswith("exception: ZeroDivisionError")
    finally:
        archlang.api.check_source = real
