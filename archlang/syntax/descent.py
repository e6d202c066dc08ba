"""The fast path of parsing: one regular expression and a recursive-descent reader of
grammars/archlang.lark, for the specs that parse.

Lark's LALR parser stays the reference: it reports every syntax error and decides every
unusual input. This reader takes what it is sure of and declines the rest (returns None),
and parser.py then runs Lark. It declines at the first thing it does not expect: a syntax
error, a keyword written where a name goes (Lark's contextual lexer decides those), a token
the language refuses (an over-long name, a bad escape, a huge number: build.py), brackets
nested deeper than MAX_NESTING, or a Python stack too deep. So it never accepts a text Lark refuses, and where it accepts, it builds
the AST the transformer would build from Lark's tree, spans included:
tests/syntax/test_descent.py compares the two on every spec of the project and on texts
generated from the grammar.

Why: Lark's parser loop and lexer cost about 9 µs a token in Python; a 10,000-layer spec
has 190,000 tokens. This reader spends about a fifth of that: 1.75 s → 0.34 s (docs/performance.md).
"""
from __future__ import annotations

import re
from array import array

from ..limits import MAX_NAME_LENGTH, MAX_NESTING, MAX_NUMBER_DIGITS
from ..source import Source, Span
from . import ast, build
from .build import Malformed

# The grammar's terminals, each after the whitespace and comments before it (Lark ignores
# those). Where two terminals can start at one character, the order is Lark's (priority,
# then length): ASCII_SHAPE (priority 2) before NUMBER, `=>` before `=`, `//` before `/`.
# Punctuation and names come first (the common tokens; no other terminal starts with their
# characters): a third faster than Lark's order. The third group takes any other character
# (the reader declines there and Lark describes it), and the space before the end of the
# text matches too, so that `findall` never moves on by a character inside a comment. The
# space is an atomic group: given back, its last character would be "other".
_TOKEN = re.compile(r"""((?>\s*(?:\#[^\n]*\s*)*))(?:(
    =>|//|[(){},;:=+\-*/÷^×]
  | [^\W\d]\w*
  | \d+(?:_\d+)*(?:x\d+(?:_\d+)*)+(?![\w.])
  | (?:\d+(?:_\d+)*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?
  | "(?:[^"\\\n]|\\.)*"
  )|(.)|\Z)""", re.VERBOSE)

# Token kinds: a punctuation token's kind is its text.
NAME, NUMBER, SHAPE, STRING, END = "name", "number", "shape", "string", "$"

