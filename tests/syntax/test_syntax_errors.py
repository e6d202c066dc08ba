"""Lark's raw failures become named mistakes, with positions."""
from __future__ import annotations

import pytest

from archlang.source import Source
from archlang.syntax import parse
from archlang.syntax.syntax_errors import EXAMPLES, MISTAKES


def err(text: str):
    d = parse(Source("t.arch", text))
    assert not hasattr(d, "definitions"), "expected a syntax error"
    return d


@pytest.mark.parametrize("label, examples", sorted(EXAMPLES.items()))
def test_every_example_is_recognised_as_its_own_mistake(label, examples):
    code = MISTAKES[label][0]
    for text in examples:
        assert err(text).code == code, text


@pytest.mark.parametrize("text, code, line, col, fragment", [
    ("model m(x: 8×8×1) = Chain(\n    Conv((3, 3), 1 => 4)\n    MaxPool((2, 2)))", "E0003", 3, 5, "missing comma"),
    ("model m(x: 1) = Chain(\n  Dense(1, 1),\n  relu\n", "E0005", 1, 22, "unclosed `Chain(`"),
    ("model m(x: 1) = Dense(1, 1))", "E0005", 1, 28, "unmatched `)`"),
    ("model m(x: 1) = Dense(1, 1]", "E0005", 1, 27, "`(` closed by `]`"),
    ("model m(x: 1) = Conv((3,), 1 -> 8)", "E0004", 1, 30, "`->` is not an arrow"),
    ("model m(x) = relu", "E0006", 1, 10, "missing input shape"),
    ("model m = relu", "E0006", 1, 9, "missing input shape"),
    ("model m(x: 1) relu", "E0007", 1, 15, "expected `=`"),
    ("modle m(x: 1) = relu", "E0013", 1, 1, "expected a definition"),
    ("model m(x: 1) = Dense(1,, 2)", "E0010", 1, 25, "expected an argument"),
    ("model m(x: 1) = Dense(1 => )", "E0011", 1, 28, "expected a value"),
    ("model m(x: 1) = relu @", "E0001", 1, 22, "unexpected character `@`"),
    ("model m(x: 1) = Dense('a')", "E0001", 1, 23, "unexpected `'`"),
])
def test_named_mistakes(text, code, line, col, fragment):
    d = err(text)
    assert (d.code, d.span.line, d.span.column) == (code, line, col), str(d)
    assert fragment in d.message


def test_nesting_limit_is_a_diagnostic_not_a_crash():
    d = err("model m(x: 1) = " + "Chain(" * 500 + "relu" + ")" * 500)
    assert d.code == "E0009"


def test_keyword_typo_suggests_the_keyword():
    assert err("modle m(x: 1) = relu").help == "did you mean `model`?"
