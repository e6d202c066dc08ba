"""The fast reader (archlang/syntax/descent.py) against Lark's parser, the reference.

The property: where the reader accepts a text, Lark accepts it too and the transformer builds
the same AST, spans included; on the project's own specs the reader accepts every text that
parses (so the fast path is the path taken). Checked on every `.arch` file of the project, on
texts generated from grammars/archlang.lark (hypothesis' from_lark), on the shortest text of
every rule and alternative of the grammar (the reader must accept each: a new form of the
grammar without a path in the reader fails), and on mutations of the project's specs (tokens
deleted, duplicated, swapped and replaced).
"""
from __future__ import annotations

import random
from dataclasses import fields, is_dataclass
from functools import lru_cache

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.extra.lark import from_lark

from archlang.limits import MAX_NESTING
from archlang.source import Source, Span
from archlang.syntax import ast, descent, parser
from conftest import ROOT

FILES = sorted({p for folder in ("specs", "archlang/std", "examples", "tests/fixtures")
                for p in (ROOT / folder).rglob("*.arch")})


def key(node) -> list:
    """The whole AST flattened, spans as (start, end): equal keys, equal trees."""
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (list, tuple)):
            out.append(("seq", len(n)))
            stack.extend(reversed(n))
        elif isinstance(n, Span):
            out.append(("span", n.start, n.end))
        elif is_dataclass(n) and isinstance(n, ast.Node):
            out.append(type(n).__name__)
            stack.extend(reversed([getattr(n, f.name) for f in fields(n)]))
        else:
            out.append((type(n).__name__, n))
    return out


def by_lark(source: Source):
    """What parser.parse gives without the fast path: Lark's definitions or a Diagnostic."""
    from lark.exceptions import UnexpectedInput

    from archlang.syntax.build import Malformed
    from archlang.syntax.syntax_errors import bracket_problem
    problem = parser.too_large(source) or bracket_problem(source, MAX_NESTING)
    if problem is not None:
        return problem
    try:
        return parser._definitions(source)
    except (UnexpectedInput, Malformed) as err:
        return err


def agree(text: str) -> bool | None:
    """Assert the property on one text; whether the reader accepted it (None: neither did)."""
    source = Source("t.arch", text)
    fast = descent.definitions(source)
    reference = by_lark(source)
    if fast is None:
        return None if not isinstance(reference, tuple) else False
    assert isinstance(reference, tuple), f"the reader accepts what Lark refuses: {text!r}\n{reference}"
    assert key(fast) == key(reference), f"the reader's AST differs from Lark's for {text!r}"
    return True


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_spec_of_the_project_is_read_as_lark_reads_it(path):
    text = path.read_text("utf-8", errors="replace")
    accepted = agree(text)
    assert accepted is not False, f"the reader declines {path.name}, which parses"


def test_the_project_specs_take_the_fast_path():
    accepted = [p for p in FILES if agree(p.read_text("utf-8", errors="replace"))]
    assert len(accepted) >= 200          # 249 of the 278 files; the rest are syntax errors


@lru_cache(maxsize=1)
def grammar_strategy():
    from lark import Lark
    lark = Lark(parser.grammar_text(), **parser.LARK_OPTIONS)
    # Terminals padded with spaces, so that generated words do not run together.
    names = ["x", "h", "c", "_", "Dense", "Conv", "relu", "Chain", "SkipConnection", "model",
             "return", "train", "epochs", "µ", "x28x1", "ReLU"]
    return from_lark(lark, explicit={
        "NAME": st.sampled_from(names).map(lambda n: f" {n} "),
        "NUMBER": st.sampled_from(["3", "0", "1.5", "2e3", "1_000", ".5", "7.", "1" * 41]).map(lambda n: f" {n} "),
        "ASCII_SHAPE": st.sampled_from(["28x28x1", "3x3", "1_0x2"]).map(lambda n: f" {n} "),
        "STRING": st.sampled_from(['"a.arch"', '"a\\nb"', '"\\q"', '""']).map(lambda n: f" {n} "),
        # What the grammar ignores, drawn from small alphabets: hypothesis drawing them from
        # the terminals' Unicode expressions took nine tenths of the test's time.
        **{name: IGNORED[lark.get_terminal(name).pattern.value] for name in lark.ignore_tokens},
    })


# Keyed by the ignored terminals' patterns as Lark holds them (a new one is a KeyError here):
# every white-space character of Python's `\s`, and comments ended by a line break or not
# (then the comment runs on over what follows).
_SPACES = "".join(c for c in map(chr, range(0x3100)) if c.isspace())
IGNORED = {
    r"\s+": st.text(st.sampled_from(_SPACES), min_size=1, max_size=3),
    "#[^\n]*": st.builds(lambda body, end: f"#{body}{end}", st.sampled_from(["", " a", "#(", ' "']),
                           st.sampled_from(["\n", "\r\n", ""])),
}


