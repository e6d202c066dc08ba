"""Expressions are parsed and evaluated without recursion: long chains are just long, and the
precedence climbing still computes what Python computes."""
from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

import archlang
from counting import call_counts, grows_linearly


def _dense_out(expr: str):
    result = archlang.check_text(f"model m(x: 4) = Dense(4, {expr})")
    return result, (result.models[0].output_shape[0] if result.ok else None)


def test_a_100000_term_sum():
    result, out = _dense_out("1" + " + 1" * 99_999 + " - 99_990")
    assert out == 10
    counts = call_counts(lambda n: _dense_out("1" + " + 1" * n), [2_000, 4_000, 8_000])
    assert grows_linearly(counts), counts


def test_thousands_of_unary_minus_signs():
    assert _dense_out("-" * 4000 + "7")[1] == 7
    result, _ = _dense_out("-" * 4001 + "7")
    assert [d.message for d in result.errors] == ["a size must be positive, found -7"]


def test_a_long_power_chain_is_right_associative():
    assert _dense_out("2" + "^1" * 3000)[1] == 2
    assert _dense_out("2^3^2 - 500")[1] == 12          # 2^9 = 512, not 8^2 = 64


def test_power_binds_tighter_than_unary_minus():
    # As Julia and Python (and docs/language.md's precedence table) have it.
    assert _dense_out("-2^2 + 10")[1] == 6
    assert _dense_out("(-2)^2 + 10")[1] == 14
    assert _dense_out("-(-2)^2 + 10")[1] == 6


def test_a_long_shape_is_built_in_linear_work():
    def shape(n):
        result = archlang.check_text("model m(x: " + "×".join(["1"] * n) + ") = relu")
        assert [d.code for d in result.errors] == ["E0103"]
    counts = call_counts(shape, [2_000, 4_000, 8_000])
    assert grows_linearly(counts), counts


OPS = st.sampled_from(["+", "-", "*", "//", "^"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=2, max_size=8), st.data())
def test_precedence_agrees_with_python(numbers, data):
    ops = [data.draw(OPS) for _ in numbers[1:]]
    # One power at most: every intermediate then stays under 2^63, archlang's bound (6^3^3 is
    # E0203 even where Python goes on to compute 1 // 6^27 = 0).
    assume(ops.count("^") <= 1)
    numbers = [min(n, 3) if op == "^" else n for op, n in zip(["+"] + ops, numbers)]
    # Operands may carry unary minus signs, bracketed or not: `-2^2` is -(2^2), `(-2)^2` is 4.
    terms = [data.draw(st.sampled_from(["{}", "-{}", "(-{})", "--{}"])).format(n) for n in numbers]
    text = terms[0] + "".join(f" {op} {t}" for op, t in zip(ops, terms[1:]))
    python = text.replace("^", "**")
    try:
        expected = eval(python)                        # noqa: S307 — digits and operators only
    except (OverflowError, ZeroDivisionError):
        return
    if not isinstance(expected, int) or not 1 <= expected <= 2**40:
        return
    assert _dense_out(text)[1] == expected, text
