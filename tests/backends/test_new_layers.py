"""The layers of issue 10 compiled and run: every module against the same computation written
by hand in PyTorch (activations, upsampling, pixel and channel shuffles, chunks and slices,
per-channel scale)."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import archlang

from .helpers import compiled, forward_agrees, param_count


def run(spec: str, x: torch.Tensor) -> torch.Tensor:
    m = archlang.load(spec).eval()
    with torch.no_grad():
        return m(x)


# ---- activations ----------------------------------------------------------------------------
def _gelu_erf(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))


def _gelu_tanh(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


@pytest.mark.parametrize("written,reference", [
    ("GELU()", _gelu_erf), ("GELU", _gelu_erf), ('GELU(approximate="none")', _gelu_erf),
    ("gelu_erf", _gelu_erf), ("gelu", _gelu_tanh), ('GELU(approximate="tanh")', _gelu_tanh),
    ("mish", lambda x: x * torch.tanh(torch.log1p(torch.exp(x)))),
    # NNlib's hardσ and PyTorch's Hardsigmoid: max(0, min(1, (x + 3)/6)).
    ("hardsigmoid", lambda x: torch.clamp((x + 3) / 6, 0, 1)),
    ("hardσ", lambda x: torch.clamp((x + 3) / 6, 0, 1)),
])
def test_activation_formula(written, reference):
    x = torch.linspace(-5, 5, 101, dtype=torch.float64).reshape(1, 101)
    m = archlang.load(f"model m(x: 101) = {written}").double()
    assert torch.allclose(m(x), reference(x), atol=1e-12)


def test_erf_and_tanh_gelu_differ():
    # The two forms differ by up to 4.7e-4 (near x = 2.7): enough to break logit agreement.
    x = torch.tensor([[2.7]], dtype=torch.float64)
    erf = archlang.load("model m(x: 1) = GELU()").double()(x)
    tanh = archlang.load("model m(x: 1) = gelu").double()(x)
    assert abs((erf - tanh).item()) > 4e-4
