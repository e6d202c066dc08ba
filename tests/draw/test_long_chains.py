"""Chains of any length draw: merged activations are folded into runs and every label stays
within dot's 16,384-character limit (2,001 chained activations once failed with E0999, 30,001
with a broken pipe)."""
from __future__ import annotations

import re
import shutil

import pytest

import archlang
from archlang.cli import main
from archlang.draw import style

DOT_LABEL_LIMIT = 16_384          # dot: "longer than 16384?" in its HTML-string scanner


def chain(*layers: str) -> str:
    return f"model m(x: 4) = Chain({', '.join(layers)})\n"


def labels(source: str) -> list[str]:
    return re.findall(r"label=<(.*?)>(?: |\]|$)", source, re.M)


@pytest.mark.parametrize("n", [2_001, 30_001])
def test_chained_activations_merge_into_one_folded_label(tmp_path, n):
    spec = tmp_path / "chain.arch"
    spec.write_text(chain(*["relu"] * n))
    source = archlang.draw(str(spec)).source
    # The first relu is the box; the other n - 1 are merged into it as one run.
    assert f"<b>relu</b> <font point-size=\"11\" color=\"#343a40\">→ relu × {n - 1:,}</font>" \
        in source
    assert max(len(label) for label in labels(source)) < 200


def test_alternating_activations_list_a_few_runs_and_count_the_rest():
    text = chain("Dense(4, 4)", *["relu", "sigmoid"] * 1_000)
    source = archlang.draw(archlang.check(text).model()).source
    # Dense, then 2,000 activations: the first MAX_RUNS runs are named, 2,000 - 4 counted.
    assert "→ relu → sigmoid → relu → sigmoid → … 1,996 more" in source
    assert style.runs(["relu"] * 3 + ["tanh"]) == ["relu × 3", "tanh"]


def test_a_join_lists_its_merged_activations_as_runs():
    text = chain("Dense(4, 4)", "Parallel(+, relu, tanh)", *["relu"] * 500)
    source = archlang.draw(archlang.check(text).model()).source
    assert source.count("relu × 500") == 1


def test_long_titles_are_clipped_in_the_middle():
    title = "Reshape(" + ", ".join(["1"] * 5_000) + ")"
    clipped = style.clip(title)
    assert len(clipped) == style.MAX_LINE and clipped.startswith("Reshape(1, 1")
    assert clipped.endswith("1, 1)") and "…" in clipped
    assert style.clip("relu") == "relu"


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's `dot`")
@pytest.mark.parametrize("n", [2_001, 30_001])
def test_dot_renders_them(tmp_path, n):
    spec = tmp_path / "chain.arch"
    spec.write_text(chain(*["relu"] * n))
    out = tmp_path / "chain.svg"
    assert main(["draw", str(spec), "-o", str(out)]) == 0
    assert f"relu × {n - 1:,}" in out.read_text()
