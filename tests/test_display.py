"""What notebooks show: CheckResult, ModelReport and TrainResult as HTML, and a SpecError's
diagnostics instead of a traceback through archlang's frames."""

import pytest

import archlang
from archlang.diagnostics import SpecError
from conftest import SPECS


def test_check_result_and_model_report_are_html_tables():
    result = archlang.check(SPECS / "book/model2.arch")
    html = result._repr_html_()
    assert "<b>model2(x: 28×28×1) → 10</b>" in html
    assert "<td style='padding-left:8px'>Dense(400 =&gt; 10)</td><td class='r'>10</td>" \
           "<td class='r'>4,010</td>" in html
    assert html.count("<tr>") == 7 and "total params: 5,386" in html     # header + 6 layers
    assert result.models[0]._repr_html_().count("<tr>") == 7


def test_a_bad_spec_shows_its_diagnostics_escaped():
    html = archlang.check(SPECS / "book/model2_as_printed.arch")._repr_html_()
    assert "error[E0301]" in html and "Dense(7744 =&gt; 10)" in html and "<pre>" in html


def test_spec_error_renders_without_a_traceback():
    with pytest.raises(SpecError) as err:
        archlang.load(SPECS / "book/model2_as_printed.arch")
    lines = err.value._render_traceback_()
    assert len(lines) == len(err.value.diagnostics) and "error[E0301]" in lines[0]
    assert "Traceback" not in "".join(lines) and "archlang/" not in "".join(lines)


def test_train_result_shows_its_epochs_and_curves(tmp_path):
    pytest.importorskip("torch")
    result = archlang.fit(SPECS.parent / "tests/fixtures/train/mlp.arch", epochs=2,
                          out=str(tmp_path / "r"))
    html = result._repr_html_()
    assert html.count("<tr>") == 3 and "data:image/png;base64," in html
    assert f"best validation accuracy {100 * result.best_val_acc:.2f}%" in html
