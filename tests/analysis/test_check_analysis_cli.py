"""`archlang check` with the analysis: --columns, --batch, --dtype, --json, and no torch."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from archlang.cli import main
from conftest import ROOT, SPECS

MODEL2 = str(SPECS / "book/model2.arch")


def run(capsys, *argv):
    code = main(["check", *argv, "--color", "never"])
    out, err = capsys.readouterr()
    return code, out, err


def test_default_columns(capsys):
    code, out, _ = run(capsys, MODEL2)
    assert code == 0
    header = out.splitlines()[1].split()
    assert header == ["#", "layer", "output", "params", "MACs", "rf", "/jump"]
    assert "115,200" in out and "12×12 /4" in out and "whole input" in out
    assert "FLOPs = 2 × MACs" in out
    assert "peak forward:" in out and "training estimate:" in out


def test_columns(capsys):
    code, out, _ = run(capsys, MODEL2, "--columns",
                       "input,output,params,params%,kernel,macs,memory,rf,dense,trainable")
    assert code == 0
    header = out.splitlines()[1]
    for h in ("input", "output", "params %", "kernel /stride", "MACs", "activations", "rf /jump",
              "dense-equivalent", "trainable"):
        assert h in header
    conv1 = out.splitlines()[3]
    assert "28×28×1" in conv1 and "3.86%" in conv1 and "3,617,280 (17,391×)" in conv1


def test_unknown_column_is_a_usage_error(capsys):
    code, _, err = run(capsys, MODEL2, "--columns", "output,flps")
    assert code == 2 and "unknown column `flps`" in err


def test_batch_and_dtype(capsys):
    code, out, _ = run(capsys, MODEL2, "--columns", "memory", "--batch", "32", "--dtype", "bf16")
    assert code == 0
    assert "memory (bf16, batch 32):" in out
    assert "288.0 KiB" in out        # 24·24·8 · 32 · 2 B
    code, _, err = run(capsys, MODEL2, "--dtype", "fp8")
    assert code == 2 and "unknown dtype" in err
    code, _, err = run(capsys, MODEL2, "--batch", "0")
    assert code == 2


def test_json_keeps_the_contract_and_adds_every_figure(capsys):
    code, out, _ = run(capsys, MODEL2, "--json", "--batch", "4", "--dtype", "fp16")
    assert code == 0
    doc = json.loads(out)
    (m,) = doc["models"]
    for key in ("name", "input_shape", "output_shape", "params", "trainable_params", "layers"):
        assert key in m
    conv1 = m["layers"][0]
    for key in ("index", "layer", "output_shape", "params"):
        assert key in conv1
    assert conv1["macs"] == 115_200 and conv1["flops"] == 230_400
    assert conv1["activation_bytes"] == 24 * 24 * 8 * 4 * 2
    assert conv1["rf"] == {"size": [5, 5], "stride": [1, 1], "padding": [0, 0],
                           "centre": [2.0, 2.0], "whole_input": False}
    assert m["layers"][3]["rf"]["size"] == [12, 12] and m["layers"][3]["rf"]["stride"] == [4, 4]
    assert m["layers"][5]["rf"]["whole_input"] is True
    assert conv1["dense_equivalent"] == 784 * 4_608 + 4_608
    t = m["totals"]
    assert (t["batch"], t["dtype"], t["bytes_per_element"]) == (4, "fp16", 2)
    assert t["macs"] == 234_400 and t["flops"] == 468_800
    for key in ("param_bytes", "activation_bytes", "peak_forward_bytes", "training_bytes",
                "element_ops", "dense_equivalent"):
        assert isinstance(t[key], int)


def test_alignment_warning_is_printed_and_in_json(tmp_spec, capsys):
    path = str(tmp_spec("""model m(x: 16×16×4) = Chain(
    Parallel(+, Conv((3, 3), 4 => 4, pad=1), Conv((3, 3), 4 => 4, pad=(2, 0, 1, 1))))
"""))
    code, out, err = run(capsys, path)
    assert code == 0                       # a warning, not an error
    assert "warning[W0401]" in err and "1 warning" in err
    code, out, _ = run(capsys, path, "--json")
    (d,) = json.loads(out)["diagnostics"]
    assert d["severity"] == "warning" and d["code"] == "W0401" and d["line"] == 2


def test_check_never_imports_torch():
    code = ("import sys; from archlang.cli import main; "
            f"rc = main(['check', {str(SPECS / 'famous/resnet50.arch')!r}, '--columns', "
            "'input,output,params,params%,kernel,macs,memory,rf,dense,trainable']); "
            "rc2 = main(['check', " + repr(MODEL2) + ", '--json']); "
            "assert rc == rc2 == 0; "
            "bad = [m for m in sys.modules if m == 'torch' or m.startswith('torch.')]; "
            "sys.exit(3 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]


@pytest.mark.parametrize("depth", ["0", "1"])
def test_group_rows_sum_their_layers(capsys, depth):
    code, out, _ = run(capsys, str(SPECS / "famous/resnet18.arch"), "--depth", depth,
                       "--columns", "macs")
    assert code == 0
    lines = out.splitlines()
    body = lines[3:lines.index(lines[2], 3)]
    top = [line for line in body if not line[5:].startswith(" ")]     # depth-0 rows
    assert sum(int(line.split()[-1].replace(",", "")) for line in top) == 1_814_073_344
