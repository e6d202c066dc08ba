"""Property: a generated spec that checks compiles to a module whose parameter count, outputs
and every submodule's shape agree with the check, through receptive-field analysis too; one
that does not check is rejected with positioned diagnostics, never a traceback.

The specs are tests/generator.py's (every registered layer kind under every name, blocks,
imports, skips and branches with `+`, `*` and `cat` and broadcasting, repeats, graph bodies),
one per seed, so a failure names the seed that reproduces it. A property over specs that
mostly fail to check would prove little: each run fails when the share of specs that check
falls under FLOOR, or when a registered layer kind never appeared in a spec that checked.
"""
from __future__ import annotations

import random
from collections import Counter

import pytest

import archlang
from archlang.layers import REGISTRY, kinds
from generator import spec

from .helpers import compiled, forward_agrees, param_count
from .test_safety import assert_safe

# One spec in ten gets a deliberate mistake (MISTAKES), and the generator follows shapes: about
# 90 % check. Under FLOOR the generator has drifted from the language (or check has).
MISTAKES, FLOOR = 0.1, 0.8


def agree(text: str) -> bool:
    """Check `text`; if it checks, compile and run every model and compare. True if it checked."""
    result = archlang.check(text)
    if not result.ok:
        assert result.errors and all(d.span is not None and d.code != "E0999"
                                     for d in result.diagnostics)
        return False
    archlang.analyze(text)                       # receptive fields through every layer
    for model in result.models:
        report, gen, module = compiled(text, model.name)
        assert param_count(module) == report.params
        assert_safe(gen.source)
        forward_agrees(report, gen, module)
    return True


def run(seeds: range) -> tuple[Counter, set]:
    """The property over one spec per seed: (counts of checks/rejected, kinds in specs that checked)."""
    counts, seen = Counter(), set()
    for seed in seeds:
        used = Counter()
        text = spec(random.Random(seed), mistakes=MISTAKES, used=used)
        try:
            checks = agree(text)
        except Exception as exc:
            raise AssertionError(f"seed {seed}: {type(exc).__name__}: {exc}\n{text}") from exc
        counts["checks" if checks else "rejected"] += 1
        if checks:
            seen |= {REGISTRY[name] for name in used}
    return counts, seen


def assert_enough_survive(counts: Counter, seen: set) -> None:
    share = counts["checks"] / sum(counts.values())
    assert share >= FLOOR, f"only {share:.0%} of generated specs check ({counts}); floor {FLOOR:.0%}"
    missing = {k.__name__ for k in set(kinds()) - seen}
    assert not missing, f"kinds never in a spec that checked: {sorted(missing)}"


def test_generated_specs_agree_with_their_compiled_modules():
    assert_enough_survive(*run(range(250)))


@pytest.mark.slow
def test_many_more_generated_specs_agree():
    assert_enough_survive(*run(range(1_000, 4_000)))


def test_the_floor_fails_a_generator_whose_specs_do_not_check():
    # The bound above must be able to fail: specs that are all mistakes are under it.
    counts = Counter(archlang.check(spec(random.Random(s), mistakes=1.0)).ok for s in range(60))
    with pytest.raises(AssertionError, match="generated specs check"):
        assert_enough_survive(Counter(checks=counts[True], rejected=counts[False]), set(kinds()))
