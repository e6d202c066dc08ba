"""The grammar: every form of LANGUAGE.md parses, with spans; the parser is LALR."""
from __future__ import annotations

import pytest

from archlang.source import Source
from archlang.syntax import ast, parse
from archlang.syntax.parser import lark_parser


def p(text: str) -> ast.Module:
    module = parse(Source("t.arch", text))
    assert isinstance(module, ast.Module), str(module)
    return module


def body(text: str):
    return p(text).models[0].body


def test_the_parser_is_lalr():
    assert lark_parser().options.parser == "lalr"


def test_the_design_example_parses():
    module = p('''
# specs/model2.arch — the two-convolution digit classifier of the book (§5.4.3)
model model2(x: 28×28×1) = Chain(
    Conv((5, 5), 1 => 8, relu),     # 24×24×8
    MaxPool((2, 2)),                # 12×12×8
    Conv((3, 3), 8 => 16, relu),    # 10×10×16
    MaxPool((2, 2)),                # 5×5×16
    flatten,                        # 400
    Dense(400, 10),
)

model model1(x: 784) = Chain(Dense(784, 200, relu), Dense(200, 100, tanh), Dense(100, 10))
''')
    assert [m.name for m in module.models] == ["model2", "model1"]
    chain = module.models[0].body
    assert chain.func == "Chain" and len(chain.args) == 6


@pytest.mark.parametrize("shape, dims", [
    ("28×28×1", (28, 28, 1)), ("28 × 28 × 1", (28, 28, 1)), ("28x28x1", (28, 28, 1)),
    ("1000000×2", (1_000_000, 2)), ("10^6×2", None), ("16×12×8×1", (16, 12, 8, 1)), ("784", None),
])
def test_shapes(shape, dims):
    m = p(f"model m(x: {shape}) = relu").models[0]
    if dims is not None:
        node = m.input_shape
        got = node.dims if isinstance(node, ast.AsciiShape) else tuple(d.value for d in node.dims)
        assert got == dims


def test_ascii_shape_is_one_token_with_a_span():
    node = p("model m(x: 28x28x1) = relu").models[0].input_shape
    assert isinstance(node, ast.AsciiShape) and node.span.text == "28x28x1"


@pytest.mark.parametrize("expr, op_tree", [
    ("1 + 2 * 3", ("+", 1, ("*", 2, 3))),
    ("2 ^ 3 ^ 2", ("^", 2, ("^", 3, 2))),          # right associative
    ("12 ÷ 2 - 1", ("-", ("÷", 12, 2), 1)),
    ("7 // 2 * 2", ("*", ("//", 7, 2), 2)),
    ("(1 + 2) * 3", ("*", ("+", 1, 2), 3)),
])
def test_operator_precedence(expr, op_tree):
    def tree(n):
        if isinstance(n, ast.Number):
            return n.value
        return (n.op, tree(n.left), tree(n.right))
    call = body(f"model m(x: 1) = Dense({expr}, 1)")
    assert tree(call.args[0]) == op_tree


def test_pairs_tuples_keywords_trailing_commas_and_semicolons():
    call = body("model m(x: 1) = Conv((5,), _ => 8, relu; stride=(1,), pad = 2,)")
    kernel, pair, act, stride, pad = call.args
    assert isinstance(kernel, ast.Tuple) and len(kernel.items) == 1
    assert isinstance(pair, ast.Pair) and isinstance(pair.left, ast.Infer)
    assert isinstance(act, ast.Name) and act.id == "relu"
    assert (stride.name, pad.name) == ("stride", "pad")
    assert pad.span.text == "pad = 2"


def test_numbered_lines_need_no_commas():
    chain = body("""model vgg(x: 224×224×3) = Chain(
1:  Conv((3, 3), 3=>64, relu)
2:  Conv((3, 3), 64=>64, relu)
3:  MaxPool((2, 2), pad = (0, 0, 0, 0), stride = (2, 2))
22: flatten   # printed as #44
28: softmax
)""")
    assert [a.label for a in chain.args] == [1, 2, 3, 22, 28]
    assert chain.args[0].expr.func == "Conv"


def test_join_operators_blocks_imports_and_train_sections():
    module = p('''
import "std/resnet.arch"
block Res(c, s=1) = SkipConnection(Conv((3, 3), c => c, pad=1), +)
model m(x: 8×8×4) = Chain(Res(4), Parallel(cat, relu, identity))
train m {
    data = mnist("data/mnist")
    loss = crossentropy
    optimizer = Adam(lr = 0.005)
    batch = 1000
    epochs = 20
}
''')
    assert module.imports[0].path == "std/resnet.arch"
    (block,) = module.blocks
    assert [q.name for q in block.params] == ["c", "s"] and block.params[1].default.value == 1
    assert isinstance(block.body.args[1], ast.JoinOp)
    (train,) = module.trains
    assert [s.name for s in train.settings] == ["data", "loss", "optimizer", "batch", "epochs"]


def test_numbers():
    call = body("model m(x: 1) = Dense(10_000, 1, relu; init=\"kaiming_normal\")")
    assert call.args[0].value == 10_000
    assert body("model m(x: 1) = Dropout(0.5)").args[0].value == 0.5
    assert body("model m(x: 1) = Dropout(5e-1)").args[0].value == 0.5


def test_spans_point_at_the_text():
    text = "model m(x: 784) = Dense(784, 10)"
    call = body(text)
    assert call.span.text == "Dense(784, 10)"
    assert call.func_span.text == "Dense"
    assert (call.span.line, call.span.column) == (1, 19)


def test_empty_file_and_comments_only_parse():
    assert p("").definitions == ()
    assert p("# nothing here\n\n   # at all\n").definitions == ()


def test_no_state_outlives_a_parse():
    # One transformer serves every parse; ids of bracketed nodes from an earlier parse could be
    # reused by a later one's nodes and turn -2^2 into (-2)^2 (found by the formatter's tests).
    from archlang.syntax.parser import _ast_parser, parse
    from archlang.source import Source
    parse(Source("a", "model m(x: 4) = Dense(4, (-2)^2 + (1))"))
    assert not _ast_parser()[1]._bracketed
    import archlang
    assert archlang.check_text("model m(x: 4) = Dense(4, -2^2 + 7)").model().output_shape == (3,)
