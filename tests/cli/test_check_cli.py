"""`archlang check`: tables, JSON, exit codes; never a traceback; never torch."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from archlang.cli import main
from conftest import CONFORMANCE, ROOT, SPECS


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "archlang", *args], capture_output=True, text=True,
                          cwd=cwd)


def test_table_for_model2(capsys):
    assert main(["check", str(SPECS / "book/model2.arch")]) == 0
    out = capsys.readouterr().out
    for row in ["Conv((5, 5), 1 => 8, relu)", "24×24×8", "5×5×16", "Dense(400 => 10)", "4,010",
                "total params:", "5,386"]:
        assert row in out


def test_json_document(capsys):
    assert main(["check", "--json", str(SPECS / "book/model2.arch")]) == 0
    doc = json.loads(capsys.readouterr().out)
    (m,) = doc["models"]
    assert m["name"] == "model2" and m["input_shape"] == [28, 28, 1] and m["output_shape"] == [10]
    assert m["params"] == 5386 and m["trainable_params"] == 5386
    assert [layer["index"] for layer in m["layers"]] == [1, 2, 3, 4, 5, 6]
    first = m["layers"][0]
    assert (first["layer"], first["output_shape"], first["params"]) == \
        ("Conv((5, 5), 1 => 8, relu)", [24, 24, 8], 208)
    # Each layer's attribute in the compiled module (a flatten has none).
    assert [layer.get("name") for layer in m["layers"]] == ["conv1", "pool1", "conv2", "pool2",
                                                          None, "fc1"]


def test_json_on_a_bad_spec_is_one_document_and_exit_1(capsys):
    assert main(["check", "--json", str(CONFORMANCE / "bad_dense.arch")]) == 1
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert captured.err == ""
    (d,) = doc["diagnostics"]
    assert (d["code"], d["line"], d["severity"]) == ("E0301", 4, "error")


def test_exit_codes():
    assert run("check", str(SPECS / "book/model1.arch")).returncode == 0
    bad = run("check", str(CONFORMANCE / "bad_channels.arch"))
    assert bad.returncode == 1 and "error[E0300]" in bad.stderr and "Traceback" not in bad.stderr
    assert run("check", "no/such/file.arch").returncode == 2
    assert run("check", "--frobnicate", str(SPECS / "book/model1.arch")).returncode == 2
    assert run("check", str(SPECS / "book/model1.arch"), "--model", "nope").returncode == 2
    assert run("nonsense").returncode == 2


def test_help_version_and_module_entry_point():
    assert "check" in run("--help").stdout
    assert run("--version").stdout.startswith("archlang ")
    assert run("check", "--help").returncode == 0


def test_model_selection_and_depth(capsys):
    assert main(["check", str(SPECS / "book/sizes.arch"), "--model", "conv_pad0"]) == 0
    out = capsys.readouterr().out
    assert "conv_pad0" in out and "conv_pad2" not in out
    assert main(["check", str(SPECS / "famous/resnet18.arch"), "--depth", "1"]) == 0
    out = capsys.readouterr().out
    assert "BasicBlock(64)" in out and "Conv((3, 3), 64 => 64" not in out


def test_check_never_imports_torch():
    # Not for the compiled attribute names either: the backend's module map is plain data.
    code = ("import sys; from archlang.cli import main; "
            f"main(['check', {str(SPECS / 'famous/resnet50.arch')!r}]); "
            f"main(['check', {str(SPECS / 'famous/resnet50.arch')!r}, '--columns', 'name']); "
            "sys.stdout.flush(); assert 'torch' not in sys.modules, 'torch was imported'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02\xff\xfe binary", b"\xef\xbb\xbfmodel m(x: 4) = relu",
                                     b"model m(x: 4) = " + b"Chain(" * 300 + b"relu" + b")" * 300,
                                     b"model m(x: 10^10^10^10) = relu", b"model m(x: 99999999999999999999999) = relu"])
def test_never_a_traceback(tmp_path, content):
    p = tmp_path / "weird.arch"
    p.write_bytes(content)
    proc = run("check", str(p))
    assert "Traceback" not in proc.stderr
    assert proc.returncode in (0, 1)
