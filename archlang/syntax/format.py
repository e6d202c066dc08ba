"""The canonical layout of `.arch` text (`archlang fmt`): Lark's parse tree → a document → text.

The formatter is generic over the parse tree, not a printer per rule: the grammar keeps every
token (parser.py), so the tree holds the whole text but for whitespace and comments. Comments
are found in the gaps between tokens and re-attached to the token before them (a comment on the
same line) or after them (a comment on lines of its own). Brackets among a rule's children make
a *group*: its items (split at `,`/`;`, or where one statement follows another) go on one line
when they fit in WIDTH columns and hold no comment, else one per line, indented by four, with a
trailing comma where the grammar allows one. A few per-rule decisions live in the tables below;
a rule the tables do not name (a newer grammar's) still formats, with the defaults.

The layout is Wadler's "prettier printer" (groups that break or stay flat), with trailing
comments aligned in each run of lines. `format_text` checks its own result: the output must
parse to the same AST as the input, or it refuses (FormatError) rather than change a meaning.
"""
from __future__ import annotations

import sys

from lark import Token, Tree

from ..diagnostics import Diagnostic
from ..records import fields
from ..source import Source, Span
from . import ast
from .parser import lark_parser, parse

WIDTH = 100
INDENT = 4

# ---- per-rule layout decisions -----------------------------------------------------------
SEPARATORS = {",", ";"}
OPEN_CLOSE = {"(": ")", "{": "}", "[": "]"}
TIGHT_BEFORE = {",", ";", ")", "]", "}", ":"}       # `f(a, b)`, `x: 28×28×1`, `1: Conv`
# Rules whose `=` binds a keyword argument or a parameter default: `stride=2`, `k=2`.
TIGHT_EQUALS = {"keyword", "param"}
# Groups that may end in a comma: one is added when they break and dropped when they fit.
TRAILING_COMMA = {"call", "tuple", "block_def", "apply", "choices"}
# Rules whose own optional trailing separator is dropped (they stand one per line).
DROP_OWN_SEPARATOR = {"setting", "statement", "return_stmt"}
# Definitions that stand in a run of lines with no blank line between: imports, parameters.
RUNS = {"import_stmt", "param_def"}
# Tokens written without spaces around them: the `..` of a range (`2..6`).
TIGHT_TOKENS = {".."}
# Operators written without spaces: `2^5`, and `×` in a plain shape (`28×28×1`, `2^5×2^5×3`).
TIGHT_OPS = {"^"}
SHAPE_OPS = {"×", "^"}


# ---- the document ------------------------------------------------------------------------
class Group:
    """Parts printed on one line if they fit (and hold no comment), else broken at their Lines."""
    __slots__ = ("parts", "hard", "width")

    def __init__(self, parts: list, hard: bool = False):
        self.parts = parts
        self.hard, self.width = _measure(parts, hard)


class Nest:
    __slots__ = ("parts",)

    def __init__(self, parts: list):
        self.parts = parts


class Line:
    """A space (or nothing) when its group is flat; a new line when broken."""
    __slots__ = ("flat",)

    def __init__(self, flat: str):
        self.flat = flat


class IfBreak:
    __slots__ = ("broken", "flat")

    def __init__(self, broken: str, flat: str = ""):
        self.broken, self.flat = broken, flat


class Lead:
    """A comment on lines of its own, before what follows."""
    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


class Trail:
    """A comment at the end of the line it follows."""
    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


HARD = object()      # end the line here
BLANK = object()     # a blank line here, where a line starts
SOFT = Line("")
SPACE = Line(" ")


def _measure(parts: list, hard: bool) -> tuple[bool, int]:
    width = 0
    stack = [parts]
    while stack:
        p = stack.pop()
        if isinstance(p, str):
            width += len(p)
        elif isinstance(p, list):
            stack.extend(p)
        elif isinstance(p, Nest):
            stack.extend(p.parts)
        elif isinstance(p, Group):
            hard = hard or p.hard
            width += p.width
        elif isinstance(p, Line):
            width += len(p.flat)
        elif isinstance(p, IfBreak):
            width += len(p.flat)
        elif isinstance(p, (Lead, Trail)) or p is HARD:
            hard = True
    return hard, width


