"""The LALR tables and the fast reader's tokens shipped in the package are the ones
grammars/archlang.lark builds.

When the grammar changes, `archlang` still works (it builds the tables at every start, slowly)
but these tests fail until someone runs `make parser` and commits the files: the tables, and
archlang/syntax/lexicon.py (descent.py's token expression and keywords).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from lark import Lark, Token

from archlang.source import Source
from archlang.syntax import lexicon, make_lexicon, parser
from archlang.syntax.transformer import ToAst
from conftest import FIXTURES, ROOT

TABLES = Path(parser.__file__).with_name(parser.TABLES)
REGENERATE = (f"the shipped parser tables {TABLES.relative_to(ROOT)} were not built from "
              f"grammars/archlang.lark with lark's installed version: run `make parser` and "
              f"commit the file")
SPECS = sorted(p for folder in ("specs", "archlang/std", "examples") for p in (ROOT / folder).rglob("*.arch"))
BAD_SPECS = sorted((FIXTURES / "diagnostics").rglob("*.arch"))


def shipped() -> Lark:
    with open(TABLES, "rb") as f:
        assert f.readline().rstrip(b"\n") == parser.tables_key(parser.grammar_text()), REGENERATE
        return Lark.load(f)


@pytest.fixture(scope="module")
def built() -> Lark:
    return Lark(parser.grammar_text(), **parser.LARK_OPTIONS)


def test_the_shipped_tables_were_built_from_the_grammar():
    assert TABLES.is_file(), REGENERATE
    shipped()


def test_the_parsers_in_use_are_the_shipped_ones():
    # Lark marks a parser loaded from tables; one built from the grammar names no source.
    parser.lark_parser.cache_clear()
    assert parser.lark_parser().source_path == "<deserialized>", REGENERATE
    assert parser._ast_parser()[0].source_path == "<deserialized>", REGENERATE


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_ast_built_while_parsing_is_the_ast_of_the_tree(spec):
    source = Source(str(spec), spec.read_text("utf-8"))
    expected = ToAst(source).transform(parser.lark_parser().parse(source.text))
    assert repr(parser._definitions(source)) == repr(expected)


def _outcome(lark: Lark, text: str):
    try:
        tree = lark.parse(text)
    except Exception as err:      # the same error at the same place, for the bad specs
        return type(err).__name__, getattr(err, "pos_in_stream", None)
    return tree, [(t.type, t.start_pos, t.end_pos) for t in tree.scan_values(lambda v: isinstance(v, Token))]


@pytest.mark.parametrize("spec", SPECS + BAD_SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_and_built_tables_parse_alike(spec, built):
    text = spec.read_text("utf-8")
    assert _outcome(shipped(), text) == _outcome(built, text), REGENERATE


def test_there_are_specs_to_compare():
    assert len(SPECS) >= 15 and len(BAD_SPECS) >= 10


def test_write_tables_rewrites_only_stale_tables(tmp_path):
    path = tmp_path / "tables.pickle"
    assert parser.write_tables(path) is True
    first = path.read_bytes()
    assert parser.write_tables(path) is False and path.read_bytes() == first
    path.write_bytes(b"0" * 64 + b"\n")
    assert parser.write_tables(path) is True and path.read_bytes() != b"0" * 64 + b"\n"


# ---- the fast reader's tokens (archlang/syntax/lexicon.py) --------------------------------
STALE_LEXICON = ("archlang/syntax/lexicon.py was not generated from grammars/archlang.lark as it is: "
                 "run `make parser` and commit the file")


def test_the_shipped_lexicon_was_generated_from_the_grammar():
    assert Path(lexicon.__file__).read_text("utf-8") == make_lexicon.lexicon_text(), STALE_LEXICON


def test_a_grammar_change_makes_the_lexicon_stale():
    # A new terminal, a new keyword and a changed NAME each change the generated text.
    grammar = parser.grammar_text()
    changed = [grammar.replace('_sep: "," | ";"', '_sep: "," | ";" | "|"'),
               grammar.replace('"return" expr', '"yield" expr'),
               grammar.replace(r"NAME: /[^\W\d]\w*/", r"NAME: /[^\W\d][\w']*/")]
    texts = {make_lexicon.lexicon_text(g) for g in changed}
    assert len(texts) == 3 and make_lexicon.lexicon_text() not in texts
    assert r"\|" in make_lexicon.lexicon_text(changed[0])
    assert "'yield'" in make_lexicon.lexicon_text(changed[1])


def test_the_lexicon_lexes_as_larks_lexer(built):
    # Lark's own lexer (all terminals, as the reader lexes) against the generated expression,
    # on every spec of the project: the same token types, texts and offsets.
    from archlang.syntax import descent
    lexer = Lark(parser.grammar_text(), **{**parser.LARK_OPTIONS, "lexer": "basic"})
    keywords = {t.pattern.value: t.name for t in built.terminals if t.pattern.value in lexicon.KEYWORDS}
    punctuation = {t.pattern.value: t.name for t in built.terminals if t.pattern.type == "str"}
    for spec in SPECS:
        text = spec.read_text("utf-8")
        kinds, texts, starts, ends = descent.tokens(text)
        ours = [(keywords.get(tok) if kind == "NAME" and tok in keywords else punctuation.get(kind, kind),
                 tok, s, e) for kind, tok, s, e in zip(kinds[:-1], texts, starts, ends)]
        larks = [(t.type, str(t), t.start_pos, t.end_pos) for t in lexer.lex(text)]
        assert ours == larks, spec


@pytest.mark.parametrize("old, new", [
    ('_sep: "," | ";"', '_sep: "," | ";" | "#!"'),                  # a string COMMENT matches
    ("join_op: PLUS", "join_op: HASH | PLUS\nHASH: /#[0-9]+/\n"),     # a terminal COMMENT can start
])
def test_a_token_that_an_ignored_terminal_can_start_is_refused(old, new):
    # descent.py skips comments before each token: a token starting with `#` would be eaten.
    grammar = parser.grammar_text()
    assert old in grammar
    with pytest.raises(make_lexicon.Unprovable, match="COMMENT"):
        make_lexicon.lexicon_text(grammar.replace(old, new, 1))


def test_write_lexicon_rewrites_only_a_stale_file(tmp_path):
    path = tmp_path / "lexicon.py"
    assert make_lexicon.write_lexicon(path) is True
    assert make_lexicon.write_lexicon(path) is False
    path.write_text("# stale\n")
    assert make_lexicon.write_lexicon(path) is True and path.read_text() == make_lexicon.lexicon_text()


def test_the_other_keyword_lists_are_the_grammars():
    # Completion snippets (the language server) and the playground's highlighting keep their
    # own lists, in other forms: they must name the grammar's keywords.
    import re

    from archlang.lsp.features import KEYWORDS as SNIPPETS
    assert set(SNIPPETS) == set(lexicon.DEFINITION_KEYWORDS)
    assert set(lexicon.DEFINITION_KEYWORDS) < lexicon.KEYWORDS
    highlighting = (ROOT / "web/src/language.js").read_text("utf-8")
    words = re.search(r"match\(/\(\?:([\w|]+)\)\(\?!\[\\w\]\)/\)\) return \"keyword\"", highlighting)
    assert words and set(words.group(1).split("|")) == lexicon.KEYWORDS
