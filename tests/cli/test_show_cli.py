"""`archlang show filters|activations|boxes`: pictures, exit statuses, no tracebacks."""
from __future__ import annotations

import matplotlib.image as mpimg
import numpy as np
import pytest

from archlang.cli import main
from archlang.interpret import open_network
from archlang.interpret.boxes import judge, predict
from archlang.train.localization import metrics
from conftest import FIXTURES, SPECS
from interpret.helpers import fake_run

MODEL2 = str(SPECS / "book/model2.arch")
LOCALIZATION = SPECS / "book/localization.arch"


@pytest.fixture(scope="module")
def model2_run(tmp_path_factory):
    return fake_run(tmp_path_factory.mktemp("runs") / "model2", SPECS / "book/model2.arch",
                    copy_spec=True, data="digits(28)")


def test_filters_and_activations_of_a_run(model2_run, tmp_path, capsys):
    assert main(["show", "filters", str(model2_run), "-o", str(tmp_path / "f.png")]) == 0
    assert main(["show", "activations", str(model2_run), "--layer", "2", "--index", "3",
                 "-o", str(tmp_path / "a.png")]) == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'f.png'}" in out and f"wrote {tmp_path / 'a.png'}" in out
    assert mpimg.imread(tmp_path / "f.png").shape[2] == 4


def test_activations_of_an_input_file(tmp_path):
    np.save(tmp_path / "signal.npy", np.sin(np.arange(40, dtype=np.float32) / 3).reshape(40, 1))
    assert main(["show", "activations", str(FIXTURES / "interpret/conv1d.arch"), "--layer", "3",
                 "--input", str(tmp_path / "signal.npy"), "-o", str(tmp_path / "a.svg")]) == 0
    assert (tmp_path / "a.svg").read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize("argv, status, message", [
    (["filters", "{run}", "--layer", "2"], 2, "row 2 of model2 is MaxPool((2, 2)), not a convolution"),
    (["filters", "{run}", "--layer", "9"], 2, "model2 has no row 9"),
    (["filters", "{run}", "--index", "1"], 2, "--input and --index choose an input"),
    (["activations", "{run}", "--index", "5000"], 1, "there is no sample 5000"),
    (["activations", "{tmp}/nothing"], 2, "no such file or folder (RUN)"),
    (["activations", "{run}", "--input", "{tmp}/x.npy"], 2, "no such file or folder (--input)"),
    (["boxes", "{run}"], 2, "was not trained for localisation: its targets are class labels"),
    (["filters", "{run}", "--spec", str(FIXTURES / "interpret/skip.arch")], 2,
     "the run trained model `model2`"),
    (["filters", "{run}", "--layer", "x"], 2, "invalid int value"),
    (["filters", "{run}", "-o", "{tmp}/f.unknownformat"], 1, "cannot write"),
    (["filters", "{run}", "-o", "/proc/no/such/f.png"], 1, "cannot write /proc/no/such/f.png"),
])
def test_mistakes_exit_with_a_message(model2_run, tmp_path, capsys, argv, status, message):
    argv = [a.format(run=model2_run, tmp=tmp_path) for a in argv]
    if "-o" not in argv:
        argv += ["-o", str(tmp_path / "out.png")]
    assert main(["show", *argv]) == status
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_wrong_spec_prints_its_diagnostics(tmp_path, capsys):
    bad = tmp_path / "bad.arch"
    bad.write_text("model m(x: 28×28×1) = Chain(Conv((5, 5), 2 => 8))\n")
    assert main(["show", "filters", str(bad), "-o", str(tmp_path / "f.png")]) == 1
    assert "error[" in capsys.readouterr().err


def test_boxes_of_a_localisation_run(tmp_path, capsys):
    run = fake_run(tmp_path / "loc", LOCALIZATION, copy_spec=True, seed=2,
                   data="localization(32, count=60)", val_split=0.5)
    picture = tmp_path / "boxes.png"
    assert main(["show", "boxes", str(run), "-n", "6", "-o", str(picture)]) == 0
    net = open_network(run)
    val = net.validation()
    assert len(val) == 30 and val.y.shape == (30, 15)
    m = metrics(predict(net, val.x), val.y)
    assert judge(net) == m
    out = capsys.readouterr().out
    assert (f"localization: presence {100 * m['presence']:.1f}% of 30 validation images; on the "
            f"{m['present']} with an object: class {100 * m['class']:.1f}%, mean IoU {m['iou']:.3f}") in out
    assert mpimg.imread(picture).shape[0] > 200


def test_boxes_need_a_run(capsys, tmp_path):
    assert main(["show", "boxes", str(LOCALIZATION), "-o", str(tmp_path / "b.png")]) == 2
    assert "is a spec, not a run" in capsys.readouterr().err

