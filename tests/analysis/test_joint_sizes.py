"""`sweep --check` of a spec with a search space and named input sizes: validity stated jointly
in the parameters and the sizes (analysis/space.py with sizes.py). The fixtures' sets are
worked out by hand (in their comments) and checked against brute force: the concrete check of
the point at every size."""
from __future__ import annotations

import json

import pytest

from archlang.analysis.space import check_point, classify
from archlang.check import check_model, make_concrete
from archlang.cli import main
from archlang.diagnostics import Diagnostics
from archlang.ir.program import lower_models, parse_program, read_source
from archlang.sizes import describe
from conftest import FIXTURES

UNET = FIXTURES / "sweep" / "unet_depth.arch"
STRIP = FIXTURES / "sweep" / "strip_depth.arch"
LARGEST = 2 ** 40                # no size is larger (layers/args.py MAX_SIZE): Upsample's bound


def parsed(path):
    diags = Diagnostics()
    program = parse_program(read_source(path), diags)
    assert not diags.items
    return program


def multiples(d: int, top: int | None = None) -> list[dict]:
    return [{"min": d, "max": top, "modulus": d, "residues": [0]}]


def brute_force(program, point: dict, sizes: dict, vary: str, tries) -> tuple[set, set]:
    """(runs, exact) of one size by the concrete check of the point at each value (the
    other sizes at `sizes`): runs without error, exact also without W0001 (a dropped pixel)."""
    runs, exact = set(), set()
    for n in tries:
        diags = Diagnostics()
        (model,), _ = lower_models(program, point, diags)
        make_concrete(model, {**sizes, vary: n})
        if check_model(model, diags, strict=True).ok:
            runs.add(n)
            if not any(d.code == "W0001" for d in diags.items):
                exact.add(n)
    return runs, exact


def test_the_unet_accepts_the_multiples_of_two_to_the_depth():
    found = classify(parsed(UNET))
    assert found.sized and not found.sampled and not found.unexplored
    assert (len(found.results), len(found.valid), found.regions) == (10, 10, [])
    # one group per depth, whatever the width: W and H multiples of 2^depth
    assert [g.when(found.space) for g in found.groups] == [[{"depth": [d]}] for d in range(1, 6)]
    for d, group in zip(range(1, 6), found.groups):
        assert len(group.points) == 2
        for name in ("W", "H"):
            sets = group.sizes.variables[name]
            assert sets.complete
            assert sets.runs.pieces() == sets.exact.pieces() == multiples(2 ** d, LARGEST)
    assert describe("H", found.groups[2].sizes.variables["H"].runs.pieces()) == \
        "H ∈ {8, 16, 24, …, 1099511627776}"


@pytest.mark.parametrize("depth", [1, 3, 5])
def test_the_unet_sets_equal_brute_force(depth):
    program = parsed(UNET)
    point = {"depth": depth, "width": 4}
    r = check_point(program, point, size_seconds=30)
    assert r.ok and r.input_sizes.reference == {"W": 224, "H": 224}
    h = r.input_sizes.variables["H"]
    tries = range(1, 4 * 2 ** depth + 2)
    runs, exact = brute_force(program, point, {"W": 224}, "H", tries)
    assert runs == {n for n in tries if n in h.runs} == {n for n in tries if n % 2 ** depth == 0}
    assert exact == {n for n in tries if n in h.exact} == runs


def test_a_point_invalid_at_every_size_is_a_region():
    found = classify(parsed(STRIP))
    assert (len(found.results), len(found.valid)) == (5, 4)
    (region,) = found.regions
    assert region.points == [{"depth": 5}] and region.when(found.space) == [{"depth": [5]}]
    d = region.diagnostic
    # the fifth pool, at the reference W = 224: the height is 1, however wide the strip
    assert (d.code, d.span.line, d.span.column) == ("E0302", 7, 59)
    assert d.message == "a 2×2 window does not fit a ⌊W/16⌋×1 input without padding"
    # depth d ≤ 4: runs from W = 2^d, exact on its multiples (no column dropped)
    for d, group in zip(range(1, 5), found.groups):
        assert group.points == [{"depth": d}]
        w = group.sizes.variables["W"]
        assert w.runs.pieces() == [{"min": 2 ** d, "max": None, "modulus": 1, "residues": [0]}]
        assert w.exact.pieces() == multiples(2 ** d)


