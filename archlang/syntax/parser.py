"""Parse `.arch` text with the LALR grammar in grammars/archlang.lark.

`parse` never raises for bad input: it returns the AST or a Diagnostic. Before Lark runs,
one linear scan checks brackets, so an unclosed `(` is reported where it opens (Lark would
only notice at the end of the file) and absurd nesting is refused before any recursion.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources
from pathlib import Path

from lark import Lark
from lark.exceptions import UnexpectedInput, VisitError

from ..diagnostics import Diagnostic
from ..limits import MAX_FILE_BYTES, MAX_NESTING
from ..source import Source
from . import ast
from .syntax_errors import bracket_problem, describe_parse_error
from .transformer import Malformed, ToAst


@lru_cache(maxsize=1)
def grammar_text() -> str:
    return resources.files("archlang").joinpath("grammars/archlang.lark").read_text("utf-8")


# Every token is kept and no positions are propagated: the transformer takes spans from
# tokens, which halves the parse time of big specs.
LARK_OPTIONS = {"parser": "lalr", "keep_all_tokens": True, "maybe_placeholders": True}

# The LALR tables built from the grammar ship in the package, behind a line naming what they
# were built from: building them took longer than checking ResNet-152 (docs/performance.md).
# `make parser` rewrites them; tests/syntax/test_parser_tables.py says when they are stale.
TABLES = "lalr_tables.pickle"


def tables_key(grammar: str) -> bytes:
    """What the tables are built from: Lark's version, the options and the grammar text."""
    import lark
    made_from = f"lark {lark.__version__}\n{sorted(LARK_OPTIONS.items())}\n{grammar}"
    return hashlib.sha256(made_from.encode("utf-8")).hexdigest().encode("ascii")


@lru_cache(maxsize=1)
def lark_parser() -> Lark:
    """The parser: the shipped tables when they match the grammar, else built from it."""
    grammar = grammar_text()
    try:
        with resources.files(__package__).joinpath(TABLES).open("rb") as f:
            if f.readline().rstrip(b"\n") == tables_key(grammar):
                return Lark.load(f)
    except Exception:          # absent or unreadable tables only cost the time to build them
        pass
    return Lark(grammar, **LARK_OPTIONS)


def write_tables(path: Path = Path(__file__).with_name(TABLES)) -> bool:
    """Write the tables built from the grammar where lark_parser looks, unless the file there
    was built from this grammar already (Lark's output differs run to run); True if written."""
    grammar = grammar_text()
    key = tables_key(grammar)
    if path.exists():
        with open(path, "rb") as f:
            if f.readline().rstrip(b"\n") == key:
                return False
    with open(path, "wb") as f:
        f.write(key + b"\n")
        Lark(grammar, **LARK_OPTIONS).save(f)
    return True


def parse(source: Source) -> ast.Module | Diagnostic:
    """Parse one source into an AST Module, or return the syntax error as a Diagnostic."""
    problem = too_large(source) or bracket_problem(source, MAX_NESTING)
    if problem is not None:
        return problem
    try:
        tree = lark_parser().parse(source.text)
    except UnexpectedInput as err:
        return describe_parse_error(source, err, lambda text: lark_parser().parse(text))
    try:
        return ast.Module(source, ToAst(source).transform(tree))
    except VisitError as err:
        if isinstance(err.orig_exc, Malformed):
            return err.orig_exc.diagnostic
        raise


def too_large(source: Source) -> Diagnostic | None:
    """A spec over MAX_FILE_BYTES (UTF-8) is refused before any work; positioned at the limit."""
    text = source.text
    if len(text) * 4 <= MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) <= MAX_FILE_BYTES:
        return None
    at = min(len(text), MAX_FILE_BYTES)
    return Diagnostic("E0019", f"the spec is larger than {MAX_FILE_BYTES:,} bytes", source.span(at, at + 1),
                      label="the limit is reached here",
                      help="split the network into files and `import` them")
