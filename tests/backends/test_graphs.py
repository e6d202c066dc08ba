"""Compiled graph bodies and sequence layers against hand-written PyTorch with copied weights."""
from __future__ import annotations

import pytest
import torch
import torch.nn as nn

import archlang
from conftest import FIXTURES

from .helpers import compiled, param_count

TWO_HEADS = FIXTURES / "graphs" / "two_heads.arch"


def test_two_heads_return_a_tuple_in_return_order():
    report, gen, m = compiled(TWO_HEADS, "loc")
    assert type(m).output_names == ("box", "cls")
    x = torch.randn(2, 1, 64, 64)
    box, cls = m.eval()(x)
    h = torch.flatten(nn.functional.max_pool2d(torch.relu(m.conv1(x)), 2), 1)
    assert torch.allclose(box, m.box(h), atol=1e-6)
    assert torch.allclose(cls, torch.softmax(m.cls(h), dim=1), atol=1e-6)
    assert param_count(m) == report.params


def test_two_inputs_are_forward_arguments_named_after_them():
    report, gen, m = compiled(TWO_HEADS, "two")
    assert "def forward(self, img, side):" in gen.source
    img, side = torch.randn(3, 3, 32, 32), torch.randn(3, 10)
    out, f = m.eval()(img, side)
    f_ref = torch.relu(m.conv1(img)).mean(dim=(2, 3))
    ref = m.fc1(torch.cat([torch.relu(f_ref) * f_ref, side], dim=1))
    assert torch.allclose(f, f_ref, atol=1e-6) and torch.allclose(out, ref, atol=1e-5)
    assert type(m).output_names == ("out", "f")


def test_attention_equals_pytorchs_on_the_transposed_sequence():
    # The input comes channels first (N×C×L), attention works on N×L×C and its output, the
    # model's, stays so: one transpose, where the input meets the attention.
    report, gen, m = compiled("model m(x: 7×16) = MultiHeadAttention(16, 4)")
    assert "x = self.attention1(x.transpose(1, 2))  # N×7×16" in gen.source
    ref = nn.MultiheadAttention(16, 4, batch_first=True)
    ref.load_state_dict(m.attention1.state_dict())
    x = torch.randn(2, 16, 7)                       # N×C×L
    t = x.transpose(1, 2)
    want = ref(t, t, t, need_weights=False)[0]      # N×L×C
    assert torch.allclose(m.eval()(x), want, atol=1e-6)
    assert param_count(m) == 4 * 16 * 16 + 4 * 16 == report.params


def test_cross_attention_takes_q_and_kv():
    _, _, m = compiled("model m(q: 5×8, kv: 9×8) = { return MultiHeadAttention(8, 2)(q, kv) }")
    ref = nn.MultiheadAttention(8, 2, batch_first=True)
    ref.load_state_dict(m.attention1.state_dict())
    q, kv = torch.randn(2, 8, 5), torch.randn(2, 8, 9)
    want = ref(q.transpose(1, 2), kv.transpose(1, 2), kv.transpose(1, 2), need_weights=False)[0]
    assert torch.allclose(m.eval()(q, kv), want, atol=1e-6)


def test_dense_per_token_is_linear_on_the_last_dim():
    _, _, m = compiled("model m(x: 5×6) = Dense(6 => 3, relu)")
    x = torch.randn(2, 6, 5)
    assert torch.allclose(m(x), torch.relu(m.fc1(x.transpose(1, 2))))       # N×L×C


def test_layernorm_per_token():
    _, _, m = compiled("model m(x: 5×6) = LayerNorm(6, eps=1e-6)")
    with torch.no_grad():
        m.ln1.weight.normal_()
    x = torch.randn(2, 6, 5)
    want = nn.functional.layer_norm(x.transpose(1, 2), (6,), m.ln1.weight, m.ln1.bias, 1e-6)
    assert torch.allclose(m(x), want, atol=1e-6)


def test_select_and_cat_along_tokens():
    _, _, m = compiled("model m(x: 4×3, y: 2×3) = { t = cat(x, y; dims=1) return Select(5)(t), t }")
    x, y = torch.randn(2, 3, 4), torch.randn(2, 3, 2)
    first, t = m(x, y)
    assert torch.equal(t, torch.cat([x, y], dim=2)) and torch.equal(first, y[:, :, 0])


def test_select_along_an_image_axis_is_the_same_element():
    _, _, m = compiled("model m(x: 4×3×2) = Select(3)")          # w = 3 of W×H×C
    x = torch.randn(2, 2, 3, 4)                                    # N×C×H×W
    assert torch.equal(m(x), x[:, :, :, 2])


def test_parameters_are_learned_and_shared_by_the_batch():
    report, gen, m = compiled('model m(x: 3×4) = { t = cat(Parameter(1×4; init="ones"), x; dims=1) '
                              'return t + Parameter(4×4) }')
    assert param_count(m) == 4 + 16 == report.params
    x = torch.randn(5, 4, 3)
    y = m(x)
    assert y.shape == (5, 4, 4) and torch.equal(y[:, :, 0], torch.ones(5, 4))
    y.sum().backward()
    assert all(p.grad is not None for p in m.parameters())


