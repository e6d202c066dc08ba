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


# Definitions that end where they end (after `relu`, a `Chain(` would continue the body).
@pytest.mark.parametrize("before", ['import "std/resnet.arch"\n', "train t { epochs = 1 }\n",
                                    'import "a.arch"\nmodel first(x: 1) = { return x }\n'])
@pytest.mark.parametrize("label, examples", sorted((label, examples) for label, examples in EXAMPLES.items()
                                                   if label != "definition_expected"))
def test_a_mistake_is_named_in_any_definition_of_a_file(label, examples, before):
    # Lark matches examples by parser state, which counts the definitions before: each
    # example was once recognised only in the first definition (E0002 elsewhere). Text that
    # is no definition, between two (definition_expected), is met in the state of the
    # definition before it: its examples stay for the first.
    code = MISTAKES[label][0]
    for text in examples:
        d = err(before + text)
        assert d.code == code, (before + text, str(d))
        assert d.span.start >= len(before)


@pytest.mark.parametrize("inner, code", [
    ("Dense(1, 1) relu", "E0003"),           # missing comma
    ("Conv((3, 3), 1 = 8)", "E0004"),        # `=` for `=>`
    ("Dense(1,, 2)", "E0010"),               # empty argument
    ("Dense(1 * )", "E0011"),                # missing operand
    ("Chain(1: relu 2: 3: relu)", "E0012"),  # a numbered line without a layer
])
def test_a_mistake_is_named_however_deep_it_is(inner, code):
    # The examples are written one call deep; the same mistake three calls deeper once got
    # the generic E0002.
    for text in (f"model m(x: 1) = Chain({inner})", f"model m(x: 1) = Chain(relu, SkipConnection(Chain({inner}), +))"):
        assert err(text).code == code, text


def test_the_help_names_the_definition_the_mistake_is_in():
    d = err("model first(x: 1) = relu\nmodel second(x) = relu")
    assert d.code == "E0006" and "model second(x: 28×28×1)" in d.help


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


# ---- every look-up of an error's context is linear (issue 25: 20 KB took 8 s) ------------
class _Spy:
    """Wraps a compiled expression and records the stretch of text each search reads."""

    def __init__(self, pattern):
        self.pattern, self.reads = pattern, []

    def search(self, text, pos=0, endpos=None):
        endpos = len(text) if endpos is None else endpos
        self.reads.append(endpos - pos)
        return self.pattern.search(text, pos, endpos)


@pytest.mark.parametrize("word", [10, 1_000, 100_000, 1_000_000])
def test_the_callee_of_an_unclosed_bracket_is_looked_for_in_a_bounded_window(word, monkeypatch):
    from archlang.syntax import syntax_errors
    spy = _Spy(syntax_errors._CALLEE)
    monkeypatch.setattr(syntax_errors, "_CALLEE", spy)
    text = "model m(x: 1) = Chain(" + "a" * word + " Dense (relu"
    problem = syntax_errors.bracket_problem(Source("t.arch", text), 100)
    assert (problem.code, problem.message) == ("E0005", "unclosed `Dense(`")
    assert spy.reads and max(spy.reads) <= syntax_errors.CALLEE_LOOK_BACK, spy.reads


@pytest.mark.parametrize("text, callee", [
    ("model m(x: 1) = Chain(Dense(3, 3)", "Chain"),
    ("model m(x: 1) = Chain(relu, 9Dense  \n (3", "Dense"),       # as `[^\W\d]\w*` reads it
    ("model m(x: 1) = Chain(relu, 42 (3", None),
    ("model m(x: 1) = Chain(relu, (3", None),
    ("model m(x: 1) = Chain(relu, " + "a" * 2_000 + "(3", None),  # longer than any name
])
def test_the_callee_named_in_an_unclosed_bracket(text, callee):
    problem = parse(Source("t.arch", text))
    assert problem.code == "E0005"
    assert problem.message == (f"unclosed `{callee}(`" if callee else "unclosed `(`")


def test_a_megabyte_of_digits_before_a_numbered_line_without_layer():
    # The label look-up searched `(\d+)\s*:` over the text: every digit of a long number
    # restarted it (20,000 digits: 11 s). A quadratic search would not end on this input.
    text = "# " + "7" * 1_000_000 + "\nmodel m(x: 1) = Chain(1: relu 2: 3: relu)"
    problem = parse(Source("t.arch", text))
    assert (problem.code, problem.message) == ("E0012", "the numbered line `2:` has no layer")


def test_every_terminal_of_the_grammar_has_words_in_diagnostics():
    from archlang.syntax import lexicon, syntax_errors
    terminals = {k for k in lexicon.KINDS if k and k != lexicon.OTHER} | set(lexicon.STRINGS)
    assert terminals <= set(syntax_errors._TOKEN_WORDS)
    assert syntax_errors._TOKEN_WORDS["RPAR"] == "`)`" and syntax_errors._TOKEN_WORDS["$END"] == "end of file"
