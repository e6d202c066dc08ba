"""archlang.analyze: records, totals, repr and the HTML table."""
from __future__ import annotations

import pytest

import archlang
from conftest import SPECS


def test_records_and_totals():
    a = archlang.analyze(SPECS / "book/model2.arch")
    assert a.name == "model2" and len(a.layers) == 6
    assert a[1].layer == "Conv((5, 5), 1 => 8, relu)" and a[1].kernel == "5×5"
    assert a[2].kernel == "2×2 /2"
    assert a.totals.params == 5_386
    assert "model2" in repr(a) and "234,400 MACs" in repr(a)
    assert "MACs" in str(a)
    text = a.table(["output", "macs", "memory", "rf"])
    assert text.splitlines()[1].split()[:4] == ["#", "layer", "output", "MACs"]
    assert "12×12 /4" in text


def test_text_and_model_choice():
    a = archlang.analyze("model a(x: 4) = Chain(Dense(4, 2))\nmodel b(x: 3) = Chain(Dense(3, 1))", "b")
    assert a.name == "b" and a.totals.macs == 3


def test_a_bad_spec_raises():
    with pytest.raises(archlang.SpecError):
        archlang.analyze("model m(x: 4) = Chain(Dense(5, 2))")


def test_html_is_a_table_with_escaped_text():
    html = archlang.analyze("""model m(x: 8×8×1) = Chain(Conv((3, 3), 1 => 2, pad=1), MaxPool((2, 2)),
        flatten, Dense(32 => 2))""")._repr_html_()
    assert html.count("<table>") == 1 and "<th" in html and "</tr>" in html
    assert "Conv((3, 3), 1 =&gt; 2, pad=1)" in html
    assert "1 => 2" not in html
    assert "whole input" in html
    # The title's → and the shapes' × are text, not markup.
    assert "m(x: 8×8×1) → 2" in html


def test_jupyter_shows_the_drawing_inline():
    import shutil

    import pytest
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    a = archlang.analyze(SPECS / "book" / "model2.arch")
    svg = a._repr_svg_()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "Conv((5, 5), 1 =&gt; 8, relu)" in svg
    assert "<details><summary>drawing</summary>" in a._repr_html_()