def test_the_strip_sets_equal_brute_force():
    program = parsed(STRIP)
    for depth in (2, 4, 5):
        r = check_point(program, {"depth": depth}, size_seconds=30)
        w = r.input_sizes.variables["W"]
        runs, exact = brute_force(program, {"depth": depth}, {}, "W", range(1, 70))
        assert runs == {n for n in range(1, 70) if n in w.runs}
        assert exact == {n for n in range(1, 70) if n in w.exact}
        assert bool(runs) == r.ok


def test_a_points_budget_leaves_points_unexplored():
    found = classify(parsed(UNET), size_points=3, seed=0)
    assert len(found.results) == 3 and len(found.unexplored) == 7
    assert found.size_seconds is None         # the points budget stopped it, not the time
    seen = [r.point for r in found.results] + found.unexplored
    assert sorted(map(json.dumps, seen)) == sorted(json.dumps(p) for p in found.space.points())
    # the explored three are drawn at random (seeded), then given in the space's order
    assert [r.point for r in found.results] == sorted((r.point for r in found.results),
                                                     key=lambda p: (p["depth"], p["width"]))
    assert [r.point for r in classify(parsed(UNET), size_points=3, seed=0).results] == \
        [r.point for r in found.results]


def test_sweep_prints_the_groups(capsys):
    assert main(["sweep", str(UNET), "--check", "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert "all 10 points checked for every input size (W, H)" in out
    assert "10 valid, 0 invalid" in out
    assert ("  depth = 3: W ∈ {8, 16, 24, …, 1099511627776}, H ∈ {8, 16, 24, …, 1099511627776}"
            "   (2 points)") in out
    rows = out.split("valid points (model unet_depth; counts as formulas of the input sizes):\n")[1]
    # depth 1, width 4: 3·3·1·4 + 3·3·4·4 = 180 MACs a pixel at W×H; the way up convolves
    # 2⌊W/2⌋×2⌊H/2⌋ pixels, 4·144, and the 1×1 head on the 8 concatenated channels 4·16
    assert rows.splitlines()[1].split() == ["1", "4", "354", "180·H·W", "+", "640·⌊H/2⌋·⌊W/2⌋"]

    assert main(["sweep", str(STRIP), "--check", "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert "4 valid, 1 invalid in 1 region" in out
    assert "invalid when depth = 5: 1 point, error[E0302] at " in out and "shown at depth = 5, W = 224:" in out
    assert "  depth = 2: W ≥ 4; exact: W ∈ {4, 8, 12, …}   (1 point)" in out


def test_sweep_json_gives_the_sets(capsys):
    assert main(["sweep", str(STRIP), "--check", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [g["when"] for g in doc["input_sizes"]] == [[{"depth": [d]}] for d in range(1, 5)]
    first = doc["input_sizes"][0]
    assert first["text"] == "W ≥ 2; exact: W ∈ {2, 4, 6, …}" and first["points"] == [{"depth": 1}]
    assert first["sets"]["W"]["exact"] == multiples(2)
    assert doc["valid"][0]["input_sizes"]["reference"] == {"W": 224}
    # depth 1: Conv 1 => 4 on W×16 (36·16 = 576 a column), the Dense(4 => 10) 40
    assert (doc["valid"][0]["params"], doc["valid"][0]["macs"]) == (90, "576·W + 40")
    assert doc["invalid"][0]["when"] == [{"depth": [5]}] and doc["not_explored"] == []


def test_sweep_size_budget_message_and_usage(capsys):
    assert main(["sweep", str(UNET), "--check", "--size-points", "3", "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert "3 of 10 points checked for every input size (W, H)" in out
    assert "7 points not explored (--size-points 3; --size-seconds S or --size-points N explores more)" in out
    assert "3 valid, 0 invalid" in out
    for bad in (["--size-points", "0"], ["--size-seconds", "0"], ["--size-seconds", "-1"]):
        assert main(["sweep", str(UNET), "--check", *bad]) == 2


def test_check_set_gives_that_points_sets(capsys):
    assert main(["check", str(UNET), "--set", "depth=5", "--columns", "output"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("at depth = 5, width = 4 (--set; the search space has 10 points)")
    assert "  runs:  H ∈ {32, 64, 96, …, 1099511627776}" in out
