"""The integer functions of expressions (archlang/functions.py), evaluated while lowering.

Values are read back as a Dense layer's width, so each is a number a spec really computed;
expected values are worked by hand in the comments (torchvision's `_make_divisible` rule:
`max(min_value, int(v + d/2) // d * d)`, plus d when that is below 0.9·v).
"""
from __future__ import annotations

import pytest

from archlang import vocabulary
from archlang.functions import FUNCTIONS
from archlang.syntax.format import format_text
from conftest import errors_of, model_of


def width(expr: str, prelude: str = "") -> int:
    """The number `expr` evaluates to, as the width of a Dense layer."""
    m = model_of(f"{prelude}\nmodel m(x: 4) = Dense(_ => {expr})")
    (n,) = tuple(m.output_shape)
    return n


@pytest.mark.parametrize("expr, expected", [
    ("max(3, 7, 5)", 7), ("min(3, 7, 5)", 3), ("max(2.5, 2) * 2", 5),
    ("min(8, 16 // 3)", 5),
    ("ceil(2.1)", 3), ("ceil(4)", 4), ("ceil(-2.5) + 10", 8),          # -2 + 10
    ("floor(2.9)", 2), ("floor(-2.5) + 10", 7),                         # -3 + 10
    # Python's round: halves to the even neighbour, as torch.round.
    ("round(2.5)", 2), ("round(3.5)", 4), ("round(2.6)", 3), ("round(-2.5) + 10", 8),
    ("cdiv(7, 2)", 4), ("cdiv(8, 2)", 4), ("cdiv(1, 8)", 1), ("cdiv(-7, 2) + 10", 7),
    ("cdiv(7.0, 2)", 4),                                                # a whole float is whole
    # Exact on large integers, where ceil(a / b) rounds through a float first.
    ("cdiv(10^17 + 1, 10^17)", 2), ("ceil((10^17 + 1) / 10^17)", 1),
])
def test_values(expr, expected):
    assert width(expr) == expected


@pytest.mark.parametrize("expr, expected", [
    ("make_divisible(37.5, 8)", 40),      # int(41.5) = 41; 41 // 8 * 8 = 40 ≥ 33.75
    ("make_divisible(10, 8)", 16),        # int(14) // 8 * 8 = 8 < 0.9 · 10 = 9: + 8
    ("make_divisible(11.9, 8)", 16),      # int(15.9) = 15 → 8 < 10.71: + 8
    ("make_divisible(12, 8)", 16),        # int(16) // 8 * 8 = 16: halves round up
    ("make_divisible(3, 8)", 8),          # 0, raised to min_value = divisor = 8
    ("make_divisible(3, 8, 16)", 16),     # min_value given
    ("make_divisible(3, 8; min_value=16)", 16),
    ("make_divisible(100, 8)", 104),      # int(104) // 8 * 8 = 104
    ("make_divisible(32 * 1.1, 8)", 32),  # EfficientNet-B2's stem: int(39.2) = 39 → 32 ≥ 31.68
    ("make_divisible(320 * 1.1, 8)", 352),  # ... its last stage: int(356) = 356 → 352 ≥ 316.8
    ("make_divisible(72 // 4, 8)", 24),   # MobileNetV3's squeeze of 72: 16 < 16.2: + 8
    ("make_divisible(960 // 4, 8)", 240),
    ("make_divisible(17, 1)", 17),
])
def test_make_divisible_is_torchvisions_rule(expr, expected):
    assert width(expr) == expected


def test_functions_in_block_arguments_defaults_and_repeat_counts():
    prelude = """
block Stage(c, n, w=1.1, d=1.2) = repeat(ceil(n * d), Dense(_ => make_divisible(c * w, 8)))
block Wide(c, wide=max(c, 24)) = Dense(_ => wide)"""
    # ceil(3 · 1.2) = ceil(3.5999999999999996) = 4 layers of make_divisible(40 · 1.1 = 44) = 48
    m = model_of(prelude + "\nmodel m(x: 4) = Chain(Stage(40, 3), Wide(16))")
    dense = [i.layer for i in m.layers if i.layer.kind == "Dense"]
    assert [d.c_out for d in dense] == [48] * 4 + [24]


def test_functions_are_built_in_names():
    for name in FUNCTIONS:
        assert vocabulary.builtin(name) == f"the function `{name}`"
        assert vocabulary.shadowed(name) == f"the function `{name}`"
    assert vocabulary.builtin("MaxPool").startswith("the layer")


def error(text: str):
    (e,) = errors_of(text)
    return e.code, e.span.text, e.label, e.help


def dense(expr: str) -> str:
    return f"model m(x: 4) = Dense(_ => {expr})"


