"""Token inputs (`tokens: L of int`) and Embedding: shapes, counts and dtype diagnostics; the
compiled nn.Embedding against PyTorch's own."""
from __future__ import annotations

import pytest

from archlang.analysis import analyze_report
from archlang.layers.shape import BOOL, FLOAT, INT
from conftest import FIXTURES, errors_of, model_of


@pytest.mark.parametrize("header, dtype", [
    ("tokens: 1024 of int", INT), ("mask: 128 of bool", BOOL), ("x: 28×28×1 of float", FLOAT),
    ("x: 28×28×1", FLOAT),
])
def test_an_input_declares_its_dtype(header, dtype):
    m = model_of(f"model m(y: 2, {header}) = {{ return relu(y) }}")
    (name, shape), = [i for i in m.inputs if i[0] != "y"]
    assert shape.dtype == dtype
    assert f"{name}: {shape}" == header.replace(" of float", "")


@pytest.mark.parametrize("layer", ["Embedding(50257 => 768)", "Embedding(50257, 768)"])
def test_embedding_shape_params_and_no_macs(layer):
    m = model_of(f"model lm(tokens: 1024 of int) = {layer}")
    assert tuple(m.output_shape) == (1024, 768) and m.output_shape.dtype == FLOAT
    assert m.params == 50257 * 768 == 38_597_376
    assert analyze_report(m).totals.macs == 0          # a lookup multiplies nothing
    assert str(m.infos[1].layer) == "Embedding(50257 => 768)"


def test_the_padding_id_is_0_based_and_shown():
    m = model_of("model lm(tokens: 16 of int) = Embedding(10000, 100; pad=0)")
    assert m.infos[1].layer.pad == 0 and str(m.infos[1].layer) == "Embedding(10000 => 100, pad=0)"
    (err,) = errors_of("model lm(tokens: 16 of int) = Embedding(10 => 4; pad=10)")
    assert err.code == "E0202" and err.span.text == "10" and err.span.start == 53
    assert err.help == "token ids are 0-based: 0 to 9"
    (err,) = errors_of("model lm(tokens: 16 of int) = Embedding(10 => 4; pad=-1)")
    assert err.code == "E0202"


def test_a_float_given_to_an_embedding():
    (err,) = errors_of("model m(x: 16) = Embedding(10 => 4)")
    assert err.code == "E0312"
    assert err.message == "Embedding takes integer indices but receives a vector of 16"
    assert err.span.text == "Embedding(10 => 4)"
    assert err.help.startswith("declare the input as integer indices (`tokens: 128 of int`)")


def test_token_ids_given_to_a_dense_layer():
    (err,) = errors_of("model m(tokens: 16 of int) = Dense(16 => 4)")
    assert err.code == "E0312"
    assert err.message == "Dense takes float values but receives a sequence of 16 integer indices"
    assert err.span.text == "Dense(16 => 4)"
    assert err.labels[0].span.text == "16" and err.labels[0].message == "the input is 16 of int"
    assert "Embedding(vocab => d)" in err.help


@pytest.mark.parametrize("word, meant", [("long", "int"), ("int64", "int"), ("boolean", "bool"),
                                         ("flaot", "float"), ("intt", "int")])
def test_an_unknown_dtype_says_which_was_meant(word, meant):
    (err,) = errors_of(f"model m(tokens: 16 of {word}) = identity")
    assert err.code == "E0100" and err.message == f"unknown dtype `{word}`"
    assert err.span.text == word and err.span.start == 22
    assert err.help.startswith(f"did you mean `{meant}`?")


def test_an_embedding_needs_a_sequence_of_ids():
    (err,) = errors_of("model m(tokens: 4×4 of int) = Embedding(10 => 4)")
    assert err.code == "E0303" and "a sequence of L token ids" in err.help


def test_the_fixtures_check():
    m = model_of((FIXTURES / "tokens/embedding_classifier.arch").read_text())
    assert m.params == 10000 * 100 + 100 * 2 + 2


# ---- against PyTorch ----------------------------------------------------------------------
def test_the_compiled_embedding_is_pytorchs():
    torch = pytest.importorskip("torch")
    from backends.helpers import compiled, forward_agrees, param_count

    report, gen, module = compiled("model lm(tokens: 12 of int) = Embedding(100 => 8; pad=0)")
    assert "self.embed1 = nn.Embedding(100, 8, padding_idx=0)" in gen.source
    forward_agrees(report, gen, module)
    assert param_count(module) == report.params == 800
    ref = torch.nn.Embedding(100, 8, padding_idx=0)
    ref.load_state_dict({"weight": module.embed1.weight.detach().clone()})
    ids = torch.tensor([[0, 5, 99, 3, 0, 1, 2, 7, 8, 9, 10, 11], [4] * 12])
    assert torch.equal(module(ids), ref(ids))
    assert module(ids).shape == (2, 12, 8)


