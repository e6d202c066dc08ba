"""archlang/sizes.py: the exact sets of valid input sizes, against brute force.

The symbolic copies of zoo specs (tests/fixtures/sizes/) are the concrete specs with
`x: 224×224×3` written `x: W×H×3` (the spec's order). Their sets must equal what the concrete check says for
every size 1..512 (W at 224 while H varies), and match torchvision's behaviour: ResNet-18
runs for every size ≥ 1, ConvNeXt-T from 32, ViT-B/16 exactly at 224 (torchvision asserts
it), a same-padded U-Net of depth 4 at the multiples of 16.
"""
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import archlang
from archlang.check import check_model, check_source
from archlang.diagnostics import Diagnostics
from archlang.layers.shape import Shape
from archlang.sizes import SizeSet, describe
from archlang.source import Source

FIXTURES = Path(__file__).parent / "fixtures" / "sizes"

EXPECTED = {   # file: (runs, exact) in words
    "resnet18.arch": ("H ≥ 1", "H ≥ 1"),
    "convnext_tiny.arch": ("H ≥ 32", "H ∈ {32, 64, 96, …}"),
    "vit_b_16.arch": ("H ∈ {224, …, 239}", "H ∈ {224}"),
    "unet.arch": ("H ∈ {16, 32, 48, …}", "H ∈ {16, 32, 48, …}"),
}


def checked(name: str):
    path = FIXTURES / name
    result = check_source(Source(str(path), path.read_text()))
    assert result.ok, [d.message for d in result.diagnostics]
    return result.models[0]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sets_in_words(name):
    sizes = checked(name).input_sizes
    runs, exact = EXPECTED[name]
    h = sizes.variables["H"]
    assert h.complete and describe("H", h.runs.pieces()) == runs
    assert describe("H", h.exact.pieces()) == exact
    assert sizes.reference == {"W": 224, "H": 224}


def brute_force(model, sizes_to_try, width=224):
    """(runs, exact) sets of H by the concrete check at every size (the input W×H×C, or a
    video's W×H×T×C; W at `width`, or as the spec has it with None). bench/sizes_every_spec.py
    uses it too."""
    node = model.graph[model.inputs[0]]
    symbolic = node.layer
    runs, exact = set(), set()
    try:
        for n in sizes_to_try:
            dims = list(symbolic.shape)
            dims[1] = n
            if width is not None:
                dims[0] = width
            node.layer = replace(symbolic, shape=Shape(tuple(dims)))
            diags = Diagnostics()
            report = check_model(model, diags, strict=True)
            if report.ok:
                runs.add(n)
                if not any(d.code == "W0001" for d in diags.items):
                    exact.add(n)
    finally:
        node.layer = symbolic
    return runs, exact


@pytest.mark.parametrize("name", ["resnet18.arch", "unet.arch", "vit_b_16.arch",
                                  pytest.param("convnext_tiny.arch", marks=pytest.mark.slow)])
def test_sets_equal_brute_force(name):
    report = checked(name)
    h = report.input_sizes.variables["H"]
    runs, exact = brute_force(report.model, range(1, 513))
    assert runs == {n for n in range(1, 513) if n in h.runs}
    assert exact == {n for n in range(1, 513) if n in h.exact}


def test_joint_constraint_of_vit():
    # the position embedding holds 196 patches + the class token: H and W together
    assert checked("vit_b_16.arch").input_sizes.joint == ["⌊H/16⌋·⌊W/16⌋ = 196"]


def test_pieces_of_a_periodic_set():
    multiples = SizeSet(32, {0: [(1, None)], 16: [(0, None)]})     # 16, 32, 48, ...
    assert multiples.pieces() == [{"min": 16, "max": None, "modulus": 16, "residues": [0]}]
    assert multiples.first_missing() == 1 and 48 in multiples and 40 not in multiples
    window = SizeSet(1, {0: [(221, 224)]})
    assert describe("H", window.pieces()) == "H ∈ {221, …, 224}"
    assert describe("H", SizeSet().pieces()) == "no H"


def test_given_sizes_make_the_model_concrete():
    result = archlang.check(FIXTURES / "unet.arch", sizes={"H": 96, "W": 64})
    assert result.ok
    report = result.models[0]
    assert report.input_shape == (64, 96, 1) and report.output_shape == (64, 96, 2)
    assert all(type(d) is int for i in report.infos if i.out is not None for d in i.out)


def test_a_size_outside_the_set_names_the_set():
    result = archlang.check(FIXTURES / "unet.arch", sizes={"H": 100})
    (e0315,) = [d for d in result.diagnostics if d.code == "E0315"]
    assert e0315.message == "the size H = 100 is outside the sizes the model accepts"
    assert e0315.notes == ("valid: H ∈ {16, 32, 48, …} (the other sizes at W = 224)",)
    assert e0315.help == "choose one of them, e.g. --size H=96"


def test_check_json_gives_the_pieces(tmp_path):
    spec = tmp_path / "s.arch"
    spec.write_text("model s(x: W×W×3) = Chain(Conv((3, 3), 3 => 4, stride=2), flatten)\n")
    out = subprocess.run([sys.executable, "-m", "archlang", "check", str(spec), "--json"],
                         capture_output=True, text=True, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    model = json.loads(out.stdout)["models"][0]
    # ⌊(W − 3)/2⌋ + 1 ≥ 1 from W = 3; no column dropped when W − 3 is even
    assert model["input_sizes"]["W"] == {
        "runs": [{"min": 3, "max": None, "modulus": 1, "residues": [0]}],
        "exact": [{"min": 3, "max": None, "modulus": 2, "residues": [1]}],
        # why W = 1 and 2 fail: the first error there, where it is
        "fails": [{"sizes": [{"min": 1, "max": 2, "modulus": 1, "residues": [0]}], "code": "E0302",
                   "message": "a 3×3 window does not fit a W×W input without padding",
                   "line": 1, "column": 27}]}
    assert model["layers"][0]["output_shape"] == ["⌊(W − 3)/2⌋ + 1", "⌊(W − 3)/2⌋ + 1", 4]


def test_the_sizes_outside_say_why_they_fail():
    # ConvNeXt-T: the 4×4 stem needs H ≥ 4; the first 2×2 downsampling (std/convnext.arch)
    # needs ⌊H/4⌋ ≥ 2, H ≥ 8 … and the last one H ≥ 32: one reason per place.
    h = checked("convnext_tiny.arch").input_sizes.variables["H"]
    lines = h.failure_lines()
    assert lines[0].startswith("H ∈ {1, …, 3}: error[E0302] at ") and "convnext_tiny.arch:13:5: a 4×4 window" in lines[0]
    assert lines[1].startswith("H ∈ {4, …, 31}: error[E0302] at ") and "convnext.arch:23:31: a 2×2 window" in lines[1]
    assert len(lines) == 2