# ---- comments, from the gaps between tokens -----------------------------------------------
class Comments:
    """Comments and blank lines of a text, keyed by the start offset of the token they go with."""

    def __init__(self, text: str, tokens: list[Token]):
        self.trail: dict[int, str] = {}
        self.lead: dict[int, list[tuple[str, bool]]] = {}
        self.blank: dict[int, bool] = {}
        self.final: list[tuple[str, bool]] = []
        prev = None
        for tok in tokens + [None]:
            start = prev.end_pos if prev is not None else 0
            end = tok.start_pos if tok is not None else len(text)
            self._gap(text[start:end], prev, tok)
            prev = tok

    def _gap(self, gap: str, prev: Token | None, tok: Token | None) -> None:
        segs = gap.split("\n")
        first = 0
        if prev is not None:
            same_line = segs[0].strip()
            if same_line:
                self.trail[prev.start_pos] = same_line
            first = 1
        full = segs[first:-1] if tok is not None else segs[first:]
        leads, blank = [], False
        for seg in full:
            s = seg.strip()
            if s:
                leads.append((s, blank))
                blank = False
            else:
                blank = True
        if tok is None:
            self.final = leads
            return
        if leads:
            self.lead[tok.start_pos] = leads
        self.blank[tok.start_pos] = blank

    def can_drop(self, sep: Token, before: Token | None) -> bool:
        """Whether a separator can go without losing a comment (its comments move to before)."""
        return before is not None and sep.start_pos not in self.lead and \
            not (sep.start_pos in self.trail and before.start_pos in self.trail)

    def move_trail(self, src: Token, dst: Token) -> None:
        if src.start_pos in self.trail:
            self.trail[dst.start_pos] = self.trail.pop(src.start_pos)


def _leaves(tree: Tree) -> list[Token]:
    out, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Token):
            out.append(node)
        elif isinstance(node, Tree):
            stack.extend(reversed(node.children))
    return out


def _first(node) -> Token | None:
    while isinstance(node, Tree):
        kids = [c for c in node.children if c is not None]
        if not kids:
            return None
        node = kids[0]
    return node


def _last(node) -> Token | None:
    while isinstance(node, Tree):
        kids = [c for c in node.children if c is not None]
        if not kids:
            return None
        node = kids[-1]
    return node


