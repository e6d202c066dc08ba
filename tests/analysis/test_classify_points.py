"""analysis/space.py: every point of a search space checked, invalid points grouped by their
located diagnostic. The fixture's regions are worked out by hand below."""
from __future__ import annotations

from archlang.analysis.space import check_point, classify, region_key
from archlang.diagnostics import Diagnostics
from archlang.ir.program import parse_program, read_source
from archlang.source import Source
from conftest import FIXTURES, SPECS

POOLS = FIXTURES / "sweep" / "pools.arch"


def parsed(path=POOLS):
    diags = Diagnostics()
    program = parse_program(read_source(path), diags)
    assert not diags.items
    return program


def test_the_regions_of_the_pools_fixture():
    # 12×12 input; a stage is Conv(k×k, pad=1) then MaxPool(2): k=3 keeps the size, k=5
    # loses 2. k=3: 12 → 6 → 3 → 1, and depth 4 pools a 1×1 image (line 7, col 59).
    # k=5: 12 → 10 → 5, → 3 → 1, and depth 3 convolves a 1×1 image padded to 3×3 with a 5×5
    # window (line 7, col 24), whatever the width.
    found = classify(parsed())
    assert not found.sampled and len(found.results) == 16 and len(found.valid) == 10
    first, second = found.regions
    assert (first.diagnostic.code, first.diagnostic.span.line, first.diagnostic.span.column) == ("E0302", 7, 24)
    assert first.when(found.space) == [{"depth": [3, 4], "k": [5]}]
    assert len(first.points) == 4
    assert (second.diagnostic.span.line, second.diagnostic.span.column) == (7, 59)
    assert second.when(found.space) == [{"depth": [4], "k": [3]}] and len(second.points) == 2


def test_valid_points_have_their_counts():
    found = classify(parsed())
    by_point = {tuple(r.point.values()): (r.params, r.macs) for r in found.valid}
    # depth 1, width 8, k 3: Conv 3·3·1·8 + 8 = 80 params, 12·12·8·9 = 10,368 MACs;
    # Dense(6·6·8 => 10): 2,890 params, 2,880 MACs.
    assert by_point[(1, 8, 3)] == (80 + 2890, 10368 + 2880)
    assert by_point[(2, 16, 5)] == (7002, 97760)


def test_one_region_despite_different_numbers_in_the_message():
    # d = 2 and d = 3 fail at the same Dense with other sizes in the message: one region.
    text = "param d in 1..3\nmodel m(x: 4) = Chain(Dense(4 => d), Dense(1 => 2))\n"
    diags = Diagnostics()
    program = parse_program(Source("<t>", text), diags)
    found = classify(program)
    assert len(found.valid) == 1 and len(found.regions) == 1
    (region,) = found.regions
    assert region.when(found.space) == [{"d": [2, 3]}]
    a, b = (check_point(program, {"d": d}).errors[0] for d in (2, 3))
    assert a.message != b.message and region_key(a) == region_key(b)


def test_a_continuous_space_is_sampled():
    text = "param p in 0.0..0.5\nparam w in 1..3\nmodel m(x: 4) = Chain(Dense(_ => w), Dropout(p))\n"
    diags = Diagnostics()
    found = classify(parse_program(Source("<t>", text), diags), samples=40, seed=1)
    assert found.sampled and len(found.results) == 40 and len(found.valid) == 40


def test_a_large_finite_space_is_sampled():
    text = "param a in 1..200\nparam b in 1..100\nmodel m(x: 4) = Dense(_ => a)\n"
    diags = Diagnostics()
    found = classify(parse_program(Source("<t>", text), diags), samples=30)
    assert found.space.size == 20_000 and found.sampled and len(found.results) == 30


def test_a_region_as_a_union_of_boxes():
    # model2's space: 5×5 kernels leave 4×4 for a third stage, 3×3 kernels 1×1 for a fourth;
    # both are "a K×K window does not fit an N×N input", one region of 6 + 12 points.
    found = classify(parsed(SPECS / "book" / "model2_space.arch"))
    assert (len(found.results), len(found.valid)) == (48, 30)
    (region,) = found.regions
    assert region.when(found.space) == [{"stages": [3], "k": [5]}, {"stages": [4]}]
    assert len(region.points) == 1 * 3 * 1 * 2 + 1 * 3 * 2 * 2


def test_a_sampled_region_is_bounded():
    text = "param p in 0.0..0.5\nparam w in 1..3\nmodel m(x: 4) = Chain(Dense(_ => w), Dropout(p), Dense(2 => 1))\n"
    diags = Diagnostics()
    found = classify(parse_program(Source("<t>", text), diags), samples=60, seed=0)
    (region,) = found.regions                       # w = 1 and w = 3: Dense(2 => 1) gets 1 or 3
    (box,) = region.when(found.space, sampled=True)
    assert box["w"] == [1, 3] and 0 <= box["p"]["min"] < box["p"]["max"] <= 0.5
