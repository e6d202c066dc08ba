"""Loss expressions: read once by the spec grammar (in a spec, a flag or a Python string),
lowered into weighted terms with spans; every mistake positioned at its sub-expression."""

import subprocess
import sys

import pytest

import archlang
from archlang.diagnostics import Problem
from archlang.ir.loss import Loss, LossTerm, parse_loss


def _problem(text: str, origin: str = "--loss"):
    with pytest.raises(Problem) as err:
        parse_loss(text, origin)
    return err.value.diagnostic


def test_sums_of_weighted_terms_become_typed_terms():
    loss = parse_loss("crossentropy(out) + 0.3 * crossentropy(aux1)")
    assert loss == Loss((LossTerm(1.0, "crossentropy", ("out",)), LossTerm(0.3, "crossentropy", ("aux1",))))
    assert str(loss) == "crossentropy(out) + 0.3 * crossentropy(aux1)"
    assert parse_loss("localization(box, cls)").terms == (LossTerm(1.0, "localization", ("box", "cls")),)
    assert parse_loss("mse(a) * 2").terms == (LossTerm(2.0, "mse", ("a",)),)
    assert parse_loss("0.5 * (ce(a) + 2 * mse(b))").terms == (
        LossTerm(0.5, "crossentropy", ("a",)), LossTerm(1.0, "mse", ("b",)))
    assert parse_loss("1 / 4 * ce(a)").terms == (LossTerm(0.25, "crossentropy", ("a",)),)
    assert str(parse_loss("Cross_Entropy")) == "crossentropy"          # aliases, any case
    # a thousand terms: no recursion through the sum
    many = parse_loss(" + ".join(f"mse(o{i})" for i in range(1000)))
    assert len(many.terms) == 1000 and many.terms[-1].outputs == ("o999",)


def test_spans_point_into_the_text_as_written():
    loss = parse_loss("crossentropy(out) + 0.3 * crossentropy(aux1)", "--loss")
    second = loss.terms[1]
    assert (second.span.text, second.name_span.text, second.output_spans[0].text) == (
        "crossentropy(aux1)", "crossentropy", "aux1")
    assert second.output_spans[0].location() == "--loss:1:40"


@pytest.mark.parametrize("text, code, message, where", [
    ("crossentropi(out)", "E0103", "unknown loss `crossentropi`", "crossentropi"),
    ("ce(out) + 0.3 * hinge(aux)", "E0103", "unknown loss `hinge`", "hinge"),
    ("ce(out) - mse(x)", "E0103", "`-` in a loss: only `+` and `*` by a number are allowed", "-"),
    ("ce(out) * mse(x)", "E0103", "`*` in a loss needs a number on one side", "ce(out) * mse(x)"),
    ("-0.3 * mse(x)", "E0103", "a loss's weight is a number ≥ 0", "-0.3"),
    ("ce(1)", "E0103", "the arguments of the loss `ce` must be output names", "1"),
    ("ce(out, w = 2)", "E0103", "the arguments of the loss `ce` must be output names", "w = 2"),
    ("ce()", "E0102", "`ce()` names no output", "ce()"),
    ("ce + mse(aux)", "E0103", "the loss names no output in some terms", "ce"),
    ('"ce"', "E0103", "expected a loss", '"ce"'),
    ("__import__('os')", "E0001", "unexpected `'`", "'"),
    ("ce(out", "E0005", "unclosed `ce(`", "("),
    ("ce(out) mse(aux)", "E0002", "expected one expression", "mse"),
    ("ce(out) +", "E0011", "expected a value, found the end of the text", ""),
])
def test_each_mistake_is_a_diagnostic_at_its_sub_expression(text, code, message, where):
    d = _problem(text)
    assert (d.code, d.span.source.path, d.span.source.text) == (code, "--loss", text)
    assert message in d.message
    if where:
        assert d.span.text == where
    else:
        assert d.span.start == len(text)


def test_did_you_mean_is_the_projects_own():
    assert _problem("crossentrop").help == \
        "use one of crossentropy, mse, localization, next_token (did you mean `crossentropy`?)"


def test_outputs_are_matched_by_name_with_the_engines_rule():
    loss = parse_loss("crossentropy(out) + 0.3 * crossentropy(aux1)")
    assert loss.picks(("out", "aux1")) == [(1.0, "crossentropy", (0,)), (0.3, "crossentropy", (1,))]
    # a model of one output takes a one-term loss on it whatever the name
    assert parse_loss("mse(anything)").picks(None) == [(1.0, "mse", None)]
    with pytest.raises(Problem) as err:
        loss.picks(None, "m")
    assert err.value.diagnostic.message == "the loss names outputs, but `m` has one output"
    with pytest.raises(Problem) as err:
        parse_loss("ce(out) + mse(aux)").picks(("out", "aux1"), "g")
    d = err.value.diagnostic
    assert (d.code, d.message, d.help, d.span.text) == (
        "E0100", "the loss names `aux`, which `g` does not return", "did you mean `aux1`?", "aux")


def test_a_spec_loss_is_diagnosed_where_it_is_written():
    spec = ("model g(x: 8) = {\n  out = Dense(8, 2)(x)\n  aux1 = Dense(8, 2)(x)\n  return out, aux1\n}\n"
            "train g {\n  loss = crossentropy(out) + 0.3 * mse(aux2)\n}\n")
    (err,) = archlang.check_text(spec).errors
    assert (err.code, err.span.line, err.span.column, err.span.text) == ("E0100", 7, 40, "aux2")
    (err,) = archlang.check_text(spec.replace("mse(aux2)", "msee(aux1)")).errors
    assert (err.code, err.span.column, err.span.text, err.help) == (
        "E0103", 36, "msee", "use one of crossentropy, mse, localization, next_token (did you mean `mse`?)")
    # the engine's rule, said by check: two terms need two outputs
    (err,) = archlang.check_text("model m(x: 8) = Dense(8, 2)\ntrain m { loss = ce(a) + mse(b) }").errors
    assert (err.code, err.span.text) == ("E0103", "ce(a) + mse(b)")
    assert archlang.check_text(spec.replace("mse(aux2)", "mse(aux1)")).ok


def test_loss_expressions_are_read_without_torch():
    code = ("import sys; from archlang.ir.loss import parse_loss; "
            "parse_loss('ce(a) + 0.3 * mse(b)'); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_loss_written_as_a_string_of_a_spec_is_positioned_in_the_spec():
    spec = 'model m(x: 8) = Dense(8, 2)\ntrain m {\n  loss = "crossentropy + 0.3 * hinge"\n}\n'
    (err,) = archlang.check_text(spec).errors
    assert (err.code, err.message, err.span.line, err.span.column, err.span.text) == (
        "E0103", "unknown loss `hinge`", 3, 32, "hinge")
    assert archlang.check_text(spec.replace(" + 0.3 * hinge", "")).ok