# ---- parse tree → document ----------------------------------------------------------------
class _Builder:
    def __init__(self, comments: Comments):
        self.c = comments

    def token(self, tok: Token, lead: bool = True, trail: bool = True) -> list:
        pos = tok.start_pos
        parts: list = []
        if lead:
            for text, blank in self.c.lead.get(pos, ()):
                if blank:
                    parts.append(BLANK)
                parts.append(Lead(text))
            if self.c.blank.get(pos):
                parts.append(BLANK)
        parts.append(str(tok))
        if trail and pos in self.c.trail:
            parts.append(Trail(self.c.trail[pos]))
        return parts

    def node(self, node) -> list:
        return self.token(node) if isinstance(node, Token) else self.tree(node)

    def start(self, tree: Tree) -> list:
        parts: list = []
        prev = None
        for d in (c for c in tree.children if c is not None):
            if prev is not None:
                parts.append(HARD)
                if not (prev.data == d.data and d.data in RUNS):
                    parts.append(BLANK)
            parts.append(self.node(d))
            prev = d
        if self.c.final:
            parts.append(HARD)
            for text, blank in self.c.final:
                if blank:
                    parts.append(BLANK)
                parts.append(Lead(text))
        return parts

    def tree(self, tree: Tree) -> list:
        rule = str(tree.data)
        kids = [c for c in tree.children if c is not None]
        if rule in DROP_OWN_SEPARATOR and len(kids) > 1 and _is_sep(kids[-1]) and \
                self.c.can_drop(kids[-1], _last(kids[-2])):
            self.c.move_trail(kids[-1], _last(kids[-2]))
            kids = kids[:-1]
        ops = [str(k) for k in kids if isinstance(k, Token)] if rule == "operation" else []
        shape_only = bool(ops) and all(o in SHAPE_OPS for o in ops)
        parts: list = []
        prev = None
        i = 0
        while i < len(kids):
            k = kids[i]
            close = _matching(kids, i)
            if prev is not None:
                parts.append(_space(rule, prev, k, shape_only))
            if close is not None:
                parts.append(self.group(rule, kids[i], kids[i + 1:close], kids[close]))
                prev, i = kids[close], close + 1
            else:
                parts.append(self.node(k))
                prev, i = k, i + 1
        return parts

    def elems(self, rule: str, elems: list) -> list:
        parts: list = []
        for j, e in enumerate(elems):
            if j:
                parts.append(_space(rule, elems[j - 1], e, False))
            parts.append(self.node(e))
        return parts

    def group(self, rule: str, open_: Token, content: list, close: Token) -> list:
        items = _split(content)
        juxtaposed = any(sep is None for _, sep in items[:-1])
        one_tuple = rule == "tuple" and len(items) == 1
        inner: list = []
        for n, (elems, sep) in enumerate(items):
            last = n == len(items) - 1
            if n:
                inner.append(SPACE)
            # The comment after an item goes after its comma (unless the comma has its own).
            tail = _last(elems[-1])
            sep_trail = self.c.trail.get(sep.start_pos) if sep is not None else None
            comma_follows = sep is not None or (last and rule in TRAILING_COMMA and not juxtaposed)
            moved = self.c.trail.pop(tail.start_pos, None) \
                if tail is not None and sep_trail is None and comma_follows else None
            moved = sep_trail if sep_trail is not None else moved
            inner.append(self.elems(rule, elems))
            if sep is not None and (not last or one_tuple or rule not in TRAILING_COMMA):
                inner.append(self.token(sep, trail=False))
            elif last and rule in TRAILING_COMMA and not juxtaposed:
                if sep is not None:               # its leading comments, if any, stay
                    inner.append([p for p in self.token(sep, trail=False) if not isinstance(p, str)])
                inner.append(IfBreak(","))
            if moved is not None:
                inner.append(Trail(moved))
        # Comments before the closing bracket stay inside, on lines of their own.
        close_leads = [p for p in self.token(close, trail=False) if not isinstance(p, str)]
        # A graph body's or train section's braces always break; a set of choices need not.
        hard = juxtaposed or (open_ == "{" and rule != "choices") or any(isinstance(p, Lead) for p in close_leads)
        body = Group([self.token(open_, lead=False), Nest([SOFT] + inner + close_leads) if items
                      or close_leads else Nest([]), SOFT if items or close_leads else "",
                      str(close)], hard=hard)
        lead = [p for p in self.token(open_, trail=False) if not isinstance(p, str)]
        after = [Trail(self.c.trail[close.start_pos])] if close.start_pos in self.c.trail else []
        return lead + [body] + after


def _is_sep(node) -> bool:
    return isinstance(node, Token) and str(node) in SEPARATORS


def _matching(kids: list, i: int) -> int | None:
    """The index of the bracket closing kids[i] among its siblings, if kids[i] opens one."""
    k = kids[i]
    if not isinstance(k, Token) or str(k) not in OPEN_CLOSE:
        return None
    want, depth = OPEN_CLOSE[str(k)], 0
    for j in range(i, len(kids)):
        t = kids[j]
        if isinstance(t, Token):
            if str(t) == str(k):
                depth += 1
            elif str(t) == want:
                depth -= 1
                if depth == 0:
                    return j
    return None


def _split(content: list) -> list[tuple[list, Token | None]]:
    """A group's items: split at separators, and where a statement follows another directly."""
    items: list[tuple[list, Token | None]] = []
    current: list = []
    for c in content:
        if _is_sep(c):
            items.append((current, c))
            current = []
        elif current and isinstance(current[-1], Tree):
            items.append((current, None))
            current = [c]
        else:
            current.append(c)
    if current:
        items.append((current, None))
    return [(elems, sep) for elems, sep in items if elems]     # `f(a,,b)` never parses


