"""`archlang compile`: stdout, -o, importable output, exit codes; `check` never loads torch."""
from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
import torch

from archlang.cli import main
from conftest import SPECS

MODEL2 = str(SPECS / "book/model2.arch")


def test_stdout(capsys):
    assert main(["compile", MODEL2]) == 0
    out = capsys.readouterr().out
    assert "class Model2(nn.Module):" in out and "x = F.relu(self.conv1(x))" in out
    assert "# N×8×24×24" in out and "import archlang" not in out


def test_output_file_is_importable(tmp_path):
    path = tmp_path / "model2.py"
    assert main(["compile", MODEL2, "-o", str(path)]) == 0
    spec = importlib.util.spec_from_file_location("model2_generated", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert tuple(mod.Model2()(torch.randn(2, 1, 28, 28)).shape) == (2, 10)


def test_model_option(capsys):
    assert main(["compile", str(SPECS / "book/sizes.arch"), "--model", "conv_pad2"]) == 0
    out = capsys.readouterr().out
    assert "class ConvPad2(" in out and "class ConvPad0(" not in out


def test_bad_spec_exits_1_with_a_diagnostic(capsys):
    assert main(["compile", str(SPECS / "book/model2_as_printed.arch"), "--color", "never"]) == 1
    captured = capsys.readouterr()
    assert "error[E0301]" in captured.err and captured.out == ""


@pytest.mark.parametrize("argv", [
    ["compile", "no/such/file.arch"],
    ["compile", MODEL2, "--model", "nope"],
    ["compile", MODEL2, "--to", "onnx"],
    ["compile", MODEL2, "--to", "pdf"],
    ["compile"],
])
def test_usage_errors_exit_2(argv):
    assert main(argv) == 2


def test_torchscript(tmp_path):
    path = tmp_path / "m.pt"
    assert main(["compile", MODEL2, "--to", "torchscript", "-o", str(path)]) == 0
    m = torch.jit.load(str(path))
    assert tuple(m(torch.randn(1, 1, 28, 28)).shape) == (1, 10)


@pytest.mark.slow
def test_onnx(tmp_path):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxscript")
    path = tmp_path / "m.onnx"
    assert main(["compile", MODEL2, "--to", "onnx", "-o", str(path)]) == 0
    import onnx
    onnx.checker.check_model(onnx.load(str(path)))


def test_check_and_import_leave_torch_unloaded():
    code = ("import sys, archlang\nfrom archlang.cli import main\n"
            f"rc = main(['check', '{MODEL2}'])\n"
            "assert rc == 0, rc\nassert 'torch' not in sys.modules, 'torch imported'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_an_unwritable_output_is_an_error_not_a_traceback(tmp_path, capsys):
    path = tmp_path / "no" / "such" / "m.pt"
    assert main(["compile", MODEL2, "--to", "torchscript", "-o", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("archlang compile: error: TorchScript export failed: ")
    assert "Traceback" not in err and not path.exists()
