"""Parse `.arch` text with the LALR grammar in grammars/archlang.lark.

A recursive-descent reader of the same grammar (descent.py) parses the texts it is sure of,
five times faster than Lark; Lark parses the rest and describes every syntax error.

`parse` never raises for bad input: it returns the AST or a Diagnostic. Before Lark runs,
one linear scan checks brackets, so an unclosed `(` is reported where it opens (Lark would
only notice at the end of the file) and absurd nesting is refused before any recursion.
"""
from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from ..diagnostics import Diagnostic
from ..limits import MAX_FILE_BYTES, MAX_NESTING
from ..source import Source
from . import ast, descent
from .build import Malformed

# Lark is imported where it is used: a spec that the fast path reads never imports it.


# The package's own folder (installed as a directory, never zipped): a plain path, since
# importlib.resources would cost `check` 5 ms of imports at every start.
PACKAGE = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def grammar_text() -> str:
    return (PACKAGE / "grammars" / "archlang.lark").read_text("utf-8")


# Every token is kept and no positions are propagated: the transformer takes spans from
# tokens, which halves the parse time of big specs.
LARK_OPTIONS = {"parser": "lalr", "keep_all_tokens": True, "maybe_placeholders": True}

# The LALR tables built from the grammar ship in the package, behind a line naming what they
# were built from: building them took longer than checking ResNet-152 (docs/performance.md).
# `make parser` rewrites them; tests/syntax/test_parser_tables.py says when they are stale.
TABLES = "lalr_tables.pickle"


def tables_key(grammar: str) -> bytes:
    """What the tables are built from: Lark's version, the options and the grammar text."""
    import hashlib

    import lark
    made_from = f"lark {lark.__version__}\n{sorted(LARK_OPTIONS.items())}\n{grammar}"
    return hashlib.sha256(made_from.encode("utf-8")).hexdigest().encode("ascii")


@lru_cache(maxsize=1)
def _shipped_tables() -> bytes | None:
    """The shipped tables (Lark's saved form) if they were built from this grammar."""
    try:
        with open(Path(__file__).with_name(TABLES), "rb") as f:
            if f.readline().rstrip(b"\n") == tables_key(grammar_text()):
                return f.read()
    except OSError:
        pass
    return None


def _lark(**options):
    """A Lark parser from the shipped tables when they match the grammar, else built from it."""
    import pickle                # with Lark: only a spec the fast reader declines needs them

    from lark import Lark
    tables = _shipped_tables()
    if tables is not None:
        try:
            # Lark.load with options, as Lark's own cache loads (Lark.load takes none).
            return Lark.__new__(Lark)._load(pickle.loads(tables), **options)
        except Exception:        # tables Lark cannot read only cost the time to build them
            pass
    return Lark(grammar_text(), **LARK_OPTIONS, **options)


@lru_cache(maxsize=1)
def lark_parser():
    """The parser that returns Lark's parse tree: for syntax errors and the tests."""
    return _lark()


@lru_cache(maxsize=1)
def _ast_parser():
    # The transformer runs as the parser reduces each rule, so no parse tree is built: a
    # fifth less time on big specs. Its methods are bound once; `source` is set per parse.
    from .transformer import ToAst
    to_ast = ToAst(None)
    return _lark(transformer=to_ast), to_ast


_one_source_at_a_time = threading.Lock()


def _definitions(source: Source) -> tuple:
    lark, to_ast = _ast_parser()
    with _one_source_at_a_time:
        to_ast.start_source(source)
        try:
            return lark.parse(source.text)
        finally:
            to_ast.start_source(None)


def write_tables(path: Path = Path(__file__).with_name(TABLES)) -> bool:
    """Write the tables built from the grammar where _lark looks, unless the file there
    was built from this grammar already (Lark's output differs run to run); True if written."""
    grammar = grammar_text()
    key = tables_key(grammar)
    if path.exists():
        with open(path, "rb") as f:
            if f.readline().rstrip(b"\n") == key:
                return False
    with open(path, "wb") as f:
        from lark import Lark
        f.write(key + b"\n")
        Lark(grammar, **LARK_OPTIONS).save(f)
    return True


def parse(source: Source) -> ast.Module | Diagnostic:
    """Parse one source into an AST Module, or return the syntax error as a Diagnostic."""
    problem = too_large(source)
    if problem is not None:
        return problem
    # The fast path reads the specs that parse (its brackets are balanced and at most
    # MAX_NESTING deep, or it declines); Lark parses whatever it declines, and describes
    # every syntax error.
    definitions = descent.definitions(source)
    if definitions is not None:
        return ast.Module(source, definitions)
    from lark.exceptions import UnexpectedInput
    from .syntax_errors import bracket_problem, describe_parse_error
    problem = bracket_problem(source, MAX_NESTING)
    if problem is not None:
        return problem
    try:
        definitions = _definitions(source)
    except UnexpectedInput:
        # Described from the tree parser: describing an error feeds it trial tokens, which
        # must not reach the AST's methods.
        try:
            lark_parser().parse(source.text)
        except UnexpectedInput as err:
            return describe_parse_error(source, err, lambda text: lark_parser().parse(text))
        raise
    except Malformed as err:      # raised by the transformer, which runs inside the parser
        return err.diagnostic
    return ast.Module(source, definitions)


def too_large(source: Source) -> Diagnostic | None:
    """A spec over MAX_FILE_BYTES (UTF-8) is refused before any work; positioned at the limit."""
    text = source.text
    if len(text) * 4 <= MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) <= MAX_FILE_BYTES:
        return None
    at = min(len(text), MAX_FILE_BYTES)
    return Diagnostic("E0019", f"the spec is larger than {MAX_FILE_BYTES:,} bytes", source.span(at, at + 1),
                      label="the limit is reached here",
                      help="split the network into files and `import` them")