# 400 texts cost a third of the fast suite's CPU (145 s on a loaded machine; 92 s with the ignored
# terminals drawn from small alphabets, the rest is hypothesis' own drawing): the slow suite
# runs them; the fast suite a few, so that a broken property still fails there.
@pytest.mark.slow
@settings(max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_texts_generated_from_the_grammar(data):
    agree(data.draw(grammar_strategy()))


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_a_few_texts_generated_from_the_grammar(data):
    agree(data.draw(grammar_strategy()))


def _mutants(text: str, rng: random.Random, n: int):
    lexed = descent.tokens(text)
    if lexed is None:
        return
    _, texts, starts, ends = lexed
    spots = list(range(len(texts) - 1))
    if not spots:
        return
    pool = ["(", ")", ",", ";", "=", "=>", "-", "^", "×", "*", "+", "{", "}", ":", "return", "model",
            "x", "_", "3", "2.5", '"s"', "Chain(", "Dense(3)", "(1,)", "()"]
    for _ in range(n):
        i = rng.choice(spots)
        what = rng.randrange(4)
        if what == 0:                                    # delete a token
            yield text[:starts[i]] + text[ends[i]:]
        elif what == 1:                                  # duplicate one
            yield text[:ends[i]] + " " + texts[i] + text[ends[i]:]
        elif what == 2:                                  # replace one
            yield text[:starts[i]] + rng.choice(pool) + text[ends[i]:]
        else:                                            # swap two neighbours
            j = min(i + 1, len(texts) - 2)
            yield text[:starts[i]] + texts[j] + text[ends[i]:starts[j]] + texts[i] + text[ends[j]:]


def test_mutated_specs():
    rng = random.Random(16)
    seeds = [p for p in FILES if p.stat().st_size < 20_000]
    counts = {True: 0, False: 0, None: 0}
    for path in rng.sample(seeds, 60):
        for text in _mutants(path.read_text("utf-8", errors="replace"), rng, 25):
            counts[agree(text)] += 1
    # Most mutants are syntax errors; many still parse, and the reader takes nearly all of them.
    assert counts[True] > 150, counts
    assert counts[False] < counts[True] / 10, counts


# ---- the cases where the two could part ------------------------------------------------
@pytest.mark.parametrize("text", [
    "model m(x: 3) = Dense(-2^2 => 3)",                  # -(2^2)
    "model m(x: 3) = Dense((-2)^2 => 3)",                # a bracketed base keeps its sign
    "model m(x: 3) = Dense(2^3^2 - 1 * 4 // 2 => 3)",
    "model m(x: 2×3 × (4×5)) = relu",
    "model m(x: 28x28x1) = Chain(Conv((5, 5), 1 => 8, relu; pad=2), ;)"[:-4] + ")",
    "model m(x: (3)) = Chain(1: relu 2: Dense(3, 4); 3: relu,)",
    "model m(x: 3) = { h = (x) g = relu(h), return h, g, }",
    "model m(x: 3, y: 4,) = { return (x) }",
    "model m(x: 3) = { h = Dense(_ => 3)(x; ) return h; }",
    "block B(c, k = (3, 3), s=(1,),) = Conv(k, c => c; stride=s)\nmodel m(x: 9×9×2) = B(2)",
    "model m(x: 3) = SkipConnection(relu, +)\ntrain m { epochs = 3; data = \"a\\tb\", lr = 1e-3 }",
    'import "std/resnet.arch"\nmodel m(x: 3) = relu  # a comment\n# another',
    "model m(x: 3) = Dense(3 => 3; bias=false, init=glorot_uniform)",
    "model m(x: 3) = ((), (1,), ((1)), (1, 2), (1, 2,))",
    "model m(x: ٣x٤) = Dense(٣ => 4)",                   # Unicode digits, as Python's \\d
    'import "#not a comment"  # a comment, no line break at the end',
    "# only comments\n\n# and space\n  ",
    "",
    "model µ(ẋ: 3) = Chain(relu,)\u2003\x1c",           # Unicode names and white space
])
def test_tricky_texts_are_read_as_lark_reads_them(text):
    assert agree(text) is True


@pytest.mark.parametrize("text, why", [
    ("block model(c) = relu\nmodel m(x: 3) = model(3)", "a keyword as a name"),
    ("model m(x: 3) = relu\ntrain m { return = 3 }", "a keyword as a setting"),
    ("model m(x: 3) = Dense(3 => " + "1" * 41 + ")", "a number too long for the language"),
    ('import "\\q.arch"', "a bad escape"),
    ("model m(x: 3) = " + "Chain(" * (MAX_NESTING + 1) + "relu" + ")" * (MAX_NESTING + 1), "too deep"),
    ("model m(x: 3) = Dense(3 => 3) $", "a character no token starts with"),
])
def test_the_reader_declines_what_lark_decides(text, why):
    assert descent.definitions(Source("t.arch", text)) is None, why
    agree(text)


def test_nesting_at_the_limit_is_read():
    depth = MAX_NESTING - 1                   # the model's `(` is one level
    text = "model m(x: 3) = " + "Chain(" * depth + "relu" + ")" * depth
    assert agree(text) is True


def test_a_failed_fast_path_still_parses_through_lark():
    result = parser.parse(Source("t.arch", "block model(c) = relu\nmodel m(x: 3) = model(3)"))
    assert isinstance(result, ast.Module)
    assert [d.name for d in result.definitions] == ["model", "m"]
    error = parser.parse(Source("t.arch", "model m(x: 3) = Chain(relu relu)"))
    assert (error.code, error.span.start) == ("E0003", 27)      # described by Lark's path


# ---- every rule of the grammar has a path in the reader ---------------------------------
# For each rule and alternative of the grammar as Lark compiles it (EBNF's `[x]`, `x?`, `x*`
# expanded into plain alternatives), the shortest text whose parse uses it: the shortest way
# from `start` to the rule's left side, the rule, and the shortest text of each symbol. The
# reader must accept every one and build Lark's tree: a new form of the grammar that the
# reader misses fails here instead of going to Lark unnoticed.

# A text for each pattern terminal (string terminals are their own text). A new pattern
# terminal is a KeyError: give it an example here and a path in descent.py.
TERMINAL_TEXT = {"NAME": "x", "NUMBER": "1", "ASCII_SHAPE": "2x2", "STRING": '"a"'}


def _reference_lark(grammar: str | None = None):
    from lark import Lark
    return Lark(grammar or parser.grammar_text(), **parser.LARK_OPTIONS)


def rule_examples(grammar: str | None = None) -> dict[str, str]:
    """The rule (`origin -> symbols`) → the shortest text whose parse uses it."""
    lark = _reference_lark(grammar)
    rules = lark.rules
    text_of = {t.name: t.pattern.value if t.pattern.type == "str" else TERMINAL_TEXT[t.name]
               for t in lark.terminals if t.name not in lark.ignore_tokens}
    inf = float("inf")

    # The shortest text of each nonterminal: (tokens, steps) so that no rule derives itself.
    cost: dict[str, tuple] = {}
    best: dict[str, object] = {}

    def symbol_cost(s):
        return (1, 0) if s.is_term else cost.get(s.name, (inf, inf))

    def seq_cost(symbols):
        return tuple(map(sum, zip((0, 1), *(symbol_cost(s) for s in symbols))))

    changed = True
    while changed:
        changed = False
        for r in rules:
            c = seq_cost(r.expansion)
            if c < cost.get(r.origin.name, (inf, inf)):
                cost[r.origin.name], best[r.origin.name], changed = c, r, True

    def expand(symbols) -> list[str]:
        out = []
        for s in symbols:
            out += [text_of[s.name]] if s.is_term else expand(best[s.name].expansion)
        return out

    # The shortest sentence around each nonterminal: (left symbols, right symbols).
    around = {"start": ((0, 0), [], [])}
    changed = True
    while changed:
        changed = False
        for r in rules:
            if r.origin.name not in around:
                continue
            c0, left, right = around[r.origin.name]
            for i, s in enumerate(r.expansion):
                if s.is_term:
                    continue
                new_left, new_right = left + r.expansion[:i], r.expansion[i + 1:] + right
                c = seq_cost(new_left + new_right)
                if s.name not in around or c < around[s.name][0]:
                    around[s.name], changed = (c, new_left, new_right), True

    examples = {}
    for r in rules:
        _, left, right = around[r.origin.name]
        rule = f"{r.origin.name} -> {' '.join(s.name for s in r.expansion) or '(nothing)'}"
        examples[rule] = " ".join(expand(left) + expand(r.expansion) + expand(right))
    return examples


def test_every_rule_of_the_grammar_has_a_path_in_the_reader():
    missed = []
    for rule, text in rule_examples().items():
        try:
            accepted = agree(text)
        except AssertionError as err:           # accepted, with another tree than Lark's
            accepted = str(err).splitlines()[0]
        if accepted is not True:
            missed.append(f"{rule}: {text!r} ({accepted or 'declined'})")
    assert not missed, "descent.py has no path for these rules (shortest texts):\n" + "\n".join(missed)


def test_the_rule_examples_cover_the_grammar():
    # One example for every rule of Lark's parser, each parsed by Lark.
    lark = _reference_lark()
    examples = rule_examples()
    assert len(examples) == len(lark.rules) >= 80
    for text in examples.values():
        lark.parse(text)


def test_a_new_form_in_the_grammar_is_a_rule_the_reader_has_no_path_for():
    # The test above would fail for it: its example is a text the reader declines.
    grammar = parser.grammar_text()
    assert "     | tuple\n" in grammar
    examples = rule_examples(grammar.replace("     | tuple\n", '     | tuple\n     | "[" expr "]" -> list\n'))
    new = [text for rule, text in examples.items() if rule == "atom -> LSQB expr RSQB"]
    assert new == ["param x = [ 1 ]"]
    assert descent.definitions(Source("t.arch", new[0])) is None


def test_the_reader_knows_every_pattern_terminal_of_the_lexicon():
    from archlang.syntax import lexicon
    patterns = {k for k in lexicon.KINDS if k and not k.startswith("$")}
    assert patterns == {descent.NAME, descent.NUMBER, descent.SHAPE, descent.STRING} == set(TERMINAL_TEXT)
