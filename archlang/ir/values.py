"""Graph bodies → value terms: `{ h = Dense(_ => 10)(x) ... return a, b }`.

A statement's value is an input or earlier statement (`ValueRef`) or a layer term applied to
values (`Apply`): `LAYER(...)(v)`, `relu(h)` (a layer or block name whose arguments are all
values), `a + b`, `a * b`, `cat(a, b; dims=d)` and `Parameter(shape)`. Layer expressions are
evaluated by the Lowerer as everywhere else. A statement that fails is diagnosed and its name
stays defined (as a Broken value), so later statements are not reported again.
"""
from __future__ import annotations

from .. import vocabulary
from ..diagnostics import Label, Problem
from ..functions import FUNCTIONS
from ..layers import REGISTRY
from ..layers import args as A
from ..layers.base import ArgProblem
from ..layers.bind import bind
from ..layers.structural import Add, Concat, Mul
from ..source import Span
from ..suggest import did_you_mean
from ..syntax import ast
from .lower import Env
from .terms import Apply, Broken, GraphBody, Leaf, Statement, Term, ValueRef

JOINS = {"+": Add, "*": Mul}
VALUE_FUNCTIONS = ("cat", "Parameter")


class ValueLowerer:
    """Lower one model's graph body; `lowerer` evaluates layer expressions and reports."""

    def __init__(self, lowerer, inputs: list[ast.ModelInput]):
        self.lw = lowerer
        self.defined: dict[str, Span] = {}
        self.used: set[str] = set()
        for i in inputs:
            self.define(i.name, i.name_span, "input")

    # ---- names -------------------------------------------------------------------------
    def define(self, name: str, span: Span, what: str = "value") -> None:
        """Define a name once; a second definition or a built-in's name is E0108."""
        prev = self.defined.get(name)
        if prev is not None:
            self.lw.diags.error("E0108", f"`{name}` is defined twice", span, label="defined again here",
                                labels=(Label(prev, "first defined here"),),
                                help="a graph body defines each name once; choose a new name")
            return
        builtin = vocabulary.builtin(name) or (f"the block `{name}`" if name in self.lw.blocks else None)
        if builtin:
            self.lw.diags.error("E0108", f"the {what} `{name}` has the name of {builtin}", span,
                                label="a built-in name",
                                help=f"rename it, e.g. `{name}_out`; `{name}(...)` keeps its built-in meaning")
            # Still defined: later uses are not reported as unknown.
        self.defined[name] = span

    def is_value(self, node: ast.Node) -> bool:
        """Whether an expression is written as a value (so `relu(h)` applies relu to h)."""
        if isinstance(node, ast.Name):
            return node.id in self.defined
        if isinstance(node, ast.Apply):
            return True
        if isinstance(node, ast.BinOp):
            return node.op in JOINS and self.is_value(node.left) and self.is_value(node.right)
        if isinstance(node, ast.Call):
            if node.func in VALUE_FUNCTIONS:
                return True
            return bool(node.args) and not node.keywords and all(self.is_value(a) for a in node.args)
        return False

    # ---- the body ----------------------------------------------------------------------
    def body(self, node: ast.GraphBody) -> GraphBody:
        statements = []
        for st in node.statements:
            value = self.guarded(st.value)
            self.define(st.name, st.name_span)
            statements.append(Statement(st.span, st.name, value))
        outputs = []
        taken = {st.name for st in node.statements}
        for v in node.returns.values:
            value = self.guarded(v)
            if isinstance(value, ValueRef):
                name = value.name
            else:
                name = next(n for n in ("out", *(f"out{k}" for k in range(2, len(taken) + 3)))
                            if n not in taken)
                taken.add(name)
            if name in (n for n, _ in outputs):
                self.lw.diags.error("E0108", f"`{name}` is returned twice", v.span,
                                    label="returned again here",
                                    help="each output is returned once")
                continue
            outputs.append((name, value))
        # After an error, which names a broken value would have used is unknown: no warnings.
        broken = any(isinstance(t, Broken) for t in [s.value for s in statements] +
                     [v for _, v in outputs])
        for st in node.statements:
            if st.name not in self.used and not broken:
                self.lw.diags.warning("W0003", f"the value `{st.name}` is never used", st.name_span,
                                      label="no output depends on it",
                                      help="return it, use it, or remove it (its layers still count)")
        return GraphBody(node.span, statements, outputs)

    def guarded(self, node: ast.Node) -> Term:
        try:
            return self.value(node)
        except Problem as p:
            self.lw.diags.add(p.diagnostic)
            return Broken(node.span)

    # ---- values ------------------------------------------------------------------------
    def value(self, node: ast.Node) -> Term:
        method = getattr(self, "v_" + type(node).__name__.lower(), None)
        if method is None:
            raise self.not_a_value(node)
        return method(node)

    def not_a_value(self, node: ast.Node, help_: str | None = None) -> Problem:
        return self.lw.problem(
            "E0109", f"expected a value, found {self._describe(node)}", node.span,
            label="not a value",
            help=help_ or "a value is an input, an earlier statement, or a layer applied to values: "
                          "`Dense(_ => 10)(h)`")

    def _describe(self, node: ast.Node) -> str:
        if isinstance(node, ast.Call):
            return "a layer"
        if isinstance(node, ast.Tuple):
            return "a tuple"
        try:
            return A.describe(self.lw.value(node, self.lw_env()).value)
        except Problem:
            return "an expression"

    def v_tuple(self, node: ast.Tuple) -> Term:
        raise self.not_a_value(node, help_="return several values as `return a, b`; join values "
                                           "with `cat(a, b)`")

    def v_neg(self, node: ast.Neg) -> Term:
        raise self.lw.problem("E0109", "`-` is not defined on values", node.span,
                              label="not a join", help="values join with `+`, `*` or `cat(a, b)`")

    def v_name(self, node: ast.Name) -> Term:
        if node.id in self.defined:
            self.used.add(node.id)
            return ValueRef(node.span, node.id)
        if node.id in REGISTRY or node.id in self.lw.blocks or A.activation_name(node.id):
            raise self.lw.problem("E0109", f"`{node.id}` is a layer, not a value", node.span,
                                  label="not applied to anything",
                                  help=f"apply it to a value: `{node.id}(h)`")
        raise self.lw.problem("E0100", f"unknown value `{node.id}`", node.span, label="not defined",
                              help=did_you_mean(node.id, list(self.defined)) or
                              "values are the model's inputs and the names defined before this "
                              "statement: " + ", ".join(f"`{n}`" for n in self.defined))

    def v_binop(self, node: ast.BinOp) -> Term:
        if node.op not in JOINS:
            raise self.lw.problem("E0109", f"`{node.op}` is not defined on values", node.op_span,
                                  label="not a join", help="values join with `+`, `*` or `cat(a, b)`")
        # `a + b + c` is one join of three values; gathered without recursion, so a sum of
        # 10^5 terms cannot exhaust Python's stack.
        leaves, todo = [], [node]
        while todo:
            n = todo.pop()
            if isinstance(n, ast.BinOp) and n.op == node.op:
                todo += [n.right, n.left]
            else:
                leaves.append(n)
        return Apply(node.span, Leaf(node.op_span, JOINS[node.op]()), [self.value(v) for v in leaves])

    def v_apply(self, node: ast.Apply) -> Term:
        call, tie = self.tie(node.layer)
        layer = self.lw.term(call, self.lw_env())
        if tie is not None and not isinstance(layer, (Leaf, Broken)):
            raise self.lw.problem("E0109", "`tie=` is written on one layer", tie.span,
                                  label="on a composite layer",
                                  help="apply the tied layer on its own: `logits = Dense(768 => "
                                       "50257; bias=false, tie=wte)(h)`")
        return Apply(node.span, layer, self.arguments(node, node.args, layer), tie)

    def tie(self, call: ast.Node) -> tuple[ast.Node, ValueRef | None]:
        """`Dense(768 => 50257; bias=false, tie=wte)`: the call without `tie=`, and the value
        named (an earlier statement, whose layer's weight this layer shares: check.py checks
        the shapes, the back end makes them one Parameter)."""
        if not isinstance(call, ast.Call):
            return call, None
        ties = [k for k in call.keywords if k.name == "tie"]
        if not ties:
            return call, None
        k = ties[0]
        if not isinstance(k.value, ast.Name) or k.value.id not in self.defined:
            what = k.value.id if isinstance(k.value, ast.Name) else k.value.span.text
            raise self.lw.problem("E0100", f"`tie=` names no value: `{what}`", k.value.span,
                                  label="not a value of this graph body",
                                  help=(did_you_mean(what, list(self.defined)) or "") +
                                  " `tie=` names an earlier statement made by one layer, whose "
                                  "weight this layer shares: `wte = Embedding(50257 => 768)(tokens)` "
                                  "… `Dense(768 => 50257; bias=false, tie=wte)(h)`")
        self.used.add(k.value.id)
        rest = tuple(a for a in call.args if a is not k)
        return ast.Call(call.span, call.func, call.func_span, rest), ValueRef(k.span, k.value.id)

    def v_call(self, node: ast.Call) -> Term:
        if node.func == "cat":
            return self.cat(node)
        if node.func == "Parameter":
            return self.parameter(node)
        if node.func in FUNCTIONS:
            # `max(a, b)` of two values would be an element-wise maximum: not a layer we have.
            raise self.lw.problem("E0109", f"`{node.func}` computes a number, not a value",
                                  node.func_span, label="an integer function",
                                  help=f"use it in a layer's arguments: `Dense(_ => {node.func}(...))(h)`")
        if node.func in self.defined:
            raise self.lw.problem("E0109", f"`{node.func}` is a value, not a layer", node.func_span,
                                  label="a value", help="apply a layer to it: `Dense(_ => 10)"
                                                        f"({node.func})`")
        if self.is_value(node):
            # `relu(h)`, `flatten(h)`, `Res(h)` (a block whose parameters have defaults): the
            # bare name, applied to the values.
            bare = ast.Name(node.func_span, node.func)
            layer = self.lw.term(bare, self.lw_env())
            return Apply(node.span, layer, self.arguments(node, node.args, layer))
        for a in node.positional:
            if isinstance(a, ast.Name) and a.id not in self.defined and not self._known(a):
                # `relu(q)` with `q` misspelt: the name is what is wrong, not the application.
                raise self.lw.problem("E0100", f"unknown value `{a.id}`", a.span, label="not defined",
                                      help=did_you_mean(a.id, list(self.defined)) or
                                      "values defined so far: " + ", ".join(self.defined))
        last = list(self.defined)[-1]
        raise self.not_a_value(node, help_=f"apply the layer to a value: `{node.span.text}({last})`")

    def _known(self, name: ast.Name) -> bool:
        """Whether a name means something outside the graph body (a layer, a constant …)."""
        try:
            self.lw.value(name, self.lw_env())
        except Problem as p:
            return p.diagnostic.code != "E0100"
        return True

    def arguments(self, node: ast.Node, args, layer: Term) -> list[Term]:
        for a in args:
            if isinstance(a, ast.Keyword):
                raise self.lw.problem("E0101", "a layer is applied to values, not keywords",
                                      a.name_span, label="unexpected keyword",
                                      help="give keyword arguments to the layer: `Dense(_ => 10; "
                                           "bias=false)(h)`")
        if not args:
            raise self.lw.problem("E0102", "a layer applied to no value", node.span,
                                  help="write the values in the second parentheses: `Dense(_ => 10)(h)`")
        values = [self.value(a) for a in args]
        if len(values) > 1 and isinstance(layer, Leaf) and layer.layer.arity == 1:
            raise self.lw.problem("E0102", f"`{layer.layer.kind}` takes one input, given "
                                  f"{len(values)}", args[1].span, label="unexpected input",
                                  help="join values first: `a + b`, `a * b` or `cat(a, b)`")
        if len(values) > 1 and not isinstance(layer, (Leaf, Broken)):
            raise self.lw.problem("E0102", f"a composite layer takes one input, given {len(values)}",
                                  args[1].span, label="unexpected input",
                                  help="join values first: `a + b`, `a * b` or `cat(a, b)`")
        return values

    def cat(self, node: ast.Call) -> Term:
        dims = None
        for k in node.keywords:
            if k.name not in ("dims", "dim"):
                raise self.lw.problem("E0101", f"cat has no keyword `{k.name}`", k.name_span,
                                      label="unknown keyword", help="write cat(a, b; dims=1)")
            try:
                dims = A.whole(self.lw.value(k.value, self.lw_env()), "a dimension")
            except ArgProblem as err:
                raise self.lw.from_arg_problem(err, node.span)
        spans = {"dims": node.keywords[0].value.span} if node.keywords else {}
        values = [self.value(a) for a in node.positional]
        if not values:
            raise self.lw.problem("E0102", "cat of no values", node.span, help="write cat(a, b)")
        return Apply(node.span, Leaf(node.span, Concat(dims=dims), spans), values)

    def parameter(self, node: ast.Call) -> Term:
        positional = [self.lw.value(a, self.lw_env()) for a in node.positional]
        keywords = [(k.name, k.name_span, self.lw.value(k.value, self.lw_env())) for k in node.keywords]
        try:
            layer, spans = bind(REGISTRY["Parameter"], "Parameter", node.span, positional, keywords)
        except ArgProblem as err:
            raise self.lw.from_arg_problem(err, node.span)
        return Apply(node.span, Leaf(node.span, layer, spans), [])

    @staticmethod
    def lw_env():
        return Env()
