"""Fuzzing that stays in the suite: generated specs and mutated corpus specs never break check.

The generated specs are tests/generator.py's (the one generator: every layer kind, blocks,
broadcasting joins, graph bodies), half of them with a deliberate mistake so that diagnostics
are exercised; the mutated ones are tests/fuzz/mutate.py's. Every input must get a result or
positioned diagnostics within its work bound (calls counted, tests/counting.py). Seeded: a
failure names the seed and input that reproduce it. The quick runs are in the fast suite,
a longer one is marked slow, and `ARCHLANG_FUZZ_INPUTS=20000 pytest tests/fuzz -m slow` runs
as many as asked; bench/fuzz.py is the long run with figures. Every finding is kept as a
minimised fixture in tests/fixtures/crashers/.
"""
from __future__ import annotations

import os
import random

import pytest

from counting import work_budget
from generator import spec

from .mutate import corpus_texts, examine, mutate

CORPUS = corpus_texts()
MISTAKES = 0.5


def fuzz(seed: int, inputs: int) -> None:
    """`inputs` inputs from one seed: four mutated corpus specs for each generated one."""
    rng = random.Random(seed)
    for n in range(inputs):
        text = mutate(rng, rng.choice(CORPUS), CORPUS) if n % 5 else spec(rng, mistakes=MISTAKES)
        problem = examine(text, max_calls=work_budget(text))
        assert problem is None, f"seed {seed}, input {n}: {problem}\n{text}"


def test_the_corpus_is_the_projects_specs_and_fixtures():
    assert len(CORPUS) >= 60


@pytest.mark.parametrize("seed", [14, 15])
def test_generated_and_mutated_specs_get_a_result_or_positioned_diagnostics(seed):
    fuzz(seed, 60)


@pytest.mark.slow
def test_a_longer_fuzzing_run():
    fuzz(int(os.environ.get("ARCHLANG_FUZZ_SEED", "16")),
         int(os.environ.get("ARCHLANG_FUZZ_INPUTS", "2000")))


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


def test_the_oracle_catches_too_much_work(monkeypatch):
    # And on quadratic work: a check that makes a call per pair of bytes is over the bound.
    import archlang.api
    real = archlang.api.check_source

    def quadratic(source, strict=False):
        text = source.text if hasattr(source, "text") else str(source)
        for a in text:
            for b in text:
                a.isdigit(), b.isdigit()
        return real(source, strict)
    monkeypatch.setattr(archlang.api, "check_source", quadratic)
    text = "model m(x: 4) = Chain(" + "relu, " * 160 + "relu)"          # 1,000 bytes
    assert examine(text, max_calls=work_budget(text)).startswith("too much work")