def test_the_padding_row_stays_zero_after_a_training_step():
    torch = pytest.importorskip("torch")
    from backends.helpers import compiled

    _, _, module = compiled((FIXTURES / "tokens/embedding_classifier.arch").read_text())
    weight = module.embed1.weight
    assert torch.count_nonzero(weight[0]) == 0 and torch.count_nonzero(weight[1]) == 100
    opt = torch.optim.SGD(module.parameters(), lr=0.5)
    ids = torch.tensor([[0, 0, 3, 4], [1, 0, 2, 9999]])
    loss = module(ids).square().sum()
    loss.backward()
    assert torch.count_nonzero(weight.grad[0]) == 0 and torch.count_nonzero(weight.grad[3]) > 0
    before = weight[3].detach().clone()
    opt.step()
    assert torch.count_nonzero(weight[0]) == 0 and not torch.equal(weight[3], before)


# ---- learned positions --------------------------------------------------------------------
def test_gpt2_positions_are_counted_exactly():
    m = model_of((FIXTURES / "tokens/gpt_embeddings.arch").read_text())
    assert [i.params for i in m.infos[1:]] == [38_597_376, 786_432, 0]
    assert m.params == 39_383_808 and tuple(m.output_shape) == (1024, 768)
    assert str(m.infos[2].layer) == "PositionEmbedding(1024 => 768)"


def test_bert_embeddings_with_token_types():
    # Hugging Face's BertEmbeddings: 23,837,184 parameters (words, positions, types, LayerNorm).
    m = model_of((FIXTURES / "tokens/bert_embeddings.arch").read_text())
    assert m.params == 30522 * 768 + 512 * 768 + 2 * 768 + 2 * 768 == 23_837_184
    assert [s.dtype for _, s in m.inputs] == [INT, INT]


@pytest.mark.parametrize("spec", [
    "model m(x: 16×8) = SkipConnection(Positions(16 => 8), +)",            # vectors: their length
    "model m(t: 16 of int) = Chain(Embedding(5 => 8), SkipConnection(Positions(16, 8), +))",
])
def test_positions_read_the_length_of_a_sequence(spec):
    m = model_of(spec)
    assert tuple(m.output_shape) == (16, 8) and m.params - (40 if "Embedding" in spec else 0) == 128


def test_a_sequence_longer_than_the_table():
    (err,) = errors_of("model m(t: 1025 of int) = Positions(1024 => 768)")
    assert err.code == "E0313"
    assert err.message == ("a sequence of 1,025 tokens is longer than the 1,024 positions of "
                           "PositionEmbedding(1024 => 768)")
    assert err.span.text == "1024" and err.span.start == 36
    assert err.help.endswith("PositionEmbedding(1025 => 768)")
    (err,) = errors_of("model m(x: 8) = Positions(1024 => 768)")
    assert err.code == "E0303"


def test_compiled_positions_are_hugging_faces_lookup():
    torch = pytest.importorskip("torch")
    from backends.helpers import compiled, forward_agrees, param_count

    spec = (FIXTURES / "tokens/gpt_embeddings.arch").read_text().replace("1024 of", "7 of")
    report, gen, module = compiled(spec)
    assert "self.wpe = nn.Embedding(1024, 768)" in gen.source
    forward_agrees(report, gen, module)
    assert param_count(module) == report.params == 39_383_808
    ids = torch.randint(0, 50257, (3, 7))
    # GPT2Model: inputs_embeds + wpe(position_ids), position_ids = 0..L−1 for every sample.
    want = module.wte(ids) + module.wpe(torch.arange(7)).unsqueeze(0)
    assert torch.equal(module(ids), want)


def test_token_ids_take_int64_memory():
    # PyTorch's token ids are int64: 8 bytes each, whatever float dtype the analysis assumes.
    m = model_of((FIXTURES / "tokens/gpt_embeddings.arch").read_text())
    assert analyze_report(m).totals.input_bytes == 1024 * 8
    assert analyze_report(m, dtype="bf16").totals.input_bytes == 1024 * 8
    assert analyze_report(model_of("model m(x: 1024) = relu")).totals.input_bytes == 1024 * 4


def test_the_examples_of_language_md_check():
    # Every spec block of the sections on values' dtypes, embeddings, positions and weight tying.
    import re

    import archlang
    from conftest import ROOT
    doc = (ROOT / "docs/language.md").read_text("utf-8")
    def between(start, last):
        part = doc[doc.index(start):]
        return part[:part.index("\n### ", part.index(last) + 5)]
    section = between("### Values: dims, dtype and layout", "### Values") + \
        between("### Embedding", "### Weight tying")
    blocks = [text for lang, text in re.findall(r"```(\w*)\n(.*?)```", section, flags=re.S) if not lang]
    assert len(blocks) == 4
    for text in blocks:
        result = archlang.check(text)
        assert result.ok and result.models, [str(d) for d in result.diagnostics]
