"""Training on text from the command line: a tiny language model on the bundled Genesis
(`archlang train`), its perplexity (`evaluate`), samples (`predict --prompt`), and the
mistakes each makes a diagnostic."""
from __future__ import annotations

import math
import re

import pytest

torch = pytest.importorskip("torch")

from archlang.cli import main  # noqa: E402
from archlang.train import checkpoint  # noqa: E402
from archlang.train.metrics import read_metrics  # noqa: E402
from conftest import SPECS  # noqa: E402
from train.helpers import one_thread  # noqa: E402,F401  (autouse: one intra-op thread)

FIX = SPECS.parent / "tests" / "fixtures" / "train"
LM = FIX / "tiny_lm.arch"


@pytest.fixture(scope="module")
def lm(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "tiny_lm"
    assert main(["train", str(LM), "--model", "tiny_lm", "--out", str(out), "--no-progress"]) == 0
    return out


def test_a_tiny_language_model_trains_on_the_bundled_text(lm, capsys):
    rows = read_metrics(lm / "metrics.csv")
    assert rows[1]["train_loss"] < rows[0]["train_loss"] < math.log(70)
    assert rows[-1]["val_ppl"] == pytest.approx(math.exp(rows[-1]["val_loss"]), rel=1e-4)
    state = checkpoint.load(lm / "best.pt")
    assert state["config"]["loss"] == "next_token"      # chosen for per-token targets
    assert state["module"]["output_layouts"] == ["channels_last"]
    assert state["vocab"]["level"] == "char" and len(state["vocab"]["chars"]) == 70
    capsys.readouterr()
    assert main(["evaluate", str(lm)]) == 0
    shown = re.search(r"validation loss ([\d.]+), perplexity ([\d.]+) on", capsys.readouterr().out)
    best = min(rows, key=lambda r: r["val_loss"])
    assert float(shown[1]) == pytest.approx(best["val_loss"], abs=1e-4)
    assert float(shown[2]) == pytest.approx(best["val_ppl"], abs=0.006)


def test_predict_samples_a_reproducible_continuation(lm, capsys):
    args = ["predict", str(lm), "--prompt", "And God said", "--tokens", "40", "--seed", "1"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    assert capsys.readouterr().out == first
    assert first.startswith("And God said") and len(first) == len("And God said") + 40 + 1
    assert main(args[:-1] + ["2"]) == 0
    assert capsys.readouterr().out != first


def test_a_prompt_outside_the_vocabulary_is_an_error_naming_its_characters(lm, capsys):
    assert main(["predict", str(lm), "--prompt", "Qué"]) == 1
    err = capsys.readouterr().err
    assert "lacks: 'Q', 'é'" in err and "level=byte" in err


def test_predict_needs_inputs_or_a_prompt_and_a_run_trained_on_text(lm, tmp_path, capsys):
    assert main(["predict", str(lm)]) == 2
    assert "--prompt" in capsys.readouterr().err
    assert main(["predict", str(lm), "x.npy", "--prompt", "And"]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["predict", str(lm), "--prompt", "And", "--temperature", "-1"]) == 2
    digits = tmp_path / "digits"
    assert main(["train", str(FIX / "mlp.arch"), "--out", str(digits), "--epochs", "1",
                 "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["predict", str(digits), "--prompt", "And"]) == 1
    assert "was not trained on text" in capsys.readouterr().err


def test_a_convolution_head_trains_and_samples_in_its_own_layout(tmp_path, capsys):
    out = tmp_path / "conv"
    assert main(["train", str(LM), "--model", "tiny_lm_conv_head", "--data", "kjv(stride=32)",
                 "--epochs", "1", "--out", str(out), "--no-progress"]) == 0
    capsys.readouterr()
    state = checkpoint.load(out / "best.pt")
    assert state["module"]["output_layouts"] == ["channels_first"]   # N×V×L
    assert read_metrics(out / "metrics.csv")[0]["val_loss"] < math.log(70)
    assert main(["predict", str(out), "--prompt", "In the", "--tokens", "10"]) == 0
    assert len(capsys.readouterr().out) == len("In the") + 10 + 1


def test_text_mistakes_are_diagnostics(tmp_path, capsys):
    assert main(["train", str(LM), "--model", "too_few", "--data", "kjv", "--out",
                 str(tmp_path / "a"), "--no-progress"]) == 1
    assert "70 tokens) but the model's output scores 50 per position" in capsys.readouterr().err
    assert main(["train", str(LM), "--model", "tiny_lm", "--data", str(tmp_path / "none.txt"),
                 "--out", str(tmp_path / "b"), "--no-progress"]) == 1
    assert "no such text file" in capsys.readouterr().err
    assert main(["train", str(LM), "--model", "floats", "--data", "kjv", "--out",
                 str(tmp_path / "c"), "--no-progress"]) == 1
    assert "kjv gives sequences of token ids, but the spec's input is 16 of float" in \
        capsys.readouterr().err


@pytest.mark.slow  # 5 epochs of 11,104 windows: 2 to 7 minutes on a 2-core machine
def test_the_documented_language_model_reaches_its_perplexity(tmp_path, capsys):
    spec = SPECS.parent / "examples" / "specs" / "charlm.arch"
    assert main(["train", str(spec), "--out", str(tmp_path / "charlm"), "--no-progress"]) == 0
    rows = read_metrics(tmp_path / "charlm" / "metrics.csv")
    # docs/train.md: 4.01 with seed 0 on two threads, 4.10 on the tests' one thread
    assert min(r["val_ppl"] for r in rows) < 4.2
    capsys.readouterr()
    assert main(["predict", str(tmp_path / "charlm"), "--prompt", "And God said"]) == 0
    assert len(capsys.readouterr().out) == len("And God said") + 200 + 1


def test_a_text_classifier_trains_on_labelled_lines_and_classifies_a_prompt(tmp_path, capsys):
    reviews = tmp_path / "reviews.tsv"
    lines = [("pos", "good film, fine acting"), ("neg", "bad film, dull plot"),
             ("pos", "a fine, good story"), ("neg", "dull and bad")] * 12
    reviews.write_text("label\ttext\n" + "".join(f"{a}\t{b}\n" for a, b in lines))
    out = tmp_path / "cls"
    assert main(["train", str(LM), "--model", "bytes_classifier", "--data",
                 f"text_classes({reviews}, level=byte)", "--epochs", "12", "--lr", "0.02",
                 "--out", str(out), "--no-progress"]) == 0
    assert read_metrics(out / "metrics.csv")[-1]["val_acc"] == 1.0
    capsys.readouterr()
    assert main(["predict", str(out), "--prompt", "good and fine"]) == 0
    assert capsys.readouterr().out.startswith("prompt: class pos (")
