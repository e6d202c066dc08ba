"""Weight tying (`tie=`): the shared weight is counted once, at its owner; check's table and
the drawing say where it went; a tie between weights of different shapes is E0314."""
from __future__ import annotations

import pytest

import archlang
from archlang.analysis import analyze_report
from archlang.draw.view import build_view
from archlang.present.table import render
from conftest import FIXTURES, errors_of, model_of

GPT2 = (FIXTURES / "tokens/gpt2_counts.arch").read_text()
TINY = (FIXTURES / "tokens/tiny_gpt.arch").read_text()


def test_gpt2_counts_its_tied_head_once():
    m = model_of(GPT2)
    assert m.params == 124_439_808                   # Hugging Face's GPT2LMHeadModel
    head = m.infos[m.model.output]
    assert head.params == 0 and head.tied_to == "wte"
    assert analyze_report(m).totals.params == 124_439_808
    untied = model_of(GPT2.replace("; bias=false, tie=wte", "; bias=false"))
    assert untied.params == 163_037_184 == 124_439_808 + 50257 * 768


def test_a_tied_dense_keeps_its_own_bias():
    m = model_of(TINY.replace("bias=false, tie=wte", "tie=wte"))
    assert m.infos[m.model.output].params == 100 and m.params == 9_568 + 100


def test_the_table_says_tied():
    text = render(model_of(TINY))
    (row,) = [line for line in text.splitlines() if line.startswith("8 ")]
    assert "logits = Dense(32 => 100, bias=false)  tied to wte" in row and "0 (tied)" in row


def test_the_drawing_links_the_tied_layers():
    m = model_of(TINY)
    view = build_view(m)
    ((owner, tied),) = view.ties
    assert owner.title.startswith("wte = Embedding") and tied.title.startswith("logits = Dense")
    assert 'style=dashed' in archlang.draw(TINY).source and "tied" in archlang.draw(TINY).source


def test_a_tie_of_the_wrong_shape():
    (err,) = errors_of(TINY.replace("Dense(32 => 100; bias", "Dense(32 => 99; bias"))
    assert err.code == "E0314"
    assert err.message == ("Dense(32 => 99, bias=false) cannot share the weight of `wte`: its "
                           "weight is 99×32, `wte`'s 100×32")
    assert err.span.text == "tie=wte" and err.labels[0].span.text == "Embedding(100 => 32)"
    assert "Dense(32 => 100; bias=false, tie=wte)" in err.help


@pytest.mark.parametrize("change, code, at", [
    (("tie=wte", "tie=wt"), "E0100", "wt"),                       # did you mean `wte`?
    (("tie=wte", "tie=f"), "E0314", "tie=f"),                     # LayerNorm's weight is 32
    (("Dense(32 => 100; bias=false, tie=wte)(f)", "Chain(Dense(32 => 100), relu; tie=wte)(f)"),
     "E0109", "tie=wte"),
    (("Dense(32 => 100; bias=false, tie=wte)(f)", "Dropout(0.1; tie=wte)(f)"), "E0314", "tie=wte"),
])
def test_ties_that_cannot_hold(change, code, at):
    errs = errors_of(TINY.replace(*change))
    assert errs[0].code == code and errs[0].span.text == at
    if code == "E0100":
        assert errs[0].help.startswith("did you mean `wte`?")


def test_json_names_dtypes_and_ties(tmp_path, capsys):
    import json

    from archlang.cli import main
    path = tmp_path / "tiny.arch"
    path.write_text(TINY)
    assert main(["check", str(path), "--json"]) == 0
    (m,) = json.loads(capsys.readouterr().out)["models"]
    assert m["inputs"] == [{"name": "tokens", "shape": [16], "dtype": "int"}]
    assert m["layers"][-1]["tied_to"] == "wte" and m["layers"][-1]["params"] == 0
    assert m["params"] == 9_568 and "tied_to" not in m["layers"][0]
    assert model_of(TINY).title() == "tiny_gpt(tokens: 16 of int) → 16×100"


def test_a_tie_outside_a_graph_body():
    (err,) = errors_of("model m(x: 4 of int) = Chain(Embedding(10 => 4), Dense(4 => 10; tie=x))")
    assert err.code == "E0109" and err.span.text == "tie=x"
    assert err.message == "`tie=` is written on a layer applied in a graph body"
    # Inside a Chain applied in a graph body, too: a tie is on the layer applied itself.
    (err,) = errors_of(TINY.replace("Dense(64 => 32))", "Dense(64 => 32; tie=wte))"))
    assert err.code == "E0109" and err.span.text == "tie=wte"
