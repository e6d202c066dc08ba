"""Lark parse tree → AST. Non-recursive, so deeply nested specs cannot overflow the stack.

The parser keeps every token and propagates no positions (that halves parse time on big
specs): a node's span runs from its first token to its last.
"""
from __future__ import annotations

from lark import Token, Transformer_NonRecursive

from ..source import Source, Span
from . import ast, build


class ToAst(Transformer_NonRecursive):
    def __init__(self, source: Source):
        super().__init__()
        self.start_source(source)

    def start_source(self, source: Source | None) -> None:
        """Begin (or, with None, end) one parse. One ToAst serves every parse (parser.py), so
        the per-parse state is reset here: ids in `_bracketed` are only meaningful while the
        nodes they name are alive, and a later parse could reuse them."""
        self.source = source
        self._bracketed: set[int] = set()      # ids of nodes written in brackets (they live on)

    # spans --------------------------------------------------------------------------
    def _tok(self, tok: Token) -> Span:
        return Span(self.source, tok.start_pos, tok.end_pos)

    def _span(self, children) -> Span:
        items = [c for c in children if c is not None]
        first, last = items[0], items[-1]
        start = first.start_pos if isinstance(first, Token) else first.span.start
        end = last.end_pos if isinstance(last, Token) else last.span.end
        return Span(self.source, start, end)

    @staticmethod
    def _nodes(children) -> list:
        return [c for c in children if isinstance(c, ast.Node)]

    # atoms --------------------------------------------------------------------------
    def number(self, children):
        (tok,) = children
        return build.number(self.source, str(tok), tok.start_pos, tok.end_pos)

    def ascii_shape(self, children):
        (tok,) = children
        return build.ascii_shape(self.source, str(tok), tok.start_pos, tok.end_pos)

    def name(self, children):
        (tok,) = children
        if tok == "_":
            return ast.Infer(self._tok(tok))
        return ast.Name(self._tok(tok), str(tok))

    def NAME(self, tok: Token) -> Token:
        """Every name token (of layers, blocks, keywords, settings): at most MAX_NAME_LENGTH."""
        build.name(self.source, str(tok), tok.start_pos, tok.end_pos)
        return tok

    def _text(self, tok: Token) -> str:
        return build.string_value(self.source, str(tok), tok.start_pos, tok.end_pos)

    def string(self, children):
        (tok,) = children
        return ast.String(self._tok(tok), self._text(tok))

    def paren(self, children):
        node = self._nodes(children)[0]
        self._bracketed.add(id(node))
        return node

    def tuple(self, children):
        return ast.Tuple(self._span(children), tuple(self._nodes(children)))

    # operators ----------------------------------------------------------------------
    def pair(self, children):
        left, right = self._nodes(children)
        return ast.Pair(self._span(children), left, right)

    def neg(self, children):
        minus, operand = children
        return ast.Neg(self._span(children), operand)

    def operation(self, children):
        """`u op u op u ...`: Lark reads the operators as one flat list (fewer reductions);
        build.operation gives them their precedence."""
        items = [build.Operator(str(c), c.start_pos, c.end_pos) if i % 2 else c
                 for i, c in enumerate(children)]
        return build.operation(self.source, items, self._bracketed)

    # calls --------------------------------------------------------------------------
    def call(self, children):
        func = children[0]
        return ast.Call(self._span(children), str(func), self._tok(func), tuple(self._nodes(children)))

    def keyword(self, children):
        name = children[0]
        (value,) = self._nodes(children)
        return ast.Keyword(self._span(children), str(name), self._tok(name), value)

    def join_op(self, children):
        (tok,) = children
        return ast.JoinOp(self._tok(tok), str(tok))

    def numbered(self, children):
        label = children[0]
        (expr,) = self._nodes(children)
        return ast.Numbered(self._span(children), build.label(self.source, str(label), label.start_pos, label.end_pos), expr)

    # definitions --------------------------------------------------------------------
    def param(self, children):
        name = children[0]
        nodes = self._nodes(children)
        return ast.Param(self._span(children), str(name), nodes[0] if nodes else None)

    def block_def(self, children):
        name = children[1]
        params = tuple(c for c in children if isinstance(c, ast.Param))
        body = children[-1]
        return ast.BlockDef(self._span(children), str(name), self._tok(name), params, body)

    def model_def(self, children):
        name = children[1]
        inputs = tuple(c for c in children if isinstance(c, ast.ModelInput))
        body = children[-1]
        first = inputs[0]
        return ast.ModelDef(self._span(children), str(name), self._tok(name), first.name,
                            first.shape, body, inputs)

    def model_input(self, children):
        name = children[0]
        (shape,) = self._nodes(children)
        dtype = children[-1]               # the NAME after `of`, or the placeholder None
        if dtype is None or dtype is name:
            return ast.ModelInput(self._span(children), str(name), self._tok(name), shape)
        return ast.ModelInput(self._span(children), str(name), self._tok(name), shape,
                              str(dtype), self._tok(dtype))

    def apply(self, children):
        layer, *rest = children
        return ast.Apply(self._span(children), layer, tuple(self._nodes(rest)))

    def statement(self, children):
        name = children[0]
        value = self._nodes(children)[0]
        return ast.Statement(self._span(children), str(name), self._tok(name), value)

    def return_stmt(self, children):
        return ast.ReturnStmt(self._span(children), tuple(self._nodes(children)))

    def graph_body(self, children):
        statements = tuple(c for c in children if isinstance(c, ast.Statement))
        returns = next(c for c in children if isinstance(c, ast.ReturnStmt))
        return ast.GraphBody(self._span(children), statements, returns)

    def setting(self, children):
        name = children[0]
        value = self._nodes(children)[0]
        return ast.Setting(self._span(children), str(name), self._tok(name), value)

    def train_def(self, children):
        model = children[1]
        settings = tuple(c for c in children if isinstance(c, ast.Setting))
        return ast.TrainDef(self._span(children), str(model), self._tok(model), settings)

    def param_def(self, children):
        name = children[1]
        node = self._nodes(children)[0]
        domain = node if isinstance(node, (ast.ValueRange, ast.Choices)) else None
        return ast.ParamDef(self._span(children), str(name), self._tok(name),
                            None if domain else node, domain)

    def value_range(self, children):
        nodes = self._nodes(children)
        return ast.ValueRange(self._span(children), nodes[0], nodes[1],
                              nodes[2] if len(nodes) > 2 else None)

    def choices(self, children):
        return ast.Choices(self._span(children), tuple(self._nodes(children)))

    def import_stmt(self, children):
        tok = children[1]
        return ast.ImportStmt(self._span(children), self._text(tok), self._tok(tok))

    def start(self, children):
        return tuple(children)
