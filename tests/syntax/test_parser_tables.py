"""The LALR tables shipped in the package are the ones grammars/archlang.lark builds.

When the grammar changes, `archlang` still works (it builds the tables at every start, slowly)
but these tests fail until someone runs `make parser` and commits the file.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from lark import Lark, Token

from archlang.syntax import parser
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


def test_the_parser_in_use_is_the_shipped_one():
    # Lark marks a parser loaded from tables; one built from the grammar names no source.
    parser.lark_parser.cache_clear()
    assert parser.lark_parser().source_path == "<deserialized>", REGENERATE


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
