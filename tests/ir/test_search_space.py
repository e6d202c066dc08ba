"""ir/space.py: a file's `param` declarations as a search space — domains, points,
sampling, --set, the spec written concrete at a point; and models lowered at a point."""
from __future__ import annotations

import pytest

import archlang
from archlang.diagnostics import Diagnostics
from archlang.ir.program import parse_program, read_source
from archlang.ir.space import SetError
from archlang.source import Source
from conftest import FIXTURES, errors_of, model_of

POOLS = FIXTURES / "sweep" / "pools.arch"


def space_of(text: str):
    diags = Diagnostics()
    program = parse_program(Source("<t>", text), diags)
    return program.space, diags


def test_domains_and_their_points():
    space, diags = space_of("param d in 2..6\nparam s in 2..10 by 3\nparam w in {32, 64, 128}\n"
                            "param a in {relu, gelu}\nparam p in 0.1..0.5\nparam q in 0.1..0.3 by 0.1\n"
                            "param c = 2 * w\n")
    assert not diags.items
    d, s, w, a, p, q = space.dimensions
    assert (d.kind, d.values()) == ("int", [2, 3, 4, 5, 6])
    assert s.values() == [2, 5, 8]                     # 11 > 10: the step stops inside the range
    assert (w.kind, w.values()) == ("choice", [32, 64, 128])
    assert a.values() == ["relu", "gelu"]              # labels: the choice as written
    assert (p.kind, p.finite, p.size) == ("float", False, None)
    assert q.values() == [0.1, 0.2, 0.3]               # not 0.30000000000000004
    assert space.names == ["d", "s", "w", "a", "p", "q", "c"]      # the constant too
    assert space.size is None                          # a continuous range
    assert space.default() == {"d": 2, "s": 2, "w": 32, "a": "relu", "p": 0.1, "q": 0.1}


def test_enumeration_is_the_product_last_fastest():
    space, _ = space_of("param d in 1..2\nparam w in {8, 16, 32}\n")
    assert space.size == 6
    assert list(space.points())[:4] == [{"d": 1, "w": 8}, {"d": 1, "w": 16}, {"d": 1, "w": 32},
                                       {"d": 2, "w": 8}]


def test_sampling_is_seeded_distinct_and_inside_the_domains():
    space, _ = space_of("param d in 1..9\nparam p in 0.25..0.5\n")
    first, again = space.sample(50, seed=3), space.sample(50, seed=3)
    assert first == again and len({tuple(x.values()) for x in first}) == 50
    assert all(1 <= x["d"] <= 9 and 0.25 <= x["p"] <= 0.5 for x in first)
    assert space.sample(50, seed=4) != first


@pytest.mark.parametrize("text, code, where", [
    ("param d in 6..2\n", "E0112", "6..2"),                    # empty
    ("param d in 1..5 by 0\n", "E0112", "0"),                  # a step must be positive
    ('param d in "a"..5\n', "E0112", '"a"'),                   # bounds are numbers
    ("param w in {8, 16, 8}\n", "E0112", "8"),                 # a repeated choice
    ("param d in 1..2\nparam d in 3..4\n", "E0104", "d"),      # declared twice
    ("param Conv in 1..2\n", "E0107", "Conv"),                 # a layer's name
    ("param relu = 3\n", "E0107", "relu"),
])
def test_wrong_declarations_are_located(text, code, where):
    (d,) = errors_of(text + "model m(x: 4) = Dense(_ => 2)\n")
    assert d.code == code and d.span.text == where


def test_a_param_in_an_imported_file_is_refused(tmp_spec):
    tmp_spec("param d in 1..2\nblock B(c) = Dense(_ => c)\n", "lib.arch")
    spec = tmp_spec('import "lib.arch"\nmodel m(x: 4) = B(2)\n')
    (d,) = archlang.check(spec).errors
    assert d.code == "E0112" and "imported file" in d.message and d.span.text == "param d in 1..2"


