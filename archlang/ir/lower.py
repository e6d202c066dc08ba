"""AST → layer terms: evaluate expressions, expand blocks, check calls against the registry.

Errors never stop the whole file: a chain item that fails becomes a `Broken` term after its
diagnostic is recorded, so every independent mistake in a spec is reported at once.
"""
from __future__ import annotations

import math

from ..diagnostics import Diagnostic, Diagnostics, Label, Problem, release_reserve, working_on
from ..functions import FUNCTIONS, Function, apply as apply_function
from ..hints import known_layers
from ..limits import MAX_BLOCK_DEPTH, MAX_NODES, MAX_PROGRAM_NODES
from ..layers import REGISTRY
from ..layers import args as A
from ..layers.activation import Activation as ActivationLayer
from ..layers.base import ArgProblem
from ..layers.bind import bind
from ..layers.structural import JOIN_TEXT
from ..layers.shape import DTYPE_ALIASES, DTYPES, FLOAT, Shape
from ..records import dataclass, field, replace
from ..source import Span
from ..suggest import did_you_mean
from ..symbolic import SymInt
from ..syntax import ast
from ..vocabulary import CONSTANTS, JOINS, STRUCTURAL
from .graph import TooManyNodes
from .names import body_names, name_problem
from .terms import BlockCall, Broken, Leaf, Par, Repeat, Seq, Skip, Term

MAX_INT = 2 ** 63 - 1

# AST class → its Lowerer method (`Call` → `v_call`), found once per class.
_VISITORS: dict[type, object] = {}


@dataclass
class Env:
    """Values of block parameters while a block body is evaluated."""

    values: dict[str, A.Arg] = field(default_factory=dict)


@dataclass(frozen=True)
class Frame:
    """A block call being expanded: for recursion checks and 'in block X called at' labels."""

    name: str
    span: Span


