"""`archlang check --set` and `archlang sweep --check`: exit codes, the regions as printed
and as JSON. (`sweep --trials`: tests/train/test_sweep.py.)"""
from __future__ import annotations

import json

from archlang.cli import main
from conftest import FIXTURES, SPECS

POOLS = str(FIXTURES / "sweep" / "pools.arch")


def test_check_says_which_point_it_checks(capsys):
    assert main(["check", POOLS, "--columns", "output"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("at the default point depth = 1, width = 8, k = 3: each parameter's first value")
    assert "16 points" in out
    assert main(["check", POOLS, "--set", "depth=3", "--set", "width=16"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("at depth = 3, width = 16, k = 3 (--set") and "4,970" in out


def test_check_json_gives_the_space_and_the_point(capsys):
    assert main(["check", POOLS, "--json", "--set", "k=5"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["point"] == {"depth": 1, "width": 8, "k": 5}
    assert doc["space"] == {"points": 16, "parameters": {
        "depth": {"min": 1, "max": 4, "step": 1, "type": "int"},
        "width": {"choices": [8, 16]}, "k": {"choices": [3, 5]}}}


def test_set_exit_codes(capsys):
    assert main(["check", POOLS, "--set", "depth=5", "--color", "never"]) == 1      # outside: the spec's
    err = capsys.readouterr().err
    assert "pools.arch:3:16: error[E0113]: `--set depth=5` is outside the domain of `depth`" in err
    assert main(["check", POOLS, "--set", "dpth=2"]) == 2
    assert "did you mean `depth`?" in capsys.readouterr().err
    for bad in (["--set", "depth"], ["--set", "depth=(2"], ["--set", "depth=1", "--set", "depth=2"]):
        assert main(["check", POOLS, *bad]) == 2


def test_sweep_check_prints_regions_and_valid_points(capsys):
    assert main(["sweep", POOLS, "--check", "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert "all 16 points checked" in out and "10 valid, 6 invalid in 2 regions" in out
    assert ("invalid when depth ∈ {3, 4} and k = 5: 4 points, error[E0302] at " in out and
            "pools.arch:7:24, shown at depth = 3, width = 8, k = 5:" in out)
    assert "invalid when depth = 4 and k = 3: 2 points, error[E0302] at " in out
    assert "a 5×5 window does not fit the 1×1 input padded to 3×3" in out
    rows = out.split("valid points (model net):\n")[1].splitlines()
    assert rows[0].split() == ["depth", "width", "k", "params", "MACs"]
    assert rows[1].split() == ["1", "8", "3", "2,970", "13,248"] and len(rows) == 11


def test_sweep_check_json(capsys):
    assert main(["sweep", POOLS, "--check", "--json", "--max-params", "5000"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["checked"], doc["sampled"], len(doc["valid"])) == (16, False, 10)
    over = [v["point"] for v in doc["valid"] if v["over_budget"]]
    assert over == [{"depth": 1, "width": 16, "k": 3}, {"depth": 2, "width": 16, "k": 5}]
    first = doc["invalid"][0]
    assert first["when"] == [{"depth": [3, 4], "k": [5]}] and first["count"] == 4
    assert (first["diagnostic"]["code"], first["diagnostic"]["line"]) == ("E0302", 7)


def test_sweep_usage_errors(tmp_spec, capsys):
    flat = str(tmp_spec("model m(x: 4) = Dense(_ => 2)\n"))
    assert main(["sweep", flat, "--check"]) == 2
    assert "declares no search space" in capsys.readouterr().err
    assert main(["sweep", POOLS]) == 2                          # --check or --trials
    assert main(["sweep", POOLS, "--check", "--max-params", "lots"]) == 2
    assert main(["sweep", POOLS, "--check", "--set", "depth=2"]) == 2
    bad = str(tmp_spec("param d in 3..1\nmodel m(x: 4) = Dense(_ => d)\n", "bad.arch"))
    assert main(["sweep", bad, "--check"]) == 1


def test_sweep_check_says_a_region_of_two_boxes(capsys):
    assert main(["sweep", str(SPECS / "book" / "model2_space.arch"), "--check", "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert "30 valid, 18 invalid in 1 region" in out
    assert "invalid when stages = 3 and k = 5, or stages = 4: 18 points, error[E0302] at " in out
