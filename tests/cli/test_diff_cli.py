"""`archlang diff`: the table, --json, the drawing, model selection and exit codes, checked
against the figures `archlang check --json` gives for each file alone."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from archlang.cli import main
from archlang.draw import style
from conftest import FIXTURES, ROOT, SPECS

DIFF = FIXTURES / "diff"
R18, R34 = str(SPECS / "famous/resnet18.arch"), str(SPECS / "famous/resnet34.arch")
SMALL, DROPOUT = str(DIFF / "small.arch"), str(DIFF / "small_dropout.arch")


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "archlang", *args], capture_output=True, text=True,
                          cwd=cwd)


def checked_json(path: str, capsys) -> dict:
    assert main(["check", "--json", path]) == 0
    (model,) = json.loads(capsys.readouterr().out)["models"]
    return model


def test_resnet18_to_34_table(capsys):
    assert main(["diff", R18, R34]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[1]: line for line in out.splitlines() if re.match(r"^[ ~+−] +\d+ ", line)}
    assert len(rows) == 13
    # The four stages that grow, each with its parameters' delta (4 BasicBlock(256): 4,722,688).
    for stage, label, delta in [
            ("4", "repeat(2, BasicBlock(64)) → repeat(3, BasicBlock(64))", "+73,984"),
            ("6", "BasicBlock(128) → repeat(3, BasicBlock(128))", "+590,848"),
            ("8", "BasicBlock(256) → repeat(5, BasicBlock(256))", "+4,722,688"),
            ("10", "BasicBlock(512) → repeat(2, BasicBlock(512))", "+4,720,640")]:
        assert rows[stage].startswith("~") and label in rows[stage] and delta in rows[stage]
    assert all(rows[s].startswith(" ") for s in rows if s not in ("4", "6", "8", "10"))
    assert "stages: 13 → 13; 4 changed, 0 added, 0 removed, 9 the same" in out
    params = next(line for line in out.splitlines() if line.startswith("params "))
    assert params.split() == ["params", "11,689,512", "21,797,672", "+10,108,160"]


def test_resnet18_to_34_json_agrees_with_check_json(capsys):
    r18, r34 = checked_json(R18, capsys), checked_json(R34, capsys)
    assert main(["diff", "--json", R18, R34]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is True and doc["diagnostics"] == []
    for figure in ("params", "macs", "activation_bytes", "peak_forward_bytes", "training_bytes"):
        a, b = r18["totals"][figure], r34["totals"][figure]
        assert doc["totals"][figure] == {"a": a, "b": b, "delta": b - a}, figure
    assert doc["totals"]["params"]["delta"] == 10_108_160
    # Each changed stage's delta is the sum of check's rows of the BasicBlocks it gained.
    changed = [s for s in doc["stages"] if s["status"] == "changed"]
    assert [(s["a"]["copies"], s["b"]["copies"]) for s in changed] == [(2, 3), (1, 3), (1, 5), (1, 2)]
    block_params = {}
    for layer in r34["layers"]:
        block = next((s for s in layer["scope"] if s.startswith("BasicBlock(")), None)
        if block:
            block_params[block] = block_params.get(block, 0) + layer["params"]
    # Every BasicBlock(c) call of ResNet-34 is counted: c=64 three times, 128 three, ...
    per_block = {c: block_params[f"BasicBlock({c})"] // n for c, n in
                 [(64, 3), (128, 3), (256, 5), (512, 2)]}
    assert [s["delta"]["params"] for s in changed] == \
        [1 * per_block[64], 2 * per_block[128], 4 * per_block[256], 1 * per_block[512]]
    assert sum(s["delta"]["params"] for s in doc["stages"]) == 10_108_160


def test_an_inserted_dropout(capsys):
    assert main(["diff", SMALL, DROPOUT]) == 0
    out = capsys.readouterr().out
    marked = [line for line in out.splitlines() if line[:1] in "~+−" and line[1:2] == " "]
    assert len(marked) == 1
    assert marked[0].split()[:6] == ["+", "6", "Dropout(0.5)", "400", "0", "0"]
    assert "stages: 6 → 7; 0 changed, 1 added, 0 removed, 6 the same" in out


@pytest.mark.parametrize("suffix", ["dot", "svg"])
def test_the_drawing_colours_the_differences(tmp_path, capsys, suffix):
    if suffix == "svg" and shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    out = tmp_path / f"diff.{suffix}"
    assert main(["diff", R18, R34, "-o", str(out)]) == 0
    assert "+10,108,160" in capsys.readouterr().out         # the table still goes to stdout
    text = out.read_text()
    changed_fill, changed_border, _ = style.DIFF["changed"]
    # Four changed stages per side, each one box: 8 amber boxes (and, in SVG, the legend's
    # swatch); every other stage is a grey box.
    if suffix == "dot":
        assert text.count(f'fillcolor="{changed_fill}"') == 8
        assert text.count(f'fillcolor="{style.DIFF["same"][0]}"') == 2 * 9
    else:
        assert text.count(f'fill="{changed_fill}"') == 8 + 1
    assert changed_border in text
    for mark in ("removed", "added", "changed", "same"):     # the legend shows every colour
        assert style.DIFF[mark][0] in text


def test_dot_source_boxes_by_status(tmp_path, capsys):
    out = tmp_path / "diff.dot"
    assert main(["diff", SMALL, DROPOUT, "-o", str(out)]) == 0
    source = out.read_text()
    boxes = re.findall(r"^\t+(\w+) \[.*?fillcolor=\"(#\w+)\"", source, re.M)
    fills = {name: fill for name, fill in boxes}
    added = [n for n, f in fills.items() if f == style.DIFF["added"][0]]
    assert added == ["b_n6"]                                  # B's Dropout, the only green box
    assert not any(f in (style.DIFF["removed"][0], style.DIFF["changed"][0]) for f in fills.values())
    grey = [n for n, f in fills.items() if f == style.DIFF["same"][0]]
    assert sum(n.startswith("a_") for n in grey) == 6 and sum(n.startswith("b_") for n in grey) == 6


def test_model_selection(capsys):
    two = str(DIFF / "two_models.arch")
    assert main(["diff", f"{two}:narrow", f"{two}:wide", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["a"]["model"], doc["b"]["model"]) == ("narrow", "wide")
    assert doc["totals"]["params"] == {"a": 154, "b": 610, "delta": 456}
    assert main(["diff", two, two, "--model", "wide", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["same"] == 2
    # Several models, none chosen: the first, with a note.
    assert main(["diff", two, f"{two}:wide"]) == 0
    assert "defines 2 models; comparing `narrow`" in capsys.readouterr().err


def test_a_wrong_spec_exits_1_with_its_diagnostic():
    proc = run("diff", SMALL, str(DIFF / "bad.arch"))
    assert proc.returncode == 1 and proc.stdout == ""
    assert "error[E0301]: Dense expects 300 inputs but receives 400" in proc.stderr
    assert "bad.arch:8:11" in proc.stderr and "Traceback" not in proc.stderr
    doc = json.loads(run("diff", "--json", str(DIFF / "bad.arch"), SMALL).stdout)
    assert doc["ok"] is False and [d["code"] for d in doc["diagnostics"]] == ["E0301"]
    assert doc["schema"] == "archlang.diff/1"


@pytest.mark.parametrize("args, message", [
    (["diff", SMALL], "the following arguments are required: B"),
    (["diff", SMALL, DROPOUT, "--bogus"], "unrecognized arguments: --bogus"),
    (["diff", SMALL, "nowhere.arch"], "no such file: nowhere.arch"),
    (["diff", SMALL, f"{SMALL}:nope"], "no model named `nope`"),
    (["diff", SMALL, DROPOUT, "--model", "nope"], "no model named `nope`"),
    (["diff", SMALL, DROPOUT, "-o", "out.jpeg"], "cannot tell the format of `out.jpeg`"),
    (["diff", SMALL, DROPOUT, "--depth", "0"], "--depth must be 1 or more"),
    (["diff", SMALL, DROPOUT, "--dtype", "fp7"], "fp7"),
    (["diff", SMALL, DROPOUT, "--batch", "0"], "--batch must be at least 1"),
    (["diff", SMALL, str(DIFF)], "is a directory"),
])
def test_a_wrong_command_line_exits_2(args, message):
    proc = run(*args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_a_file_without_models(tmp_path):
    blocks = tmp_path / "blocks.arch"
    blocks.write_text("block Res(c) = SkipConnection(Dense(c, c), +)\n")
    proc = run("diff", str(blocks), SMALL)
    assert proc.returncode == 2 and "defines no model to compare" in proc.stderr


def test_the_docs_show_a_real_run():
    # docs/analysis.md, "Comparing two networks", pastes this run's output: it must not drift.
    proc = run("diff", "specs/famous/resnet18.arch", "specs/famous/resnet34.arch")
    assert proc.returncode == 0
    assert f"$ archlang diff specs/famous/resnet18.arch specs/famous/resnet34.arch\n{proc.stdout}```" \
        in (ROOT / "docs" / "analysis.md").read_text(encoding="utf-8")