class Lowerer:
    def __init__(self, blocks: dict[str, ast.BlockDef], diags: Diagnostics,
                 constants: dict[str, A.Arg] | None = None):
        self.blocks = blocks
        self.diags = diags
        # The file's `param` values at the point being lowered (ir/space.py): names every
        # model, block and train section sees, below a block's own parameters.
        self.constants = constants or {}
        self.stack: list[Frame] = []
        self.terms = 0           # terms evaluated for the current model (bounded by MAX_NODES)
        self.earlier_terms = 0   # ... for the file's earlier models (with them: MAX_PROGRAM_NODES)
        self.term_limit = MAX_NODES
        self.bodies: dict = {}   # (block, typed arguments) → its body term (kept for the file)
        self.named: set[int] = set()   # name spans already diagnosed (ir/names.py)

    def start_model(self) -> None:
        """Count the terms of a new model: at most MAX_NODES, and with the terms of the
        earlier models (whose block bodies stay cached) at most MAX_PROGRAM_NODES."""
        self.earlier_terms += self.terms
        self.terms = 0
        self.term_limit = min(MAX_NODES, MAX_PROGRAM_NODES - self.earlier_terms)

    def model_body(self, node: ast.Node) -> Term:
        """The term of a model's body. Blocks calling blocks twice, 40 levels deep, would
        evaluate 2^40 terms: more than MAX_NODES is refused (TooManyNodes), as the graph
        builder refuses more nodes."""
        self.start_model()
        body = self.term(node, Env())
        for d in body_names(body, self.named):
            self.diags.add(d)
        return body

    # ---- diagnostics -------------------------------------------------------------------
    def problem(self, code: str, message: str, span: Span | None, **kw) -> Problem:
        """A Problem for `span`, labelled with the block calls that led there."""
        return Problem(self.in_context(Diagnostic(code, message, span, **kw)))

    def in_context(self, d: Diagnostic) -> Diagnostic:
        labels = list(d.labels)
        notes = list(d.notes)
        for frame in reversed(self.stack):
            if d.span is not None and frame.span.source is d.span.source:
                labels.append(Label(frame.span, f"in `{frame.name}` called here"))
            else:
                notes.append(f"in `{frame.name}` called at {frame.span.location()}")
        return Diagnostic(d.code, d.message, d.span, d.label, tuple(labels), tuple(notes),
                          d.help, d.severity)

    def from_arg_problem(self, err: ArgProblem, call_span: Span) -> Problem:
        return self.problem(err.code, err.message, err.span or call_span, label=err.label,
                            help=err.help)

    # ---- values ------------------------------------------------------------------------
    def value(self, node: ast.Node, env: Env) -> A.Arg:
        """Evaluate an expression to an Arg (a value with its span).

        Arithmetic (`BinOp`, `Neg`) is evaluated with an explicit stack: a 10^5-term sum or
        thousands of unary minus signs must not exhaust Python's recursion limit.
        """
        method = _VISITORS.get(type(node))
        if method is None:
            cls = type(node)
            method = _VISITORS[cls] = (Lowerer._arithmetic if cls in (ast.BinOp, ast.Neg) else
                                       getattr(Lowerer, "v_" + cls.__name__.lower()))
        return method(self, node, env)

    def _arithmetic(self, root: ast.BinOp | ast.Neg, env: Env) -> A.Arg:
        """Post-order walk of an operator tree; operands left to right, as written."""
        todo: list[tuple[ast.Node, bool]] = [(root, False)]
        done: list[A.Arg] = []
        while todo:
            node, ready = todo.pop()
            if isinstance(node, ast.BinOp):
                if ready:
                    right = done.pop()
                    done.append(self._binop(node, done.pop(), right))
                else:
                    todo += [(node, True), (node.right, False), (node.left, False)]
            elif isinstance(node, ast.Neg):
                if ready:
                    done.append(self._neg(node, done.pop()))
                else:
                    todo += [(node, True), (node.operand, False)]
            else:
                done.append(self.value(node, env))
        return done[0]

    def v_number(self, node: ast.Number, env) -> A.Arg:
        if isinstance(node.value, int) and node.value > MAX_INT:
            raise self.problem("E0203", "number too large", node.span, label="more than 2⁶³")
        return A.Arg(node.value, node.span)

    def v_asciishape(self, node: ast.AsciiShape, env) -> A.Arg:
        return A.Arg(A.ShapeValue(node.dims), node.span)

    def v_string(self, node: ast.String, env) -> A.Arg:
        return A.Arg(node.value, node.span)

    def v_infer(self, node: ast.Infer, env) -> A.Arg:
        return A.Arg(A.INFER, node.span)

    def v_tuple(self, node: ast.Tuple, env) -> A.Arg:
        return A.Arg(tuple(self.value(item, env) for item in node.items), node.span)

    def v_pair(self, node: ast.Pair, env) -> A.Arg:
        return A.Arg(A.Pair(self.value(node.left, env), self.value(node.right, env)), node.span)

    def v_joinop(self, node: ast.JoinOp, env) -> A.Arg:
        return A.Arg(A.Join("add" if node.op == "+" else "mul"), node.span)

    def v_numbered(self, node: ast.Numbered, env) -> A.Arg:
        raise self.problem("E0012", "numbered lines belong directly inside a `Chain(...)`", node.span,
                           help="remove the `N:` label")

    def v_apply(self, node: ast.Apply, env) -> A.Arg:
        # `Dense(1, 1) (1)`: application is for graph bodies; in a list it is a lost comma.
        raise self.problem("E0003", "a layer applied to values outside a graph body",
                           Span(node.span.source, node.span.source.text.index("(", node.layer.span.end),
                                node.span.end),
                           label="expected `,` before this",
                           help="separate layers with commas; to apply a layer to a value, write "
                                "the model's body as a graph: `= { h = Dense(_ => 10)(x) return h }`")

    def v_keyword(self, node: ast.Keyword, env) -> A.Arg:
        raise self.problem("E0101", f"keyword `{node.name}` is not allowed here", node.name_span)

    def v_shape(self, node: ast.Shape, env) -> A.Arg:
        dims = []
        for d in node.dims:
            arg = self.value(d, env)
            if isinstance(arg.value, A.ShapeValue):
                dims.extend(arg.value.dims)
                continue
            try:
                dims.append(A.size(arg))
            except ArgProblem as err:
                raise self.from_arg_problem(err, node.span)
        return A.Arg(A.ShapeValue(tuple(dims)), node.span)

    def v_neg(self, node: ast.Neg, env) -> A.Arg:
        return self._arithmetic(node, env)

    def v_binop(self, node: ast.BinOp, env) -> A.Arg:
        return self._arithmetic(node, env)

    def _neg(self, node: ast.Neg, arg: A.Arg) -> A.Arg:
        if isinstance(arg.value, bool) or not isinstance(arg.value, (int, float)):
            raise self.problem("E0103", f"cannot negate {A.describe(arg.value)}", node.span)
        return A.Arg(-arg.value, node.span)

    def _binop(self, node: ast.BinOp, left: A.Arg, right: A.Arg) -> A.Arg:
        for side in (left, right):
            if isinstance(side.value, bool) or not isinstance(side.value, (int, float)):
                raise self.problem("E0103", f"`{node.op}` needs numbers, found {A.describe(side.value)}",
                                   side.span, label="not a number")
        a, b, op = left.value, right.value, node.op
        if op in ("/", "÷", "//") and b == 0:
            raise self.problem("E0204", "division by zero", node.span, label="divides by zero")
        try:
            v = self._apply(op, a, b, node)
        except (OverflowError, ZeroDivisionError):
            # Float overflow (1e308^2) and 0.0^-1 are all Python raises here.
            v = float("inf")
        if isinstance(v, complex):
            raise self.problem("E0203", f"{_num(a)} ^ {_num(b)} is not a real number", node.span,
                               label="a negative number to a fractional power")
        return self._in_range(v, node.span)

    def _in_range(self, v: int | float, span: Span) -> A.Arg:
        """A computed number, if finite and within 2⁶³ (else E0203)."""
        if isinstance(v, float) and not math.isfinite(v):
            raise self.problem("E0203", "number too large", span,
                               label="beyond the largest floating-point number")
        if isinstance(v, int) and abs(v) > MAX_INT:
            raise self.problem("E0203", "number too large", span, label="more than 2⁶³")
        return A.Arg(v, span)

    def _apply(self, op: str, a, b, node: ast.BinOp):
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "^":
            return self._power(a, b, node)
        if op == "//":
            return a // b
        if op == "÷":
            if not (isinstance(a, int) and isinstance(b, int)) or a % b:
                raise self.problem("E0200", f"{_num(a)} ÷ {_num(b)} is not a whole number", node.span,
                                   label="inexact division",
                                   help="`÷` is exact division; use `//` to round down")
            return a // b
        # "/": exact for ints that divide, else a real number
        return a // b if isinstance(a, int) and isinstance(b, int) and a % b == 0 else a / b

    def _power(self, a, b, node):
        if a == 0 and b < 0:
            raise self.problem("E0204", "division by zero", node.span,
                               label=f"0 to the power {_num(b)} is 1/0")
        if isinstance(a, int) and isinstance(b, int):
            if b < 0:
                return a ** b          # a float: 2^-1 = 0.5
            # Refuse before computing: 10^10^10 must not hang.
            if a not in (0, 1, -1) and b * max(1, abs(a).bit_length() - 1) > 63:
                raise self.problem("E0203", "number too large", node.span, label="more than 2⁶³")
            return a ** b
        return float(a) ** float(b)

    def v_name(self, node: ast.Name, env) -> A.Arg:
        name = node.id
        if name in env.values:
            return A.Arg(env.values[name].value, node.span)
        if name in self.constants:
            return A.Arg(self.constants[name].value, node.span)
        if name in CONSTANTS:
            return A.Arg(CONSTANTS[name], node.span)
        if name == "same":
            return A.Arg(A.SAME, node.span)
        if name == "cat":
            return A.Arg(A.Join("cat"), node.span)
        act = A.activation_name(name)
        if act is not None:
            return A.Arg(A.Activation(act), node.span)
        if name in REGISTRY or name in self.blocks:
            # A bare layer or block name is a call without arguments: `flatten`, `GlobalMeanPool`.
            return A.Arg(self.call_term(ast.Call(node.span, name, node.span, ()), env), node.span)
        if name in A.MODES:
            return A.Arg(A.Symbol(name), node.span)
        if name in FUNCTIONS:
            raise self.problem("E0102", f"the function `{name}` without its arguments", node.span,
                               label="not called", help=f"call it: {FUNCTIONS[name].signature}")
        known = [*env.values, *self.constants, *REGISTRY, *self.blocks, *STRUCTURAL, *JOINS, *CONSTANTS,
                 *A.MODES, *FUNCTIONS]
        raise self.problem("E0100", f"unknown name `{name}`", node.span, label="not defined",
                           help=did_you_mean(name, known))

    def v_call(self, node: ast.Call, env) -> A.Arg:
        fn = FUNCTIONS.get(node.func)
        if fn is not None:
            return self.function_call(fn, node, env)
        if node.func == "SamePad":
            if node.args:
                raise self.problem("E0102", "SamePad takes no arguments", node.span)
            return A.Arg(A.SAME, node.span)
        act = A.activation_name(node.func)
        if act is not None:
            if node.args and node.func != "GELU":      # only GELU takes one: approximate=
                raise self.problem("E0102", f"`{node.func}` takes no arguments", node.args[0].span,
                                   help=f"write `{node.func}` or `{node.func}()`")
            if node.args:
                positional = [self.value(a, env) for a in node.positional]
                keywords = [(k.name, k.name_span, self.value(k.value, env)) for k in node.keywords]
                try:
                    act = A.gelu_form(positional, keywords)
                except ArgProblem as err:
                    raise self.from_arg_problem(err, node.span)
            return A.Arg(A.Activation(act), node.span)
        return A.Arg(self.call_term(node, env), node.span)

    def function_call(self, fn: Function, node: ast.Call, env: Env) -> A.Arg:
        """`max(a, b)`, `make_divisible(c * w, 8)`: a number, computed now (archlang/functions.py)."""
        positional = [self.value(a, env) for a in node.positional]
        keywords = [(k.name, k.name_span, self.value(k.value, env)) for k in node.keywords]
        try:
            return self._in_range(apply_function(fn, node.span, positional, keywords), node.span)
        except ArgProblem as err:
            raise self.from_arg_problem(err, node.span)

    # ---- layer terms -------------------------------------------------------------------
    def term(self, node: ast.Node, env: Env, joined: bool = False) -> Term:
        """Evaluate a layer expression; on error record it and return a Broken term.
        `joined`: the expression is a whole branch of a join (SkipConnection's layer, a
        Parallel branch), where a value without input (`Parameter`) may stand: the join
        adds it to the input (`SkipConnection(Parameter(197×768), +)`)."""
        working_on(node.span)
        self.terms += 1
        if self.terms > self.term_limit:
            raise TooManyNodes(self.in_context(
                TooManyNodes.at(node.span) if self.terms > MAX_NODES else
                TooManyNodes.in_file(node.span, None, self.earlier_terms)))
        try:
            term = self.as_term(self.value(node, env))
            if isinstance(term, Leaf) and term.layer.arity == 0 and not joined:
                name = node.func if isinstance(node, ast.Call) else term.layer.kind
                raise self.problem("E0109", f"`{name}` is a value, not a layer",
                                   getattr(node, "func_span", node.span), label="takes no input",
                                   help="join it to the input, `SkipConnection(Parameter(197×768), +)`, "
                                        "or define it in a graph body: `t = Parameter(1×768)`, then "
                                        "`cat(t, h; dims=1)` or `h + t`")
            return term
        except Problem as p:
            self.diags.add(p.diagnostic)
            return Broken(node.span)
        except MemoryError:
            release_reserve()         # room to unwind the recursion (diagnostics.memory_reserve)
            raise

    def as_term(self, arg: A.Arg) -> Term:
        v = arg.value
        if isinstance(v, Term):
            return v
        if isinstance(v, A.Activation):
            return Leaf(arg.span, ActivationLayer(fn=v.name))
        help_ = None
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            help_ = "a number on its own is not a layer; did a layer lose its name or parentheses?"
        raise self.problem("E0103", f"expected a layer, found {A.describe(v)}", arg.span,
                           label="not a layer", help=help_)

    def call_term(self, node: ast.Call, env: Env) -> Term:
        named = self._attr_keyword(node)
        if named is not None:
            keyword, attr = named
            term = self.call_term(replace(node, args=tuple(a for a in node.args if a is not keyword)), env)
            term.attr, term.attr_span = attr, keyword.value.span
            return term
        name = node.func
        if name == "Chain":
            return self.chain(node, env)
        if name == "SkipConnection":
            return self.skip(node, env)
        if name == "Parallel":
            return self.parallel(node, env)
        if name == "repeat":
            return self.repeat(node, env)
        if name in self.blocks:
            return self.block_call(node, env)
        cls = REGISTRY.get(name)
        if cls is None:
            known = [*REGISTRY, *self.blocks, *STRUCTURAL, *FUNCTIONS]
            hint = did_you_mean(name, known)
            raise self.problem("E0100", f"unknown layer `{name}`", node.func_span,
                               label="not a layer or block", help=hint or known_layers())
        positional, keywords = [], []
        for a in node.args:
            if isinstance(a, ast.Keyword) and a.name == "tie":
                # A graph body takes `tie=` off the layer it applies (ir/values.py): here it
                # names no value.
                raise self.problem("E0109", "`tie=` is written on a layer applied in a graph body",
                                   a.span, label="no value to tie to here",
                                   help="name the layers' values in a graph body: `wte = "
                                        "Embedding(50257 => 768)(tokens)` … `logits = Dense(768 => "
                                        "50257; bias=false, tie=wte)(h)`")
            if isinstance(a, ast.Keyword):
                keywords.append((a.name, a.name_span, self.value(a.value, env)))
            else:
                positional.append(self.value(a, env))
        try:
            layer, spans = bind(cls, name, node.span, positional, keywords)
        except ArgProblem as err:
            raise self.from_arg_problem(err, node.span)
        return Leaf(node.span, layer, spans)

    NAMEABLE = ("Chain", "repeat")

    def _attr_keyword(self, node: ast.Call) -> tuple[ast.Keyword, str] | None:
        """`name="fc"` on a layer, a block call, a Chain or a repeat: the compiled module's
        attribute for it (docs/language.md, "Names in the compiled module"). A block with a
        parameter called `name` keeps it as its parameter."""
        keyword = next((k for k in node.keywords if k.name == "name"), None)
        if keyword is None or (node.func in self.blocks and
                               any(p.name == "name" for p in self.blocks[node.func].params)):
            return None
        if node.func in ("SkipConnection", "Parallel"):
            raise self.problem("E0101", f"{node.func} takes no name", keyword.name_span,
                               label="not compiled as one module",
                               help="name the Chain inside it, or its layers")
        if node.func not in self.NAMEABLE and node.func not in self.blocks \
                and REGISTRY.get(node.func) is None:
            return None                     # an unknown layer: reported as such
        value = self.value(keyword.value, Env()).value
        bad = name_problem(value)
        if bad is not None:
            raise self.problem("E0103", bad[0], keyword.value.span, label="not a name", help=bad[1])
        return keyword, value

    def _no_keywords(self, node: ast.Call) -> None:
        if node.keywords:
            k = node.keywords[0]
            raise self.problem("E0101", f"{node.func} takes no keyword arguments", k.name_span,
                               label="unexpected keyword")

    def chain(self, node: ast.Call, env: Env) -> Seq:
        self._no_keywords(node)
        items = []
        for a in node.args:
            if isinstance(a, ast.Numbered):
                a = a.expr
            if isinstance(a, ast.JoinOp):
                self.diags.add(self.in_context(Diagnostic(
                    "E0103", "a join operator on its own is not a layer", a.span,
                    help="`+`, `*` and `cat` join branches: SkipConnection(layer, +) or Parallel(+, a, b)")))
                continue
            items.append(self.term(a, env))
        if not items:
            raise self.problem("E0102", "an empty Chain", node.span, label="no layers",
                               help="a Chain holds at least one layer")
        return Seq(node.span, items)

    def _join(self, arg: A.Arg) -> str:
        if isinstance(arg.value, A.Join):
            return arg.value.op
        raise self.problem("E0103", f"expected a join, `+`, `*` or `cat`, found {A.describe(arg.value)}",
                           arg.span, label="expected `+`, `*` or `cat`")

    def skip(self, node: ast.Call, env: Env) -> Skip:
        self._no_keywords(node)
        args = node.positional
        if len(args) != 2:
            raise self.problem("E0102", f"SkipConnection takes a layer and a join (`+`, `*` or `cat`), "
                               f"found {len(args)} argument{'s' if len(args) != 1 else ''}", node.span,
                               help="write SkipConnection(layer, +)")
        op_arg = self.value(args[1], env)
        op = self._join(op_arg)
        return Skip(node.span, self.term(args[0], env, joined=True), op, op_arg.span)

    def parallel(self, node: ast.Call, env: Env) -> Par:
        self._no_keywords(node)
        args = node.positional
        if len(args) < 2:
            raise self.problem("E0102", "Parallel takes a join (`+`, `*` or `cat`) and at least one branch",
                               node.span, help="write Parallel(cat, branch1, branch2, ...)")
        op_arg = self.value(args[0], env)
        op = self._join(op_arg)
        return Par(node.span, op, op_arg.span, [self.term(b, env, joined=True) for b in args[1:]])

    def repeat(self, node: ast.Call, env: Env) -> Repeat:
        self._no_keywords(node)
        args = node.positional
        if len(args) != 2:
            raise self.problem("E0102", f"repeat takes a count and a layer, found {len(args)} "
                               f"argument{'s' if len(args) != 1 else ''}", node.span,
                               help="write repeat(3, BasicBlock(64))")
        try:
            n = A.whole(self.value(args[0], env), "a repeat count")
        except ArgProblem as err:
            raise self.from_arg_problem(err, node.span)
        return Repeat(node.span, n, self.term(args[1], env))

    def block_call(self, node: ast.Call, env: Env) -> BlockCall:
        block = self.blocks[node.func]
        if len(self.stack) >= MAX_BLOCK_DEPTH:
            raise self.problem("E0110", f"blocks call blocks more than {MAX_BLOCK_DEPTH} levels deep",
                               node.span, label="too deep",
                               help=f"at most {MAX_BLOCK_DEPTH} block calls may be open at once")
        if any(f.name == block.name for f in self.stack):
            cycle = " → ".join([f.name for f in self.stack] + [block.name])
            raise self.problem("E0105", f"block `{block.name}` calls itself ({cycle})", node.span,
                               label="recursive call", help="blocks cannot be recursive; use repeat(n, ...)")
        params = {p.name: p for p in block.params}
        values: dict[str, A.Arg] = {}
        positional = node.positional
        if len(positional) > len(block.params):
            extra = positional[len(block.params)]
            raise self.problem("E0102", f"block `{block.name}` takes {len(block.params)} argument"
                               f"{'s' if len(block.params) != 1 else ''} but {len(positional)} were given",
                               extra.span, label="unexpected argument",
                               help=f"`{block.name}` is defined at {block.name_span.location()}: "
                                    f"{block.name}({', '.join(params)})")
        for p, a in zip(block.params, positional):
            values[p.name] = self.value(a, env)
        for k in node.keywords:
            if k.name not in params:
                raise self.problem("E0101", f"block `{block.name}` has no parameter `{k.name}`",
                                   k.name_span, label="unknown parameter",
                                   help=did_you_mean(k.name, params) or
                                   f"its parameters: {', '.join(params) or 'none'}")
            if k.name in values:
                raise self.problem("E0102", f"parameter `{k.name}` is given twice", k.name_span)
            values[k.name] = self.value(k.value, env)
        for p in block.params:
            if p.name not in values:
                if p.default is None:
                    raise self.problem("E0102", f"block `{block.name}` is missing its parameter "
                                       f"`{p.name}`", node.span, label=f"missing `{p.name}`",
                                       help=f"defined at {block.name_span.location()}: "
                                            f"{block.name}({', '.join(params)})")
                values[p.name] = self.value(p.default, Env(dict(values)))
        text = f"{block.name}({', '.join(_value_text(values[p.name].value) for p in block.params)})"
        args = tuple((p.name, _plain(values[p.name].value)) for p in block.params)
        # A block called again with the same arguments has the same body term (terms are
        # descriptions, built into separate nodes each time): evaluate it once. Blocks that
        # call blocks twice, 40 levels deep, are then 80 evaluations, not 2^40.
        key = (block.name, _typed(args))
        body = self.bodies.get(key)
        if body is None:
            self.stack.append(Frame(block.name, node.span))
            try:
                body = self.term(block.body, Env(values))
                for d in body_names(body, self.named):
                    self.diags.add(self.in_context(d))
            finally:
                self.stack.pop()
            self.bodies[key] = body
        return BlockCall(node.span, block.name, text, body, block.name_span, args)

    # ---- model inputs ------------------------------------------------------------------
    def input_shape(self, node: ast.Node, dtype: str | None = None, dtype_span: Span | None = None) -> Shape:
        """A model input's type: its shape expression and the dtype word after `of` (None:
        float). An unknown word is E0100 with the spelling meant (`long` → `int`)."""
        if dtype is not None and dtype not in DTYPES:
            meant = DTYPE_ALIASES.get(dtype.lower())
            hint = f"did you mean `{meant}`?" if meant else did_you_mean(dtype, DTYPES)
            raise self.problem("E0100", f"unknown dtype `{dtype}`", dtype_span, label="not a dtype",
                               help=(hint + " " if hint else "") + "an input's dtype is "
                               + ", ".join(f"`{d}`" for d in DTYPES) + " (float when not written)")
        named = self.size_names(node)
        if named is not None:
            return named if dtype is None else named.with_dtype(dtype)
        arg = self.value(node, Env())
        v = arg.value
        try:
            if isinstance(v, A.ShapeValue):
                dims = v.dims
            elif isinstance(v, tuple):
                dims = tuple(A.size(a) for a in v)
            else:
                dims = (A.size(arg),)
        except ArgProblem as err:
            raise self.from_arg_problem(err, node.span)
        if len(dims) > 4:
            raise self.problem("E0103", f"an input has at most 3 spatial dimensions and channels, "
                               f"found {len(dims)} dimensions", node.span)
        return Shape(dims, dtype or FLOAT)

    def size_names(self, node: ast.Node) -> Shape | None:
        """A shape with named sizes (`H×W×3`, `T`, `H×H×3`: one name twice is one size) as
        SymInts (archlang/symbolic.py), or None when every dim is a number or a known name
        (a constant or a `param`, which keep their values). Only a bare name that nothing
        else defines is a size variable."""
        dims = node.dims if isinstance(node, ast.Shape) else (node,)
        if not any(isinstance(d, ast.Name) and self.is_free(d.id) for d in dims):
            return None
        out = []
        for d in dims:
            if isinstance(d, ast.Name) and self.is_free(d.id):
                out.append(SymInt.var(d.id))
            else:
                try:
                    out.append(A.size(self.value(d, Env())))
                except ArgProblem as err:
                    raise self.from_arg_problem(err, node.span)
        if len(out) > 4:
            raise self.problem("E0103", f"an input has at most 3 spatial dimensions and channels, "
                               f"found {len(out)} dimensions", node.span)
        return Shape(out)

    def is_free(self, name: str) -> bool:
        """Whether `name` means nothing yet (a size variable where an input's size is read)."""
        return not (name in self.constants or name in CONSTANTS or name in ("same", "cat")
                    or A.activation_name(name) is not None or name in REGISTRY
                    or name in self.blocks or name in A.MODES or name in FUNCTIONS
                    or name in STRUCTURAL or name in JOINS)


def _num(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _value_text(v) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, float)):
        return _num(v)
    if isinstance(v, (A.Activation, A.Symbol)):
        return v.name
    if isinstance(v, tuple):
        items = [_value_text(a.value) for a in v]
        return f"({items[0]},)" if len(items) == 1 else "(" + ", ".join(items) + ")"
    if isinstance(v, A.ShapeValue):
        return "×".join(map(str, v.dims))
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, A.Join):
        return JOIN_TEXT[v.op]
    return "…"


def _typed(v):
    """A hashable key of plain block arguments in which `true` ≠ 1 and 2 ≠ 2.0."""
    if isinstance(v, tuple):
        return tuple(_typed(x) for x in v)
    return (type(v).__name__, v)


def _plain(v):
    """A block argument as plain Python: int, float, bool, str, tuple; activations by name."""
    if isinstance(v, tuple):
        return tuple(_plain(a.value) for a in v)
    if isinstance(v, (A.Activation, A.Symbol)):
        return v.name
    if isinstance(v, A.ShapeValue):
        return v.dims
    if isinstance(v, A.Join):
        return JOIN_TEXT[v.op]
    return v
