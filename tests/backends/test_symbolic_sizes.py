"""A symbolic spec compiled at one size (`--size`, api.check's `sizes=`) runs in PyTorch
exactly at the sizes check's *runs* set holds: the generated module is fed other heights, and
a forward succeeds iff the height is in the set (archlang/sizes.py; brute force over the
static check is tests/test_sizes.py)."""
from pathlib import Path

import pytest
import torch

import archlang
from archlang.backends.torch import generate, load_source

from .helpers import forward_agrees

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sizes"

SAMPLES = {
    "resnet18.arch": (1, 2, 31, 33, 100),
    "unet.arch": (15, 16, 24, 40, 48),
    "convnext_tiny.arch": (16, 31, 32, 33, 47),
    "vit_b_16.arch": (208, 223, 224, 230, 240),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_forward_runs_exactly_in_the_set(name):
    path = FIXTURES / name
    width = 64 if name == "unet.arch" else 224
    result = archlang.check(path, sizes={"H": 224 if width == 224 else 64, "W": width})
    assert result.ok, [str(d) for d in result.diagnostics]
    report = result.models[0]
    runs = report.input_sizes.variables["H"].runs
    gen = generate([report], result.path)
    module = load_source(gen, report.name).eval()
    forward_agrees(report, gen, module, batch=1)
    channels = report.inputs[0][1][-1]
    for h in SAMPLES[name]:
        x = torch.zeros(1, channels, h, width)      # N×C×H×W (the spec's W×H×C)
        try:
            with torch.no_grad():
                module(x)
            ran = True
        except (RuntimeError, ValueError, AssertionError):
            ran = False
        assert ran == (h in runs), (name, h, ran)
