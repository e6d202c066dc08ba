"""Export of a model with named input sizes (`x: W×H×1`): torch.export Dims over the exact
set of valid sizes (backends/torch/dims.py), the file's sizes in its metadata, onnxruntime
and TorchScript running the file at several sizes of the set; `compile` to Python states the
sizes in the model class's docstring and comments."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch

import archlang
from archlang.backends.torch import ExportWarning
from archlang.backends.torch.dims import _size_dim, size_dims, summary
from archlang.cli import main
from archlang.sizes import SizeSet, VariableSizes
from conftest import FIXTURES

SIZES = FIXTURES / "sizes"
TINY = SIZES / "tiny_unet.arch"          # a U-Net of depth 2: W, H ∈ {4, 8, 12, …}


def dims_of(name: str, **sizes):
    return size_dims(archlang.check(SIZES / name, sizes=sizes or None).models[0])


# --- which dims (no export) -------------------------------------------------------------------

def test_the_zoo_fixtures_dims():
    unet = dims_of("unet.arch")
    assert [(d.name, d.first, d.last, d.step, d.sample) for d in unet.values()] == \
        [("W", 16, None, 16, 224), ("H", 16, None, 16, 224)]
    assert unet["H"].formula("*") == "16*H_k" and unet["H"].k_range == (1, None)
    assert summary(unet) == ("W = 16·W_k, W_k ≥ 1 (W ∈ {16, 32, 48, …}); "
                             "H = 16·H_k, H_k ≥ 1 (H ∈ {16, 32, 48, …})")
    assert summary(dims_of("resnet18.arch")) == "W ≥ 1; H ≥ 1"
    assert summary(dims_of("convnext_tiny.arch")) == \
        "W = 32·W_k, W_k ≥ 1 (W ∈ {32, 64, 96, …}); H = 32·H_k, H_k ≥ 1 (H ∈ {32, 64, 96, …})"
    vit = dims_of("vit_b_16.arch")            # exact {224}: its whole set, static, no warning
    assert summary(vit) == "W = 224; H = 224" and not any(d.narrowed for d in vit.values())
    assert dims_of("unet.arch", H=32, W=48) == {}          # --size: concrete, no dims


def variable(exact: SizeSet, runs: SizeSet | None = None) -> VariableSizes:
    return VariableSizes("H", runs or exact, exact)


def test_several_residues_take_the_sample_class():
    # {7, 8, 11, 12, 15, 16, …}: n ≥ 7 with n mod 4 ∈ {0, 3}; the sample 224 ≡ 0
    d = _size_dim("H", variable(SizeSet(4, {0: [(2, None)], 3: [(1, None)]})), 224, None)
    assert (d.first, d.last, d.step, d.words()) == (8, None, 4, "H = 4·H_k, H_k ≥ 2")
    assert d.narrowed == ("the file takes H ∈ {8, 12, 16, …} of H ∈ {7, 8, 11, …}: "
                          "torch.export takes one arithmetic progression per size")
    # the sample in the other class: 4·H_k + 3
    d = _size_dim("H", variable(SizeSet(4, {0: [(2, None)], 3: [(1, None)]})), 227, None)
    assert (d.first, d.formula(), d.formula("*")) == (7, "4·H_k + 3", "4*H_k+3")


def test_a_head_below_the_tail_and_a_sample_outside():
    # {5} ∪ {16, 32, …}: the tail, which holds the sample
    d = _size_dim("H", variable(SizeSet(16, {0: [(1, None)], 5: [(0, 0)]})), 224, None)
    assert (d.first, d.step, d.sample) == (16, 16, 224) and "of H ∈ {5} ∪" in d.narrowed
    # the sample outside the progression: traced at its second size (not a 0/1 sample)
    d = _size_dim("H", variable(SizeSet(1, {0: [(300, None)]})), 224, None)
    assert (d.first, d.sample, d.narrowed) == (300, 301, "")


def test_no_exact_size_takes_runs_and_a_tie_is_static():
    d = _size_dim("H", variable(SizeSet(), SizeSet(1, {0: [(224, 239)]})), 224, None)
    assert (d.flavour, d.words(), d.valid) == ("runs", "224 ≤ H ≤ 239", "H ∈ {224, …, 239}")
    d = _size_dim("H", variable(SizeSet(1, {0: [(224, 239)]})), 224, "⌊H/16⌋·⌊W/16⌋ = 196")
    assert d.static and d.words() == "H = 224"
    assert d.narrowed == ("static at H = 224: ⌊H/16⌋·⌊W/16⌋ = 196 ties it to another size, "
                          "which per-size ranges cannot express")


# --- the files --------------------------------------------------------------------------------

def weights_of(spec, tmp_path):
    """The compiled module with seeded weights, and them saved for `weights=`."""
    torch.manual_seed(0)
    module = archlang.load(spec).eval()
    path = tmp_path / "w.pt"
    torch.save(module.state_dict(), path)
    return module, path


def run_at(session, module, heights, width):
    """{height: max |onnxruntime − PyTorch|, or None where onnxruntime refuses}."""
    out = {}
    for h in heights:
        x = torch.randn(1, 1, h, width)
        try:
            got = session.run(None, {"x": x.numpy()})[0]
        except Exception:          # noqa: BLE001  (onnxruntime's own failure: a Concat)
            out[h] = None
            continue
        with torch.no_grad():
            out[h] = float(np.abs(got - module(x).numpy()).max())
    return out


def test_tiny_unet_onnx_runs_at_sizes_of_its_set(tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed")
    module, weights = weights_of(TINY, tmp_path)
    path = tmp_path / "t.onnx"
    assert main(["compile", str(TINY), "--to", "onnx", "-o", str(path), "--weights", str(weights)]) == 0
    assert capsys.readouterr().out == (f"{path}: sizes W = 4·W_k, W_k ≥ 1 (W ∈ {{4, 8, 12, …}}); "
                                       "H = 4·H_k, H_k ≥ 1 (H ∈ {4, 8, 12, …}); batch dynamic\n")
    session = ort.InferenceSession(str(path))
    assert session.get_inputs()[0].shape == ["batch", 1, "4*H_k", "4*W_k"]
    errors = run_at(session, module, (4, 8, 12, 6), width=8)
    assert all(errors[h] < 1e-5 for h in (4, 8, 12)) and errors[6] is None   # 6: not in the set
    meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert meta["archlang.sizes"] == "W = 4·W_k, W_k ≥ 1 (W ∈ {4, 8, 12, …}); " \
                                     "H = 4·H_k, H_k ≥ 1 (H ∈ {4, 8, 12, …})"
    h = json.loads(meta["archlang.input_sizes"])["H"]
    assert (h["dim"], h["min"], h["max"], h["step"], h["set"]) == ("4*H_k", 4, None, 4, "exact")
    assert h["runs"] == [{"min": 4, "max": None, "modulus": 4, "residues": [0]}]


def test_size_exports_static_and_a_refusal_falls_back_to_static(tmp_path, capsys, monkeypatch):
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    pytest.importorskip("onnxscript", reason="the onnx extra is not installed")
    path = tmp_path / "s.onnx"
    assert main(["compile", str(TINY), "--to", "onnx", "-o", str(path), "--size", "H=8,W=12"]) == 0
    assert capsys.readouterr().out.endswith(
        "static sizes W = 12, H = 8 (--size); the model is valid for W ∈ {4, 8, 12, …}, "
        "H ∈ {4, 8, 12, …}\n")
    assert ort.InferenceSession(str(path)).get_inputs()[0].shape == ["batch", 1, 8, 12]

    from archlang.backends.torch import export
    real = export._onnx_program

    def refuse_dims(module, report, dims):
        if any(not d.static for d in dims.values()):
            raise RuntimeError("Constraints violated (H)!\n- not all values of H …")
        return real(module, report, dims)
    monkeypatch.setattr(export, "_onnx_program", refuse_dims)
    assert main(["compile", str(TINY), "--to", "onnx", "-o", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err == ("archlang compile: warning: torch.export refused the dynamic sizes "
                   "(Constraints violated (H)! not all values of H …); the file is static at "
                   "W = 224, H = 224\n")
    assert "static sizes W = 224, H = 224 (torch.export refused the dynamic sizes)" in out
    assert ort.InferenceSession(str(path)).get_inputs()[0].shape == ["batch", 1, 224, 224]


def test_torchscript_runs_at_sizes_of_the_set_and_records_them(tmp_path):
    path = archlang.export(TINY, tmp_path / "t.pt", to="torchscript")
    extra = {"archlang.json": ""}
    scripted = torch.jit.load(str(path), _extra_files=extra)
    for h in (4, 8, 12):
        assert tuple(scripted(torch.randn(2, 1, h, 8)).shape) == (2, 2, h, 8)
    with pytest.raises(RuntimeError):
        scripted(torch.randn(1, 1, 6, 8))
    sizes = json.loads(json.loads(extra["archlang.json"])["archlang.input_sizes"])
    assert (sizes["W"]["dim"], sizes["H"]["valid"]) == ("4*W_k", "H ∈ {4, 8, 12, …}")


def test_narrowing_warns(monkeypatch, tmp_path):
    """A set narrowed to one progression warns with the reason (ExportWarning)."""
    from archlang.backends.torch import export
    from archlang.backends.torch.dims import SizeDim
    narrowed = {"H": SizeDim("H", 8, None, 4, 224, narrowed="the file takes H ∈ {8, 12, 16, …}")}
    monkeypatch.setattr(export, "size_dims", lambda report: narrowed)
    monkeypatch.setattr(export, "_torchscript", lambda *args: None)
    with pytest.warns(ExportWarning, match=r"^H: the file takes H ∈ \{8, 12, 16, …\}$"):
        archlang.export(TINY, tmp_path / "t.pt", to="torchscript")


@pytest.mark.slow
def test_unet_onnx_runs_at_16_32_48_and_refuses_24(tmp_path):
    """The zoo's U-Net (specs/zoo/unet.arch, made symbolic): H = 16·H_k; onnxruntime agrees
    with PyTorch at 16, 32 and 48 (16: a 1×1 map at the bottom) and fails at 24, where the
    skip connection's 3 rows meet the up-convolution's 2 (eager PyTorch fails there too)."""
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    pytest.importorskip("onnxscript", reason="the onnx extra is not installed")
    spec = SIZES / "unet.arch"
    module, weights = weights_of(spec, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExportWarning)
        path = archlang.export(spec, tmp_path / "unet.onnx", weights=weights)
    session = ort.InferenceSession(str(path))
    assert session.get_inputs()[0].shape == ["batch", 1, "16*H_k", "16*W_k"]
    errors = run_at(session, module, (16, 32, 48, 24), width=32)
    assert all(errors[h] < 1e-5 for h in (16, 32, 48)) and errors[24] is None, errors


# --- compile to Python ------------------------------------------------------------------------

def test_compiled_source_reads_its_sizes_as_formulas(capsys):
    assert main(["compile", str(SIZES / "unet.arch")]) == 0
    out = capsys.readouterr().out
    assert "In PyTorch's layout: input N×1×H×W, output N×2×H×W; 31,030,658 parameters." in out
    assert "Named input sizes: it runs at W ∈ {16, 32, 48, …}, H ∈ {16, 32, 48, …}; the shapes" in out
    assert "x = self.pool1(x)              # N×64×⌊H/2⌋×⌊W/2⌋" in out
    assert "x = self.up_conv1(x)           # N×512×2·⌊H/16⌋×2·⌊W/16⌋" in out
    assert main(["compile", str(SIZES / "unet.arch"), "--size", "H=32,W=64"]) == 0
    out = capsys.readouterr().out
    assert "input N×1×32×64" in out and "Named input sizes" not in out
    assert "x = self.pool1(x)              # N×64×16×32" in out
