"""The one spec generator (tests/generator.py) covers the language: every registered layer kind
has a writer, every registered name is written, and its mistakes knob makes specs fail.

A new layer kind registered in archlang/layers without a writer in tests/generator.py fails
here: the property tests and fuzzers would otherwise never try it.
"""
from __future__ import annotations

import random
import re
from collections import Counter

import archlang
import generator
from archlang.layers import REGISTRY, kinds
from archlang.layers.base import Layer


def test_every_registered_layer_kind_has_a_writer():
    missing = generator.missing_kinds()
    assert not missing, f"add a writer to WRITERS in tests/generator.py for {sorted(missing)}"
    assert set(generator.WRITERS) == {cls.__name__ for cls in kinds()}


def test_a_new_kind_without_a_writer_is_caught(monkeypatch):
    class Novel(Layer):
        kind = "Novel"
    monkeypatch.setitem(REGISTRY, "Novel", Novel)
    assert generator.missing_kinds() == {"Novel"}


def test_every_registered_name_is_written():
    used = Counter()
    for seed in range(600):
        generator.spec(random.Random(seed), used=used)
    missing = set(REGISTRY) - set(used)
    assert not missing, f"names tests/generator.py never writes: {sorted(missing)}"


def test_the_constructs_are_written():
    texts = "\n".join(generator.spec(random.Random(seed)) for seed in range(200))
    for construct in ["SkipConnection(", "Parallel(+", "Parallel(*", "Parallel(cat", ", *)",
                      ", +)", ", cat)", "repeat(", "block B0(c) =", "block B0(c, k = ",
                      'import "std/resnet.arch"', "BasicBlock(", " = {\n", "return ", "; dims=",
                      "cat(", "Parameter(", "  1: ", "train m0 {", "÷", "//", "^", "×", "x: (",
                      " of int) = ", "Embedding("]:
        assert construct in texts, construct
    # A broadcast branch (squeeze-excitation), under any of the two layers' names: which name
    # a seed draws changes whenever a layer kind is added.
    assert re.search(r"\w+Pool\(\), \w+\(\(1, 1\), _ => 1\)", texts)


def test_mistakes_make_specs_fail_and_none_mostly_check():
    def share(mistakes):
        return sum(archlang.check(generator.spec(random.Random(s), mistakes=mistakes)).ok
                   for s in range(60)) / 60
    assert share(1.0) < 0.2 and share(0.0) > 0.9
