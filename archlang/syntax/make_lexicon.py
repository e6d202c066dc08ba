"""Write archlang/syntax/lexicon.py, the grammar's tokens for descent.py, from the terminals
Lark compiles out of grammars/archlang.lark (`make parser`).

descent.py must lex exactly as Lark's lexer does, and must not import Lark (a spec that
parses never does). So the facts are taken from Lark here, once, and written as plain
Python: one regular expression trying the terminals in Lark's order, what each of its
groups holds, and the keywords. tests/syntax/test_parser_tables.py fails when the file
written is not what the grammar makes now.

How Lark lexes (lark/lexer.py, 1.x): at each position it tries every terminal, in the order
(priority, longest possible match, longest pattern, name) and takes the first that matches;
a string terminal that a pattern terminal of the same priority matches whole (`model`, by
NAME) is no terminal of its own but a keyword of that pattern, told apart after the match.
The reader skips the ignored terminals (space, comments) before each token in one atomic
group: the same tokens only if no token can start where an ignored terminal starts, which
`lexicon_text` proves from the terminals' first characters (else it refuses to write).
"""
from __future__ import annotations

import re
import re._compiler as sre_compile     # private, as in Lark (lark/utils.py): the regex parse tree
import re._parser as sre_parse
import sys
from functools import lru_cache
from pathlib import Path

from lark import Lark

from . import parser

LEXICON = Path(__file__).with_name("lexicon.py")

# Every character a text can hold, to turn a set of first characters into a Python set.
_EVERY_CHARACTER = "".join(map(chr, range(sys.maxunicode + 1)))
_ONE_CHARACTER = (sre_parse.LITERAL, sre_parse.NOT_LITERAL, sre_parse.IN, sre_parse.ANY)
_ZERO_WIDTH = (sre_parse.AT, sre_parse.ASSERT, sre_parse.ASSERT_NOT)
_REPEATS = (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, sre_parse.POSSESSIVE_REPEAT)


# The kinds of what is not a token: Lark's name for the end of the input, and a character
# that starts no token.
END, OTHER = "$END", "$OTHER"


class Unprovable(Exception):
    """descent.py's way of skipping ignored text cannot be shown to agree with Lark's."""


def _first_nodes(items) -> tuple[list, bool]:
    """The one-character nodes that can match first in a sequence of regex nodes, and
    whether the sequence can match the empty string. A node not understood here counts as
    any character (a superset: it can only make a proof fail, never pass wrongly)."""
    first = []
    for op, av in items:
        if op in _ONE_CHARACTER:
            first.append((op, av))
            return first, False
        if op in _ZERO_WIDTH:
            continue
        if op in _REPEATS:
            low, _high, sub = av
            nodes, empty = _first_nodes(sub)
            first += nodes
            if low > 0 and not empty:
                return first, False
            continue
        if op is sre_parse.SUBPATTERN and not (av[1] or av[2]):     # a group, no flags
            nodes, empty = _first_nodes(av[3])
        elif op is sre_parse.ATOMIC_GROUP:
            nodes, empty = _first_nodes(av)
        elif op is sre_parse.BRANCH:
            nodes, empty = [], False
            for branch in av[1]:
                n, e = _first_nodes(branch)
                nodes += n
                empty = empty or e
        else:
            return first + [(sre_parse.ANY, None)], False
        first += nodes
        if not empty:
            return first, False
    return first, True


@lru_cache(maxsize=None)
def first_characters(regexp: str) -> frozenset[str]:
    """Every character a match of `regexp` can start with."""
    nodes, _ = _first_nodes(sre_parse.parse(regexp))
    out: set[str] = set()
    for node in nodes:
        if node[0] is sre_parse.ANY:
            return frozenset(_EVERY_CHARACTER)
        one = sre_compile.compile(sre_parse.SubPattern(sre_parse.State(), [node]), 0)
        out.update(one.findall(_EVERY_CHARACTER))
    return frozenset(out)


def _keywords(terminals) -> dict:
    """String terminals that a pattern terminal matches whole → that pattern terminal
    (Lark's `_create_unless`): keywords, no terminals of their own in the lexer."""
    out = {}
    for pattern in terminals:
        if pattern.pattern.type != "re":
            continue
        for string in terminals:
            s = string.pattern.value
            if string.pattern.type == "str" and string.priority == pattern.priority:
                m = re.match(pattern.pattern.to_regexp(), s)
                if m and m.group(0) == s and string.pattern.flags <= pattern.pattern.flags:
                    out[string] = pattern
    return out


def _first_terminals(rules, start: str) -> set[str]:
    """The terminals a text of rule `start` can begin with (the classic FIRST set)."""
    first: dict[str, set[str]] = {}
    empty: set[str] = set()
    changed = True
    while changed:
        changed = False
        for r in rules:
            into = first.setdefault(r.origin.name, set())
            before = (len(into), r.origin.name in empty)
            for symbol in r.expansion:
                if symbol.is_term:
                    into.add(symbol.name)
                    break
                into |= first.get(symbol.name, set())
                if symbol.name not in empty:
                    break
            else:
                empty.add(r.origin.name)
            changed = changed or (len(into), r.origin.name in empty) != before
    return first.get(start, set())


