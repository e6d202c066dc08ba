"""Every spec and conformance case: compiled parameters, output shape and every submodule's
output shape agree with `archlang check` (the static analysis)."""
from __future__ import annotations

import json

import pytest

import archlang
from conftest import CONFORMANCE, ROOT

from .helpers import activation_elements, compiled, forward_agrees, param_count

SPECS = sorted(p for p in (ROOT / "specs").rglob("*.arch") if "as_printed" not in p.name)
CASES = sorted(p for p in CONFORMANCE.glob("*.arch")
               if not json.loads(p.with_suffix(".expected.json").read_text()).get("error"))
BIG = 30_000_000           # activation elements of one sample: above this, the forward is slow


def _models(paths, forward=False):
    """One case per model; a forward pass of a big one is slow, of a huge one (sound_dense's
    ten billion weights) is not attempted: its parameters are counted on the meta device."""
    out = []
    for p in paths:
        for m in archlang.check(p).models:
            if forward and (m.params > 200_000_000 or activation_elements(m) > 100_000_000):
                continue
            slow = forward and (activation_elements(m) > 3_000_000 or m.params > 20_000_000) \
                and m.name != "resnet18"          # ResNet-18 at 224 runs in every test run
            out.append(pytest.param(p, m.name, id=f"{p.stem}:{m.name}",
                                    marks=[pytest.mark.slow] if slow else []))
    return out


@pytest.mark.parametrize("path,model", _models(SPECS))
def test_spec_parameters_on_meta(path, model):
    report, gen, module = compiled(path, model, device="meta")
    assert param_count(module) == report.params


@pytest.mark.parametrize("path,model", _models(SPECS, forward=True))
def test_spec_forward_shapes(path, model):
    report, gen, module = compiled(path, model)
    assert param_count(module) == report.params
    forward_agrees(report, gen, module, batch=1)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_conformance_case(path):
    expected = json.loads(path.with_suffix(".expected.json").read_text())
    report, gen, module = compiled(path, expected["model"])
    assert param_count(module) == report.params == expected["params"]
    assert list(report.output_shape) == expected["output_shape"]
    forward_agrees(report, gen, module)          # PyTorch's output is that shape reversed
