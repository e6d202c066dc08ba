"""Graph bodies: named values, several inputs and outputs, from the spec to the report."""
from __future__ import annotations

import json

import archlang
from archlang.analysis import analyze_report
from archlang.present.table import render
from conftest import FIXTURES, model_of

TWO_HEADS = FIXTURES / "graphs" / "two_heads.arch"


def test_two_heads_report_every_output_with_hand_counted_parameters():
    report = archlang.check(TWO_HEADS).model("loc")
    assert report.inputs == [("x", (64, 64, 1))]
    assert report.outputs == [("box", (5,)), ("cls", (10,))]
    # conv 5·5·1·8 + 8 = 208; 30·30·8 = 7,200 features; box 7,200·5 + 5; cls 7,200·10 + 10
    assert report.params == 208 + 36_005 + 72_010
    assert report.output_shape == (5,)          # the first output, for single-output callers
    assert report.title() == "loc(x: 64×64×1) → box: 5, cls: 10"
    table = render(report)
    assert table.splitlines()[0] == "loc(x: 64×64×1) → box: 5, cls: 10"
    assert "box = Dense(7200 => 5)" in table and "cls = Dense(7200 => 10, softmax)" in table
    assert "outputs:              box 5, cls 10" in table


def test_two_inputs_join_in_a_cat_and_unnamed_outputs_are_out():
    report = archlang.check(TWO_HEADS).model("two")
    assert report.inputs == [("img", (32, 32, 3)), ("side", (10,))]
    assert report.outputs == [("out", (2,)), ("f", (8,))]
    assert report.params == 224 + (18 * 2 + 2)
    assert [i.index for i in report.infos if i.index == 0] == [0, 0]
    assert len(report.layers) == 7


def test_several_inputs_each_have_a_receptive_field_and_their_join_has_none():
    a = analyze_report(archlang.check(TWO_HEADS).model("two"))
    conv = a.records[2]
    assert conv.layer == "Conv((3, 3), 3 => 8, relu)" and conv.rf.size == (3, 3)
    cat = next(r for r in a.records if r.kind == "cat")
    assert cat.rf is None                     # depends on img and on side


def test_peak_memory_keeps_every_output_alive():
    report = model_of("""model m(x: 1000) = {
        a = Dense(1000 => 1000)(x)
        b = Dense(1000 => 10)(a)
        d = Dense(10 => 2000)(b)
        return a, d }""")
    a = analyze_report(report)
    # While d runs: a (kept, an output) 4,000 B + b 40 B + d 8,000 B.
    assert a.totals.peak_forward_bytes == 4000 + 40 + 8000
    assert a.totals.input_bytes == 4000