def lexicon_text(grammar: str | None = None) -> str:
    """The text of lexicon.py for `grammar` (the shipped grammar by default)."""
    grammar = parser.grammar_text() if grammar is None else grammar
    lark = Lark(grammar, **parser.LARK_OPTIONS)
    conf = lark.lexer_conf
    keywords = _keywords(conf.terminals)
    terminals = sorted((t for t in conf.terminals if t not in keywords),
                       key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name))
    starts = _first_terminals(lark.rules, "start")
    strings = [t for t in conf.terminals if t.pattern.type == "str"]
    ignored = [t for t in terminals if t.name in conf.ignore]
    tokens = [t for t in terminals if t.name not in conf.ignore]
    for word, pattern in keywords.items():
        if pattern.name in conf.ignore:
            raise Unprovable(f"the ignored terminal {pattern.name} matches the string terminal "
                             f"{word.pattern.value!r}: descent.py would skip it")
    for skip in ignored:
        for token in tokens:
            common = first_characters(skip.pattern.to_regexp()) & first_characters(token.pattern.to_regexp())
            if common:
                raise Unprovable(f"the ignored terminal {skip.name} and the terminal {token.name} can both "
                                 f"start with {sorted(common)[:5]}: descent.py skips ignored text before "
                                 "each token, which would not lex as Lark does")

    # Runs of string terminals share one group (a punctuation token is its own kind);
    # each pattern terminal has a group of its own, its kind the terminal's name.
    groups: list[tuple[str | None, list]] = []
    for t in tokens:
        if t.pattern.type == "str" and groups and groups[-1][0] is None:
            groups[-1][1].append(t)
        else:
            groups.append((None if t.pattern.type == "str" else t.name, [t]))

    lines = [
        '"""The grammar\'s tokens, for the fast reader (descent.py).',
        "",
        "GENERATED from grammars/archlang.lark by `make parser` (archlang/syntax/make_lexicon.py,",
        "from the terminals Lark compiles): do not edit. tests/syntax/test_parser_tables.py fails",
        'when this file is not what the grammar makes."""',
        "",
        "# The space and comments before a token (what Lark ignores: " + ", ".join(t.name for t in ignored) + "),",
        "# then one token, its terminals tried in Lark's order, or any other character (the",
        "# reader declines), or the end of the text.",
        "TOKEN = (",
        "    " + _literal("((?>(?:" + "|".join(t.pattern.to_regexp() for t in ignored) + ")*))"),
        '    r"(?:"',
    ]
    kinds = [None, END]             # group 0 is the whole match; group 1 alone: the end
    for i, (kind, members) in enumerate(groups):
        regexp = "|".join(t.pattern.to_regexp() for t in members)
        what = kind or "punctuation: " + " ".join(t.pattern.value for t in members)
        lines.append(f"    {_literal(('|' if i else '') + '(' + regexp + ')')}  # {what}")
        kinds.append(kind)
        kinds += [None] * re.compile(regexp).groups     # groups inside a terminal: never last
    lines += [
        '    r"|((?s:.))"',
        '    r"|\\Z)"',
        ")",
        "",
        "# The kind of the token in group i of TOKEN (i = match.lastindex): a pattern terminal's",
        f"# name; None for punctuation (a punctuation token's text is its kind); {END!r} where only",
        f"# the space matched, at the end of the text; {OTHER!r} for any other character.",
        f"END, OTHER = {END!r}, {OTHER!r}",
        f"KINDS = {tuple(kinds + [OTHER])!r}",
        "",
        "# Words that a pattern terminal (" + ", ".join(sorted({p.name for p in keywords.values()}))
        + ") also matches: keywords, told apart after the",
        "# match (Lark's contextual lexer decides them state by state).",
        f"KEYWORDS = frozenset({sorted(k.pattern.value for k in keywords)!r})",
        "# Every string terminal by its name in Lark (as Lark's errors name what they expected).",
        "STRINGS = {",
        *_wrapped([f"{t.name!r}: {t.pattern.value!r}," for t in sorted(strings, key=lambda t: t.name)]),
        "}",
        "# The keywords a definition starts with, in the grammar's order.",
        f"DEFINITION_KEYWORDS = {tuple(k.pattern.value for k in keywords if k.name in starts)!r}",
        "",
    ]
    return "\n".join(lines)


def _wrapped(items: list[str], width: int = 96) -> list[str]:
    """`items` on indented lines of at most `width` characters, never split."""
    lines = ["   "]
    for item in items:
        if len(lines[-1]) + 1 + len(item) > width:
            lines.append("   ")
        lines[-1] += " " + item
    return lines


def _literal(s: str) -> str:
    """A Python literal for `s`: raw when it can be, for reading."""
    if "\n" not in s and '"' not in s and not s.endswith("\\"):
        return f'r"{s}"'
    if "\n" not in s and "'" not in s and not s.endswith("\\"):
        return f"r'{s}'"
    return repr(s)


def write_lexicon(path: Path = LEXICON) -> bool:
    """Write lexicon.py unless it is up to date; True if written."""
    text = lexicon_text()
    if path.exists() and path.read_text("utf-8") == text:
        return False
    path.write_text(text, "utf-8")
    return True
