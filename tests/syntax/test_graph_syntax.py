"""The grammar of graph bodies and model headers with several inputs."""
from __future__ import annotations

import pytest

from archlang.source import Source
from archlang.syntax import ast, parse


def parsed(text: str) -> ast.Module:
    module = parse(Source("t.arch", text))
    assert isinstance(module, ast.Module), str(module)
    return module


def test_a_header_with_several_inputs():
    (m,) = parsed("model two(img: 32×32×3, side: 10,) = { return img }").models
    assert [(i.name, i.shape.span.text) for i in m.inputs] == [("img", "32×32×3"), ("side", "10")]
    assert (m.input_name, m.input_shape.span.text) == ("img", "32×32×3")


def test_statements_apply_and_return():
    (m,) = parsed("""model m(x: 4) = {
        h = Dense(4 => 8)(x); g = relu(h), k = h + g * h
        return k, Dense(8 => 2)(k)
    }""").models
    body = m.body
    assert isinstance(body, ast.GraphBody)
    assert [s.name for s in body.statements] == ["h", "g", "k"]
    h = body.statements[0].value
    assert isinstance(h, ast.Apply) and h.layer.func == "Dense" and h.args[0].id == "x"
    assert isinstance(body.statements[1].value, ast.Call)          # relu(h): lowered as a value
    k = body.statements[2].value
    assert isinstance(k, ast.BinOp) and k.op == "+" and k.right.op == "*"
    assert [v.span.text for v in body.returns.values] == ["k", "Dense(8 => 2)(k)"]


def test_a_layer_body_still_parses_as_before():
    (m,) = parsed("model m(x: 28×28×1) = Chain(Conv((5, 5), 1 => 8, relu), flatten)").models
    assert isinstance(m.body, ast.Call) and m.inputs[0].name == "x"


def test_a_body_without_return_is_a_syntax_error():
    d = parse(Source("t.arch", "model m(x: 4) = { h = relu(x) }"))
    assert not isinstance(d, ast.Module) and d.code.startswith("E00")


def test_the_examples_of_the_graph_sections_of_language_md_check():
    import re
    from pathlib import Path

    import archlang
    doc = (Path(__file__).resolve().parents[2] / "docs" / "language.md").read_text()
    section = doc[doc.index("### Graph bodies"):doc.index("### Imports")]
    # Fenced blocks in pairs; the spec ones have no language (```python shows PyTorch code).
    blocks = [text for lang, text in re.findall(r"```(\w*)\n(.*?)```", section, flags=re.S) if not lang]
    assert blocks
    for text in blocks:
        result = archlang.check(text)
        assert result.ok and result.models, [str(d) for d in result.diagnostics]


@pytest.mark.parametrize("text, code, message", [
    ("model m(x: 4) = {\n  h = relu(x)\n}", "E0020", "the graph body of `m` has no `return`"),
    ("model m(x: 4) = {\n  h = relu(x)\n  g =\n}", "E0011", "expected a value after `=`, found `}`"),
])
def test_graph_body_syntax_mistakes_are_named(text, code, message):
    d = parse(Source("t.arch", text))
    assert (d.code, d.message) == (code, message)