def _space(rule: str, left, right, shape_only: bool) -> str:
    lt = left if isinstance(left, Token) else _last(left)
    rt = right if isinstance(right, Token) else _first(right)
    l, r = str(lt) if lt is not None else "", str(rt) if rt is not None else ""
    if isinstance(right, Token) and r in TIGHT_BEFORE:
        return ""
    if isinstance(left, Token) and l in TIGHT_TOKENS or isinstance(right, Token) and r in TIGHT_TOKENS:
        return ""
    if isinstance(left, Token) and l in ("(", "["):
        return ""
    if isinstance(right, Token) and r in ("(", "["):
        return ""                               # a call, a definition's inputs, an application
    if rule in TIGHT_EQUALS and (isinstance(left, Token) and l == "=" or
                                 isinstance(right, Token) and r == "="):
        return ""
    if rule == "neg" and isinstance(left, Token):
        return ""
    if rule == "operation":
        op = l if isinstance(left, Token) else r if isinstance(right, Token) else None
        if op in TIGHT_OPS or (op == "×" and shape_only):
            return ""
    return " "


# ---- document → text ------------------------------------------------------------------------
_FLAT, _BREAK = 0, 1
_MARK = "\x00"


def _fits(rem: int, stack: list) -> bool:
    """Whether the rest of the line (what the stack prints up to its next break) fits in rem."""
    k = len(stack) - 1
    local: list = []
    while rem >= 0:
        if local:
            mode, p = local.pop()
        elif k >= 0:
            _, mode, p = stack[k]
            k -= 1
        else:
            return True
        if isinstance(p, str):
            rem -= len(p)
        elif isinstance(p, list):
            local.extend((mode, x) for x in reversed(p))
        elif isinstance(p, Nest):
            local.extend((mode, x) for x in reversed(p.parts))
        elif isinstance(p, Group):
            m = _BREAK if (p.hard or mode == _BREAK) else _FLAT
            local.extend((m, x) for x in reversed(p.parts))
        elif isinstance(p, Line):
            if mode == _BREAK:
                return True
            rem -= len(p.flat)
        elif isinstance(p, IfBreak):
            rem -= len(p.broken if mode == _BREAK else p.flat)
        elif isinstance(p, (Lead, Trail)) or p is HARD:
            return True
    return False


def _print(doc: list) -> list[str]:
    lines = [""]
    pending = False
    stack = [(0, _BREAK, doc)]

    def newline(ind: int) -> None:
        lines[-1] = lines[-1].rstrip()
        lines.append(" " * ind)

    def at_start() -> bool:
        return not lines[-1].strip()

    while stack:
        ind, mode, p = stack.pop()
        if isinstance(p, str):
            if pending and p:
                newline(ind)
                pending = False
            lines[-1] += p
        elif isinstance(p, list):
            stack.extend((ind, mode, x) for x in reversed(p))
        elif isinstance(p, Nest):
            stack.extend((ind + INDENT, mode, x) for x in reversed(p.parts))
        elif isinstance(p, Group):
            col = len(lines[-1])
            flat = not p.hard and not pending and col + p.width <= WIDTH and \
                _fits(WIDTH - col - p.width, stack)
            m = _FLAT if flat else _BREAK
            stack.extend((ind, m, x) for x in reversed(p.parts))
        elif isinstance(p, Line):
            if mode == _BREAK or pending:
                newline(ind)
                pending = False
            else:
                lines[-1] += p.flat
        elif isinstance(p, IfBreak):
            stack.append((ind, mode, p.broken if mode == _BREAK else p.flat))
        elif isinstance(p, Lead):
            if pending or not at_start():
                newline(ind)
            pending = False
            lines[-1] += p.text
            pending = True
        elif isinstance(p, Trail):
            if _MARK in lines[-1]:           # never two comments on one line: they would merge
                newline(ind)
            lines[-1] = lines[-1].rstrip() + (_MARK if lines[-1].strip() else "") + p.text
            pending = True
        elif p is HARD:
            pending = True
        elif p is BLANK:
            if pending:
                newline(ind)
                pending = False
            if at_start() and len(lines) > 1 and lines[-2].strip():
                lines.insert(len(lines) - 1, "")
    return lines