@pytest.mark.parametrize("expr, code, at, label", [
    ("max(3)", "E0102", "max(3)", "needs two or more"),
    ("ceil(1, 2)", "E0102", "2", "unexpected argument"),
    ("make_divisible(10)", "E0102", "make_divisible(10)", "missing `divisor`"),
    ("make_divisible(10, 8, 8; min_value=8)", "E0102", "min_value", "given again here"),
    ("make_divisible(10, 8; minimum=8)", "E0101", "minimum", "unknown keyword"),
    ("max(1, 2; b=3)", "E0101", "b", "unexpected keyword"),
    ("cdiv(7, 0)", "E0204", "0", "divides by zero"),
    ("cdiv(7, 2 - 2)", "E0204", "2 - 2", "divides by zero"),
    ("make_divisible(10, 0)", "E0204", "0", "divides by zero"),
    ("make_divisible(10, -8)", "E0202", "-8", "must be positive"),
    ("cdiv(37.5, 2)", "E0201", "37.5", "not a whole number"),
    ("make_divisible(10, 8.5)", "E0201", "8.5", "not a whole number"),
    ('ceil("a")', "E0103", '"a"', "not a number"),
    ("cdiv(4, false)", "E0103", "false", "not a number"),
    ("max(1, (2, 3))", "E0103", "(2, 3)", "not a number"),
    ("ceil(1e300)", "E0203", "ceil(1e300)", "more than 2⁶³"),
    ("max", "E0102", "max", "not called"),
    # A width of 37.5 computed by a function is a fractional size, with the rounding help.
    ("max(37.5, 8)", "E0201", "max(37.5, 8)", "not a whole number"),
])
def test_wrong_calls_are_positioned_diagnostics(expr, code, at, label):
    got = error(dense(expr))
    assert got[:3] == (code, at, label)


def test_help_shows_the_signature_and_did_you_mean():
    assert error(dense("ceil(1, 2)"))[3] == "write ceil(x)"
    assert error(dense("make_divisible(10)"))[3] == "write make_divisible(v, divisor, min_value=…)"
    assert error(dense("mx(3, 4)"))[:2] == ("E0100", "mx")
    assert error(dense("mx(3, 4)"))[3] == "did you mean `max`?"
    assert error(dense("make_divisble(30, 8)"))[3] == "did you mean `make_divisible`?"
    assert "round(x)" in error(dense("37.5"))[3]          # a fractional size suggests rounding


def test_an_error_inside_a_block_points_at_the_call_too():
    (e,) = errors_of("block B(c) = Dense(_ => cdiv(c, 2))\nmodel m(x: 4) = B(7.5)")
    assert (e.code, e.span.text) == ("E0201", "c")
    assert [label.message for label in e.labels] == ["in `B` called here"]


def test_names_that_are_functions():
    first = errors_of("block round(c) = Dense(_ => c)\nmodel m(x: 4) = Dense(_ => 2)")[0]
    assert (first.code, first.span.text) == ("E0107", "round")
    body = "model m(x: 4) = {\n  max = Dense(_ => 4)(x)\n  return max\n}"
    assert error(body)[:2] == ("E0108", "max")
    apply = "model m(x: 4) = {\n  h = Dense(_ => 4)(x)\n  return max(h, h)\n}"
    assert error(apply)[:3] == ("E0109", "max", "an integer function")
    # Keywords and parameters may still be called `ceil`: MaxPool's ceil mode.
    m = model_of("block P(ceil) = MaxPool((2, 2); ceil=ceil)\nmodel m(x: 5×5×1) = P(true)")
    assert tuple(m.output_shape) == (3, 3, 1)


def test_fmt_prints_calls_of_functions_as_written_and_keeps_their_values():
    text = ("block S(c, w=1.1, d=1.2) = Chain(repeat(ceil(2*d), Dense(_ => make_divisible(c*w, 8;"
            "min_value=16))), Dense(_ => cdiv(c, 3)+max(1, c//4, round(2.5))))\n"
            "model m(x: 4) = S(40)\n")
    formatted = format_text(text)
    assert "make_divisible(c * w, 8; min_value=16)" in formatted       # its `;` kept
    assert "Dense(_ => cdiv(c, 3) + max(1, c // 4, round(2.5)))" in formatted
    assert format_text(formatted) == formatted
    widths = [[i.layer.c_out for i in model_of(t).layers if i.layer.kind == "Dense"]
              for t in (text, formatted)]
    # ceil(2.4) = 3 layers of make_divisible(44, 8) = 48; cdiv(40, 3) + max(1, 10, 2) = 24
    assert widths[0] == widths[1] == [48, 48, 48, 24]
