"""Token inputs through compile and export: the tied tiny GPT's TorchScript and ONNX files take
int64 ids and compute what the compiled module computes, at any batch size."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import archlang
from conftest import FIXTURES

TINY = FIXTURES / "tokens/tiny_gpt.arch"


def ids(batch):
    return torch.randint(0, 100, (batch, 16), generator=torch.Generator().manual_seed(batch))


def test_compile_writes_an_int_input():
    result = archlang.check(TINY)
    from archlang.backends.torch import generate
    source = generate(result.models, str(TINY)).source
    assert "In PyTorch's layout: inputs tokens N×16 int; outputs logits N×16×100" in source


def test_torchscript_of_token_ids(tmp_path):
    torch.manual_seed(0)
    module = archlang.load(TINY).eval()
    weights = tmp_path / "w.pt"
    torch.save(module.state_dict(), weights)
    path = archlang.export(TINY, tmp_path / "m.pt", to="torchscript", weights=weights)
    scripted = torch.jit.load(str(path))
    for batch in (1, 3):
        with torch.no_grad():
            torch.testing.assert_close(scripted(ids(batch)), module(ids(batch)))


@pytest.mark.slow            # an ONNX export costs seconds; the fast suite exports one already
def test_onnx_of_token_ids(tmp_path):
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    pytest.importorskip("onnxscript", reason="the onnx extra is not installed")
    torch.manual_seed(0)
    module = archlang.load(TINY).eval()
    weights = tmp_path / "w.pt"
    torch.save(module.state_dict(), weights)
    path = archlang.export(TINY, tmp_path / "m.onnx", weights=weights)
    session = ort.InferenceSession(str(path))
    (inp,) = session.get_inputs()
    assert inp.name == "tokens" and inp.type == "tensor(int64)"
    for batch in (1, 3):
        (got,) = session.run(None, {"tokens": ids(batch).numpy()})
        with torch.no_grad():
            np.testing.assert_allclose(got, module(ids(batch)).numpy(), atol=1e-5)