# A token's kind by its first character; PUNCT: the token is its own kind. A character not
# here (beyond ASCII) starts a name or, if a decimal digit, a number.
PUNCT = None
_FIRST = {**{c: NAME for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"},
          **{c: NUMBER for c in "0123456789."}, '"': STRING,
          **{c: PUNCT for c in "(){},;:=+-*/÷^×"}}

# Words that are keywords where a definition or a graph body's return starts. Elsewhere
# Lark's contextual lexer may read them as names or as keywords, state by state: this
# reader declines and lets Lark decide.
KEYWORDS = frozenset({"import", "block", "model", "train", "return"})

BINOPS = frozenset({"+", "-", "*", "/", "÷", "//", "^", "×"})
SEPARATORS = frozenset({",", ";"})


class Decline(Exception):
    """Not for the fast path: Lark parses this text."""


def tokens(text: str) -> tuple[list, list, list, list] | None:
    """The text's tokens as four parallel lists (kinds, texts, starts, ends), ending with
    END; None if a character is not the start of any token."""
    # Offsets in arrays, not lists: no int object per offset while parsing (270,000 tokens
    # made 17 MB of them), only where a span keeps one.
    kinds, texts, starts, ends = [], [], array("q"), array("q")
    pos = 0
    first = _FIRST
    for space, tok, other in _TOKEN.findall(text):
        if not tok:
            if other:
                return None
            break                       # the space at the end of the text
        start = pos + len(space)
        c = tok[0]
        kind = first.get(c, 0)
        if kind is PUNCT:
            kind = tok
        elif kind == 0:                 # beyond ASCII
            kind = NUMBER if c.isdecimal() else NAME
        if kind == NUMBER and "x" in tok:
            kind = SHAPE                # a number has no `x`
        kinds.append(kind)
        texts.append(tok)
        starts.append(start)
        pos = start + len(tok)
        ends.append(pos)
    kinds.append(END)
    texts.append("")
    starts.append(len(text))
    ends.append(len(text))
    return kinds, texts, starts, ends


def definitions(source: Source) -> tuple | None:
    """The definitions of `source` as the transformer would build them, or None where this
    reader declines (then Lark parses)."""
    lexed = tokens(source.text)
    if lexed is None:
        return None
    try:
        return _Reader(source, *lexed).module()
    except (Decline, Malformed, RecursionError):
        return None


class _Reader:
    """One parse. `i` indexes the current token; each method reads one rule and returns its
    AST node, leaving `i` after the rule's last token."""

    def __init__(self, source: Source, kinds, texts, starts, ends):
        self.source = source
        self.k, self.t, self.s, self.e = kinds, texts, starts, ends
        self.i = 0
        self.depth = 0                  # brackets open: deeper than MAX_NESTING is declined
        self.in_brackets: set[int] = set()    # ids of nodes written in brackets, as `(-2)`

    # tokens --------------------------------------------------------------------------
    def expect(self, kind: str) -> int:
        """Consume a token of `kind`; its index."""
        i = self.i
        if self.k[i] != kind:
            raise Decline
        self.i = i + 1
        return i

    def name(self) -> int:
        """Consume a NAME that is not a keyword and not over-long; its index."""
        i = self.i
        if self.k[i] != NAME or self.t[i] in KEYWORDS or len(self.t[i]) > MAX_NAME_LENGTH:
            raise Decline
        self.i = i + 1
        return i

    def keyword(self, word: str) -> int:
        i = self.i
        if self.k[i] != NAME or self.t[i] != word:
            raise Decline
        self.i = i + 1
        return i

    def span(self, i: int) -> Span:
        return Span(self.source, self.s[i], self.e[i])

    def open(self, kind: str) -> int:
        """Consume an opening bracket; its index."""
        i = self.expect(kind)
        self.depth += 1
        if self.depth > MAX_NESTING:      # parser.py's bracket scan reports it
            raise Decline
        return i

    def close(self, kind: str) -> int:
        i = self.expect(kind)
        self.depth -= 1
        return i

    def separator_end(self, node) -> int:
        """Consume a `,` or `;` after `node` if there is one: where the rule ends (Lark
        keeps the separator's token in the rule; a bracketed node's span has no brackets)."""
        if self.k[self.i] in SEPARATORS:
            self.i += 1
            return self.e[self.i - 1]
        return node.span.end

    # definitions ---------------------------------------------------------------------
    def module(self) -> tuple:
        out = []
        k, t = self.k, self.t
        while k[self.i] != END:
            word = t[self.i] if k[self.i] == NAME else None
            if word == "model":
                out.append(self.model_def())
            elif word == "block":
                out.append(self.block_def())
            elif word == "import":
                out.append(self.import_stmt())
            elif word == "train":
                out.append(self.train_def())
            else:
                raise Decline
        return tuple(out)

    def import_stmt(self) -> ast.ImportStmt:
        start = self.keyword("import")
        i = self.expect(STRING)
        path = build.string_value(self.source, self.t[i], self.s[i], self.e[i])
        return ast.ImportStmt(Span(self.source, self.s[start], self.e[i]), path, self.span(i))

    def block_def(self) -> ast.BlockDef:
        start = self.keyword("block")
        n = self.name()
        self.open("(")
        params = []
        if self.k[self.i] != ")":
            params.append(self.param())
            while self.k[self.i] == ",":
                self.i += 1
                if self.k[self.i] == ")":
                    break
                params.append(self.param())
        self.close(")")
        self.expect("=")
        body = self.expr()
        return ast.BlockDef(Span(self.source, self.s[start], body.span.end), self.t[n], self.span(n),
                            tuple(params), body)

    def param(self) -> ast.Param:
        n = self.name()
        default = None
        if self.k[self.i] == "=":
            self.i += 1
            default = self.expr()
        end = default.span.end if default is not None else self.e[n]
        return ast.Param(Span(self.source, self.s[n], end), self.t[n], default)

    def model_def(self) -> ast.ModelDef:
        start = self.keyword("model")
        n = self.name()
        self.open("(")
        inputs = [self.model_input()]
        while self.k[self.i] == ",":
            self.i += 1
            if self.k[self.i] == ")":
                break
            inputs.append(self.model_input())
        self.close(")")
        self.expect("=")
        body = self.graph_body() if self.k[self.i] == "{" else self.expr()
        first = inputs[0]
        return ast.ModelDef(Span(self.source, self.s[start], body.span.end), self.t[n], self.span(n),
                            first.name, first.shape, body, tuple(inputs))

    def model_input(self) -> ast.ModelInput:
        n = self.name()
        self.expect(":")
        shape = self.expr()
        return ast.ModelInput(Span(self.source, self.s[n], shape.span.end), self.t[n], self.span(n), shape)

    def graph_body(self) -> ast.GraphBody:
        start = self.open("{")
        statements = []
        while not (self.k[self.i] == NAME and self.t[self.i] == "return"):
            n = self.name()
            self.expect("=")
            value = self.expr()
            end = self.separator_end(value)
            statements.append(ast.Statement(Span(self.source, self.s[n], end), self.t[n], self.span(n), value))
        ret = self.keyword("return")
        values = [self.expr()]
        while self.k[self.i] == "," and self.k[self.i + 1] != "}":
            self.i += 1
            values.append(self.expr())
        end = self.separator_end(values[-1])
        returns = ast.ReturnStmt(Span(self.source, self.s[ret], end), tuple(values))
        close = self.close("}")
        return ast.GraphBody(Span(self.source, self.s[start], self.e[close]), tuple(statements), returns)

    def train_def(self) -> ast.TrainDef:
        start = self.keyword("train")
        n = self.name()
        self.open("{")
        settings = []
        while self.k[self.i] != "}":
            s = self.name()
            self.expect("=")
            value = self.expr()
            end = self.separator_end(value)
            settings.append(ast.Setting(Span(self.source, self.s[s], end), self.t[s], self.span(s), value))
        close = self.close("}")
        return ast.TrainDef(Span(self.source, self.s[start], self.e[close]), self.t[n], self.span(n),
                            tuple(settings))

    # expressions ---------------------------------------------------------------------
    def expr(self):
        left = self.operand()
        if self.k[self.i] != "=>":
            return left
        self.i += 1
        right = self.operand()
        return ast.Pair(left.span.to(right.span), left, right)

    def operand(self):
        first = self.atom() if self.k[self.i] != "-" else self.unary()
        if self.k[self.i] not in BINOPS:
            return first
        # `u op u op u ...` is one flat list, given its precedence by the transformer.
        children = [first]
        while self.k[self.i] in BINOPS:
            i = self.i
            children.append(build.Operator(self.t[i], self.s[i], self.e[i]))
            self.i = i + 1
            children.append(self.unary())
        return build.operation(self.source, children, self.in_brackets)

    def unary(self):
        minuses = []
        while self.k[self.i] == "-":         # a loop: thousands of signs must not recurse
            minuses.append(self.s[self.i])
            self.i += 1
        node = self.atom()
        for start in reversed(minuses):
            node = ast.Neg(Span(self.source, start, node.span.end), node)
        return node

    def atom(self):
        i = self.i
        kind = self.k[i]
        if kind == NUMBER:
            self.i = i + 1
            text = self.t[i]
            if text.isdigit() and len(text) <= MAX_NUMBER_DIGITS:
                return ast.Number(Span(self.source, self.s[i], self.e[i]), int(text))
            return build.number(self.source, text, self.s[i], self.e[i])
        if kind == NAME:
            text = self.t[i]
            if text in KEYWORDS or len(text) > MAX_NAME_LENGTH:
                raise Decline
            self.i = i + 1
            if self.k[i + 1] == "(":
                return self.call(i)
            if text == "_":
                return ast.Infer(self.span(i))
            return ast.Name(self.span(i), text)
        if kind == "(":
            return self.bracketed()
        if kind == SHAPE:
            self.i = i + 1
            return build.ascii_shape(self.source, self.t[i], self.s[i], self.e[i])
        if kind == STRING:
            self.i = i + 1
            return ast.String(self.span(i), build.string_value(self.source, self.t[i], self.s[i], self.e[i]))
        raise Decline

    def bracketed(self):
        """`( )`, `(e)` (the node itself, remembered as bracketed), `(e,)`, `(e, f, ...)`."""
        start = self.open("(")
        if self.k[self.i] == ")":
            self.i += 1
            return ast.Tuple(Span(self.source, self.s[start], self.e[start + 1]), ())
        first = self.expr()
        if self.k[self.i] == ")":
            self.i += 1
            self.in_brackets.add(id(first))
            return first
        items = [first]
        while self.k[self.i] == ",":
            self.i += 1
            if self.k[self.i] == ")":
                break
            items.append(self.expr())
        close = self.close(")")
        return ast.Tuple(Span(self.source, self.s[start], self.e[close]), tuple(items))

    def call(self, n: int):
        """NAME ( arguments ): a Call, or an Apply when a second argument list follows."""
        args, close = self.arguments()
        node = ast.Call(Span(self.source, self.s[n], self.e[close]), self.t[n], self.span(n), args)
        if self.k[self.i] != "(":
            return node
        values, close = self.arguments()
        return ast.Apply(Span(self.source, self.s[n], self.e[close]), node, values)

    def arguments(self) -> tuple[tuple, int]:
        """`( ... )`: the argument nodes and the index of `)`."""
        self.open("(")
        k = self.k
        args = []
        if k[self.i] == NUMBER and k[self.i + 1] == ":":
            # A pasted Metalhead listing: numbered arguments, separators optional.
            while k[self.i] != ")":
                label = self.expect(NUMBER)
                self.expect(":")
                value = self.expr()
                args.append(ast.Numbered(Span(self.source, self.s[label], value.span.end),
                                         build.label(self.source, self.t[label], self.s[label], self.e[label]),
                                         value))
                if k[self.i] in SEPARATORS:
                    self.i += 1
        else:
            while k[self.i] != ")":
                args.append(self.argument())
                if k[self.i] in SEPARATORS:
                    self.i += 1
                elif k[self.i] != ")":
                    raise Decline
        close = self.close(")")
        return tuple(args), close

    def argument(self):
        i = self.i
        kind = self.k[i]
        if kind == NAME and self.k[i + 1] == "=":
            self.name()
            self.i += 1
            value = self.expr()
            return ast.Keyword(Span(self.source, self.s[i], value.span.end), self.t[i], self.span(i), value)
        if kind == "+" or kind == "*":
            self.i = i + 1
            return ast.JoinOp(self.span(i), kind)
        return self.expr()