def _align(lines: list[str]) -> list[str]:
    """Trailing comments in a run of lines (up to a blank or comment-only line) share a column."""
    out = [ln.rstrip() for ln in lines]
    run: list[int] = []

    def flush():
        marked = [i for i in run if _MARK in out[i]]
        if marked:
            col = max(len(out[i].split(_MARK, 1)[0]) for i in marked) + 2
            for i in marked:
                code, comment = out[i].split(_MARK, 1)
                out[i] = code.ljust(col) + comment
        run.clear()

    for i, ln in enumerate(out):
        s = ln.strip()
        if not s or s.startswith("#"):
            flush()
        else:
            run.append(i)
    flush()
    return out


# ---- the API ------------------------------------------------------------------------------
class FormatError(Exception):
    """The layout would have changed the spec's meaning (a bug in the formatter): nothing is
    written. Carries a Diagnostic."""

    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        super().__init__(diagnostic.message)


def format_source(source: Source) -> str | Diagnostic:
    """The canonical text of a spec, or the syntax error `archlang check` reports for it.

    Raises FormatError if the result would not mean the same (the same AST, the same comments
    in the same order): a safety net that tests show is never needed.
    """
    module = parse(source)                      # check's own parse: the same diagnostics
    if isinstance(module, Diagnostic):
        return module
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))        # brackets nest at most MAX_NESTING deep
    try:
        tree = lark_parser().parse(source.text)
        comments = Comments(source.text, _leaves(tree))
        text = "\n".join(_align(_print(_Builder(comments).start(tree)))).strip("\n")
        text = text + "\n" if text else ""
        after = parse(Source(source.path, text))
        if isinstance(after, Diagnostic) or ast_key(module.definitions) != \
                ast_key(after.definitions) or _comments(source.text) != _comments(text):
            raise FormatError(_internal(source))
        return text
    except RecursionError:
        # `- - - … x` nests without brackets; such a spec is kept as written.
        return Diagnostic("E0009", "the spec is nested too deeply to format",
                          Span(source, 0, min(1, len(source.text))),
                          help="the file is left as it is")
    finally:
        sys.setrecursionlimit(limit)


def format_text(text: str, path: str = "<string>") -> str | Diagnostic:
    """format_source for a string."""
    return format_source(Source(path, text))


def _comments(text: str) -> list[str]:
    """The comments of a text, in order."""
    return [str(t).strip() for t in lark_parser().lex(text, dont_ignore=True)
            if t.type == "COMMENT"]


def _internal(source: Source) -> Diagnostic:
    return Diagnostic("E0090", "the formatter could not keep this spec's meaning; "
                      "the file is left as it is", Span(source, 0, min(1, len(source.text))),
                      help="please report this spec as an archlang bug")


def ast_key(node) -> tuple:
    """An AST without spans, flattened in pre-order with brackets: two texts mean the same
    when their keys match. Iterative, so 3,000 nested unary minuses cannot overflow."""
    out: list = []
    stack = [node]
    close = object()
    while stack:
        n = stack.pop()
        if n is close:
            out.append(")")
        elif isinstance(n, (list, tuple)):
            out.append("(")
            stack.append(close)
            stack.extend(reversed(n))
        elif isinstance(n, ast.Node):
            out.append(type(n).__name__)
            stack.append(close)
            stack.extend(reversed([getattr(n, f.name) for f in fields(n)
                                   if not f.name.endswith("span")
                                   and not isinstance(getattr(n, f.name), Span)]))
        else:
            out.append(n)
    return tuple(out)


__all__ = ["format_source", "format_text", "FormatError", "ast_key", "WIDTH"]
