"""Export: `archlang.export` writes ONNX and TorchScript files that compute what the compiled
module computes, at any batch size; the generated modules are also plain PyTorch for
torch.export and torch.compile(fullgraph=True)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import archlang
from archlang.backends.torch import ExportError, torch_shape
from conftest import FIXTURES, SPECS

MODEL2 = SPECS / "book/model2.arch"
TWO_HEADS = FIXTURES / "graphs" / "two_heads.arch"
# (spec, model, its input names, its output names); `two` has two inputs and two outputs
EXPORTED = [(MODEL2, "model2", ["x"], ["y"]), (TWO_HEADS, "two", ["img", "side"], ["out", "f"])]
PATHS = [SPECS / "book/model1.arch", SPECS / "book/model2.arch", SPECS / "famous/resnet18.arch"]


def trained_like(spec, model, tmp_path):
    """The model with seeded random weights, and a saved state_dict of them for `weights=`."""
    torch.manual_seed(0)
    module = archlang.load(spec, model)
    with torch.no_grad():
        for p in module.parameters():
            p.normal_(0, 0.2)
    path = tmp_path / f"{model}.pt"
    torch.save(module.state_dict(), path)
    return module.eval(), path


def inputs(spec, model, batch):
    report = archlang.check(spec).model(model)
    return [torch.randn(batch, *torch_shape(s)) for _, s in report.inputs]


def outputs(module, xs):
    with torch.no_grad():
        ys = module(*xs)
    return [y.numpy() for y in (ys if isinstance(ys, tuple) else (ys,))]


@pytest.mark.parametrize("spec,model,names,outs", EXPORTED)
def test_torchscript_agrees_with_the_module_at_batch_1_and_4(spec, model, names, outs, tmp_path):
    module, weights = trained_like(spec, model, tmp_path)
    path = archlang.export(spec, tmp_path / "m.pt", to="torchscript", model=model, weights=weights)
    assert path == tmp_path / "m.pt" and path.is_file()
    scripted = torch.jit.load(str(path))
    for batch in (1, 4):
        xs = inputs(spec, model, batch)
        for got, want in zip(outputs(scripted, xs), outputs(module, xs), strict=True):
            assert got.shape[0] == batch
            np.testing.assert_allclose(got, want, atol=1e-5)


# The first ONNX export in a process costs seconds: model2's is in the slow suite, the graph
# body (two inputs, two outputs) in the fast one.
@pytest.mark.parametrize("spec,model,names,outs",
                         [pytest.param(*EXPORTED[0], marks=pytest.mark.slow), EXPORTED[1]])
def test_onnx_agrees_with_the_module_at_batch_1_and_4(spec, model, names, outs, tmp_path):
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    pytest.importorskip("onnxscript", reason="the onnx extra is not installed")
    module, weights = trained_like(spec, model, tmp_path)
    path = archlang.export(spec, tmp_path / "m.onnx", model=model, weights=weights)
    session = ort.InferenceSession(str(path))
    assert [i.name for i in session.get_inputs()] == names
    assert [o.name for o in session.get_outputs()] == outs
    assert all(i.shape[0] == "batch" for i in session.get_inputs())     # dynamic, named
    for batch in (1, 4):
        xs = inputs(spec, model, batch)
        got = session.run(None, {n: x.numpy() for n, x in zip(names, xs)})
        for g, want in zip(got, outputs(module, xs), strict=True):
            assert g.shape[0] == batch
            np.testing.assert_allclose(g, want, atol=1e-5)


def test_a_wrong_spec_raises_spec_error_and_writes_nothing(tmp_path):
    with pytest.raises(archlang.SpecError) as info:
        archlang.export(SPECS / "book/model2_as_printed.arch", tmp_path / "m.pt", to="torchscript")
    assert info.value.diagnostics[0].code == "E0301"
    assert not (tmp_path / "m.pt").exists()


def test_an_unknown_format_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="choose one of onnx, torchscript"):
        archlang.export(MODEL2, tmp_path / "m.x", to="pdf")


def test_an_exporter_failure_is_an_export_error_and_leaves_no_file(tmp_path, monkeypatch):
    from archlang.backends.torch import export

    def refuse(module, report, path, dims):
        path.write_bytes(b"half")
        raise RuntimeError("no")
    monkeypatch.setattr(export, "_torchscript", refuse)
    with pytest.raises(ExportError, match="TorchScript export failed: no"):
        archlang.export(MODEL2, tmp_path / "m.pt", to="torchscript")
    assert not (tmp_path / "m.pt").exists()


@pytest.mark.parametrize("path", [*PATHS[:2], pytest.param(PATHS[2], marks=pytest.mark.slow)],
                         ids=lambda p: p.stem)
def test_torch_export(path):
    report = archlang.check(path).models[0]
    m = archlang.load(path).eval()
    x = torch.randn(2, *torch_shape(report.input_shape))
    ep = torch.export.export(m, (x,))
    assert torch.allclose(ep.module()(x), m(x), atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_torch_compile_fullgraph(path):
    torch._dynamo.reset()
    report = archlang.check(path).models[0]
    m = archlang.load(path).eval()
    x = torch.randn(2, *torch_shape(report.input_shape))
    compiled = torch.compile(m, fullgraph=True, backend="eager" if "resnet" in path.stem else "inductor")
    with torch.no_grad():
        assert torch.allclose(compiled(x), m(x), atol=1e-4)
