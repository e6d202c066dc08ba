"""Lark parse tree → AST. Non-recursive, so deeply nested specs cannot overflow the stack."""
from __future__ import annotations

import ast as pyast

from lark import Token, Transformer_NonRecursive, v_args

from ..source import Source, Span
from . import ast


def _int_or_float(text: str) -> int | float:
    clean = text.replace("_", "")
    if any(ch in clean for ch in ".eE"):
        return float(clean)
    return int(clean)


@v_args(meta=True)
class ToAst(Transformer_NonRecursive):
    def __init__(self, source: Source):
        super().__init__()
        self.source = source

    # spans --------------------------------------------------------------------------
    def _span(self, meta) -> Span:
        return Span(self.source, meta.start_pos, meta.end_pos)

    def _tok(self, tok: Token) -> Span:
        return Span(self.source, tok.start_pos, tok.end_pos)

    # atoms --------------------------------------------------------------------------
    def number(self, meta, children):
        (tok,) = children
        return ast.Number(self._tok(tok), _int_or_float(tok))

    def ascii_shape(self, meta, children):
        (tok,) = children
        return ast.AsciiShape(self._tok(tok), tuple(int(d.replace("_", "")) for d in tok.split("x")))

    def name(self, meta, children):
        (tok,) = children
        if tok == "_":
            return ast.Infer(self._tok(tok))
        return ast.Name(self._tok(tok), str(tok))

    def string(self, meta, children):
        (tok,) = children
        return ast.String(self._tok(tok), pyast.literal_eval(tok))

    def tuple(self, meta, children):
        return ast.Tuple(self._span(meta), tuple(children))

    # operators ----------------------------------------------------------------------
    def pair(self, meta, children):
        left, right = children
        return ast.Pair(self._span(meta), left, right)

    def shape(self, meta, children):
        dims = tuple(c for c in children if not isinstance(c, Token))
        return ast.Shape(self._span(meta), dims)

    def binop(self, meta, children):
        left, op, right = children
        return ast.BinOp(self._span(meta), str(op), left, right, self._tok(op))

    def neg(self, meta, children):
        _, operand = children
        return ast.Neg(self._span(meta), operand)

    # calls --------------------------------------------------------------------------
    def call(self, meta, children):
        func, *args = children
        args = [a for a in args if a is not None]
        return ast.Call(self._span(meta), str(func), self._tok(func), tuple(args))

    def keyword(self, meta, children):
        name, value = children
        return ast.Keyword(self._span(meta), str(name), self._tok(name), value)

    def join_op(self, meta, children):
        (tok,) = children
        return ast.JoinOp(self._tok(tok), str(tok))

    def numbered(self, meta, children):
        label, expr = children
        return ast.Numbered(self._span(meta), _int_or_float(label), expr)

    # definitions --------------------------------------------------------------------
    def param(self, meta, children):
        name, default = children
        return ast.Param(self._tok(name), str(name), default)

    def block_def(self, meta, children):
        name, *rest = children
        *params, body = rest
        params = tuple(p for p in params if p is not None)
        return ast.BlockDef(self._span(meta), str(name), self._tok(name), params, body)

    def model_def(self, meta, children):
        name, input_name, shape, body = children
        return ast.ModelDef(self._span(meta), str(name), self._tok(name), str(input_name), shape, body)

    def setting(self, meta, children):
        name, value = children
        return ast.Setting(self._span(meta), str(name), self._tok(name), value)

    def train_def(self, meta, children):
        model, *settings = children
        return ast.TrainDef(self._span(meta), str(model), self._tok(model), tuple(settings))

    def import_stmt(self, meta, children):
        (tok,) = children
        return ast.ImportStmt(self._span(meta), pyast.literal_eval(tok), self._tok(tok))

    def start(self, meta, children):
        return tuple(children)