def test_a_parameter_joined_in_a_block_is_an_attribute_of_its_class():
    # torchvision's ViT keeps its position embedding in the encoder: `encoder.pos_embedding`.
    spec = ('block Encoder(d) = Chain(SkipConnection(Parameter(5×d; init="normal", '
            'name="pos_embedding"), +), LayerNorm(d; name="ln"))\n'
            'model m(x: 5×8) = Chain(Dense(8 => 8; name="fc"), Encoder(8; name="encoder"))')
    report, gen, m = compiled(spec)
    assert param_count(m) == report.params == 72 + 40 + 16
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == [
        ("fc.weight", (8, 8)), ("fc.bias", (8,)), ("encoder.pos_embedding", (1, 5, 8)),
        ("encoder.ln.weight", (8,)), ("encoder.ln.bias", (8,))]
    x = torch.randn(3, 8, 5)
    h = m.fc(x.transpose(1, 2)) + m.encoder.pos_embedding
    assert torch.equal(m(x), m.encoder.ln(h))
    # Its receptive field is the other side's: the tensor reads no input.
    rows = archlang.analyze("model m(x: 8×8×3) = Chain(Conv((3, 3), 3 => 4), "
                            "SkipConnection(Parameter(6×6×4), +))").layers
    assert [r.rf.size if r.rf else None for r in rows] == [(3, 3), None, (3, 3)]


def test_a_parameter_that_no_join_takes_is_a_value_not_a_layer():
    result = archlang.check("model m(x: 5×8) = Chain(Dense(8 => 8), Parameter(5×8))")
    (err,) = result.diagnostics
    assert (err.code, err.span.text) == ("E0109", "Parameter")
    assert "SkipConnection(Parameter(197×768), +)" in err.help


def test_patch_embedding_order_matches_pytorchs_flatten():
    # torchvision's ViT: conv → x.reshape(n, c, h·w) → permute; token w + W·h.
    _, _, m = compiled("model m(x: 8×8×3) = Chain(Conv((4, 4), 3 => 5, stride=4), reshape(4, 5))")
    x = torch.randn(2, 3, 8, 8)
    want = m.conv1(x).reshape(2, 5, 4)
    assert torch.equal(m(x), want)


def test_every_submodule_has_its_static_shape():
    report, gen, m = compiled(FIXTURES / "graphs" / "vitish.arch")
    modules = dict(m.named_modules())
    seen = {}
    for name in gen.maps[report.name].submodules:
        if isinstance(modules.get(name), (nn.Linear, nn.Conv2d, nn.LayerNorm)):
            modules[name].register_forward_hook(
                lambda mod, i, o, n=name: seen.__setitem__(n, tuple(o.shape)))
    y = m.eval()(torch.randn(2, 3, 32, 32))
    assert y.shape == (2, 10)
    assert len(seen) == 6
    for name, shape in seen.items():
        node, raw = gen.maps[report.name].submodules[name]
        assert shape == (2, *(raw or gen.maps[report.name].torch_shape(node, report.infos[node].out))), name
    assert param_count(m) == report.params


def test_a_single_output_graph_body_returns_a_tensor_and_exports():
    report, gen, m = compiled(FIXTURES / "graphs" / "vitish.arch")
    assert type(m).output_names == ("out",)
    scripted = torch.jit.script(m.eval())
    x = torch.randn(2, 3, 32, 32)
    assert torch.allclose(scripted(x), m(x), atol=1e-6)


def test_api_load_of_a_graph_body():
    m = archlang.load(TWO_HEADS, "loc")
    assert m.output_names == ("box", "cls")


def test_torchscript_export_of_two_inputs_and_two_outputs(tmp_path):
    from archlang.cli import main
    path = tmp_path / "two.pt"
    assert main(["compile", str(TWO_HEADS), "--model", "two", "--to", "torchscript",
                 "-o", str(path)]) == 0
    m = torch.jit.load(str(path))
    out, f = m(torch.randn(2, 3, 32, 32), torch.randn(2, 10))
    assert tuple(out.shape) == (2, 2) and tuple(f.shape) == (2, 8)


@pytest.mark.slow
def test_onnx_export_keeps_the_input_and_output_names(tmp_path):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxscript")
    import onnx

    from archlang.cli import main
    path = tmp_path / "two.onnx"
    assert main(["compile", str(TWO_HEADS), "--model", "two", "--to", "onnx", "-o", str(path)]) == 0
    graph = onnx.load(str(path)).graph
    assert [i.name for i in graph.input] == ["img", "side"]
    assert [o.name for o in graph.output] == ["out", "f"]


def test_a_graph_body_with_a_folded_repeat_compiles():
    report, gen, m = compiled("model m(x: 8) = { h = repeat(3, Dense(8, 8, relu))(x) return h, x }")
    h, x = m(torch.randn(2, 8))
    assert h.shape == (2, 8) and param_count(m) == 3 * 72


def test_a_parameter_broadcasts_in_a_join():
    report, _, m = compiled('model m(x: 5×8) = { return x + Parameter(1×8; init="ones"), '
                            'x * Parameter(5×1) }')
    assert report.outputs == [("out", (5, 8)), ("out2", (5, 8))] and report.params == 8 + 5
    x = torch.randn(3, 8, 5)
    plus, times = m(x)
    assert torch.equal(plus, x + 1) and torch.equal(times, torch.zeros(3, 8, 5))