def test_models_see_params_as_constants_at_the_default_point():
    # The first value of each: depth 1, width 8, act relu; c = 2 · width = 16.
    m = model_of(POOLS.read_text().replace("12×12×1", "12×12×1"))
    assert m.params == 2970                            # Conv 3·3·1·8+8 = 80, Dense 6·6·8·10+10 = 2890
    m = model_of("param w in {8, 16}\nparam c = 2 * w\nmodel m(x: 4) = Dense(_ => c)\n")
    assert m.params == 4 * 16 + 16


def test_a_block_parameter_shadows_a_param():
    m = model_of("param c = 5\nblock B(c) = Dense(_ => c)\nmodel m(x: 4) = Chain(B(3), Dense(_ => c))\n")
    assert m.params == (4 * 3 + 3) + (3 * 5 + 5)


def test_check_at_a_point_and_outside_the_domain():
    result = archlang.check(POOLS, params={"depth": 2, "width": 16, "k": 5})
    assert result.ok and result.models[0].params == 7002 and result.program.point == \
        {"depth": 2, "width": 16, "k": 5}
    (d,) = archlang.check(POOLS, params={"depth": 7}).errors
    assert (d.code, d.span.text, d.span.line) == ("E0113", "1..4", 3)
    assert "`--set depth=7`" in d.message and d.help == "give one of 1, 2, 3, 4"
    (d,) = archlang.check(POOLS, params={"width": 12}).errors
    assert d.span.text == "{8, 16}"


def test_set_mistakes_are_usage_errors_with_did_you_mean():
    with pytest.raises(SetError, match="no parameter `dept` in the spec; did you mean `depth`"):
        archlang.check(POOLS, params={"dept": 2})
    with pytest.raises(SetError, match="--set depth"):
        archlang.check(POOLS, params={"depth": "2 +"})


def test_a_constant_given_another_value():
    m = archlang.check("param w in {8, 16}\nparam c = 2 * w\nmodel m(x: 4) = Dense(_ => c)\n",
                       params={"c": "w + 1"}).models[0]
    assert m.params == 4 * 9 + 9


def test_the_spec_written_concrete_at_a_point_checks_to_the_same_model(tmp_spec):
    diags = Diagnostics()
    program = parse_program(read_source(POOLS), diags)
    text = program.space.concrete_text(program.source.text, {"depth": 2, "width": 16, "k": 5})
    assert "param depth = 2\nparam width = 16\nparam k = 5\n" in text and " in " not in text.split("block")[0]
    concrete = archlang.check(tmp_spec(text))
    assert concrete.ok and concrete.models[0].params == 7002
    assert concrete.program.space.dimensions == []


def test_a_train_setting_may_name_a_param(tmp_spec):
    from archlang.api import train_settings
    spec = tmp_spec("param opt in {adam, sgd}\nparam rate in {0.01, 0.1}\n"
                    "model m(x: 4) = Dense(_ => 2)\ntrain m { optimizer = opt\n lr = rate }\n")
    assert train_settings(spec) == {"optimizer": "adam", "lr": 0.01}
    assert train_settings(spec, params={"opt": "sgd", "rate": 0.1}) == {"optimizer": "sgd", "lr": 0.1}


def test_a_range_of_2_63_values_is_never_listed():
    space, _ = space_of("param a in 0..9223372036854775806\n")
    (a,) = space.dimensions
    assert a.size == 2 ** 63 - 1 and a.values(limit=3) == [0, 1, 2]
    assert all(0 <= p["a"] < 2 ** 63 for p in space.sample(5))
    (d,) = archlang.check("param a in 0..9223372036854775806\nmodel m(x: 4) = Dense(_ => 2)\n",
                          params={"a": -1}).errors
    assert d.code == "E0113" and d.help == "give one of 0, 1, 2, 3, 4, 5, 6, 7, …"