def test_json_lists_inputs_and_outputs(capsys):
    from archlang.cli import main
    assert main(["check", str(TWO_HEADS), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    two = data["models"][1]
    assert two["inputs"] == [{"name": "img", "shape": [32, 32, 3]}, {"name": "side", "shape": [10]}]
    assert two["outputs"] == [{"name": "out", "shape": [2]}, {"name": "f", "shape": [8]}]


def test_a_value_used_far_apart_is_one_node_with_two_consumers():
    report = model_of("""model m(x: 16) = {
        h = Dense(16 => 16, relu)(x)
        g = Dense(16 => 16)(h)
        return h + g }""")
    graph = report.model.graph
    h = report.model.tree.children[0].output
    assert sorted(graph.successors(h)) == [2, 3]
    assert report.outputs == [("out", (16,))]


def test_separators_are_optional_and_statements_may_share_a_line():
    report = model_of("model m(x: 4) = { a = relu(x), b = Dense(4 => 2)(a); c = tanh(b) return c, }")
    assert report.outputs == [("c", (2,))]


def test_layer_expressions_of_every_kind_apply_to_values():
    report = model_of("""
        block Res(c) = SkipConnection(Dense(c => c), +)
        block Widen(c=8) = Dense(c => c)
        model m(x: 8) = {
            a = Res(8)(x)
            b = Parallel(+, Dense(8 => 8), relu)(a)
            c = repeat(2, Res(8))(b)
            d = Widen(x)
            return cat(a, b, c, d) }""")
    assert report.outputs == [("out", (32,))]
    assert report.params == 72 * 5


def test_errors_are_positioned_and_independent():
    result = archlang.check(FIXTURES / "graphs" / "errors.arch")
    got = [(d.code, d.span.line, d.span.text) for d in result.diagnostics]
    assert ("E0108", 3, "h") in got                       # defined twice
    twice = next(d for d in result.diagnostics if d.code == "E0108" and d.span.line == 3)
    assert twice.labels[0].span.line == 2                  # ... and where it was first
    assert ("E0109", 4, "-") in got
    assert ("E0109", 6, "Dense(_ => 3)") in got           # a layer where a value is expected
    assert ("E0103", 7, '"uniform"') in got
    assert ("E0100", 9, "qq") in got
    assert ("E0003", 11, "(x)") in got                    # application outside a graph body
    assert ("E0109", 11, "Parameter") in got
    assert ("E0109", 12, "Chain(Dense(4, 4))") in got     # two inputs, a layer body
    assert ("E0108", 14, "relu") in got                   # a built-in name
    assert ("E0102", 15, "x") in got                      # Dense takes one input
    assert ("E0202", 16, "3") in got                      # cat along a dimension it lacks
    # After an error no value is reported as unused: what it would have used is unknown.
    assert not any(d.code == "W0003" for d in result.diagnostics)


def test_a_value_no_output_uses_is_warned_about():
    result = archlang.check("model m(x: 4) = { a = relu(x) b = tanh(x) return a }")
    assert result.ok
    (w,) = result.diagnostics
    assert (w.code, w.message, w.span.text) == ("W0003", "the value `b` is never used", "b")


def test_strict_checking_of_a_learned_tensor():
    # Found by tests/fuzz: --strict looked at the first input of a layer that has none.
    result = archlang.check_text("model m(x: 3×4) = { return cat(Parameter(1×4), x; dims=1) }",
                                 strict=True)
    assert result.ok and not result.diagnostics


def test_a_loss_must_name_outputs_the_model_returns():
    result = archlang.check(FIXTURES / "graphs" / "loss_names.arch")
    (err,) = result.errors
    assert (err.code, err.message, err.help) == (
        "E0100", "the loss names `clss`, which `localization` does not return", "did you mean `cls`?")
    assert (err.span.text, err.span.line, err.span.column) == ("clss", 8, 30)   # the name itself


def test_a_misspelt_value_is_named_as_unknown():
    result = archlang.check_text("model m(x: 8) = {\n    hidden = Dense(8 => 8)(x)\n"
                                 "    k = relu(hiden)\n    return k\n}")
    (err,) = result.errors
    assert (err.code, err.message, err.span.text) == ("E0100", "unknown value `hiden`", "hiden")
    assert err.help == "did you mean `hidden`?"


def test_a_learned_tensor_has_no_receptive_field_to_show():
    from archlang.present.table import render
    text = render(model_of("model m(x: 4×8) = {\n    pos = Parameter(4×8)\n    h = x + pos\n"
                           "    return h\n}"))
    row = next(line for line in text.splitlines() if "Parameter(4×8)" in line)
    assert row.rstrip().endswith("none")


def test_julias_value_first_calls_are_the_layers_applied():
    # permutedims(h, (2, 1)) is permutedims((2, 1))(h), also nested and after other values.
    report = archlang.check(FIXTURES / "graphs" / "julia_calls.arch").model("mixer_block")
    kinds = [str(i.layer) for i in report.infos[1:]]
    assert kinds == ["LayerNorm(512)", "permutedims((2, 1))", "Dense(196 => 256, gelu_erf)",
                     "Dense(256 => 196)", "permutedims((2, 1))", "+", "reshape(14×14×512)",
                     "circshift((-3, -3), dims=(1, 2))", "permutedims((2, 1, 3))", "relu"]
    assert report.outputs == [("out", (14, 14, 512))]
    assert report.params == 1024 + 196 * 256 + 256 + 256 * 196 + 196


def test_value_first_calls_report_their_arguments_and_values():
    result = archlang.check("model m(x: 6×4) = {\n  h = permutedims(x, (2, 2))\n"
                            "  g = circshift(hx, 1)\n  return h, g\n}")
    first, second = result.errors
    assert (first.code, first.span.text) == ("E0202", "(2, 2)")
    assert (second.code, second.span.text, second.message) == ("E0100", "hx", "unknown value `hx`")
