"""The generated modules are plain PyTorch: torch.compile(fullgraph=True) and torch.export work."""
from __future__ import annotations

import pytest
import torch

import archlang
from archlang.backends.torch import torch_shape
from conftest import ROOT

CASES = [("specs/book/model1.arch", False), ("specs/book/model2.arch", False),
         ("specs/famous/resnet18.arch", True)]     # (path, slow)


@pytest.mark.parametrize("path,slow", CASES)
def test_torch_export(path, slow):
    path = ROOT / path
    report = archlang.check(path).models[0]
    m = archlang.load(path).eval()
    x = torch.randn(2, *torch_shape(report.input_shape))
    ep = torch.export.export(m, (x,))
    assert torch.allclose(ep.module()(x), m(x), atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p, _ in CASES])
def test_torch_compile_fullgraph(path):
    path = ROOT / path
    torch._dynamo.reset()
    report = archlang.check(path).models[0]
    m = archlang.load(path).eval()
    x = torch.randn(2, *torch_shape(report.input_shape))
    compiled = torch.compile(m, fullgraph=True, backend="eager" if "resnet" in path.name else "inductor")
    with torch.no_grad():
        assert torch.allclose(compiled(x), m(x), atol=1e-4)
