"""`archlang evaluate`, `archlang predict`, `compile --weights` and `archlang.load(weights=)`:
trained models leaving their run folder."""
from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import archlang  # noqa: E402
from archlang.cli import main  # noqa: E402
from archlang.train.data import digits  # noqa: E402
from conftest import SPECS  # noqa: E402
from train.helpers import one_thread  # noqa: E402,F401  (autouse: one intra-op thread)

FIX = SPECS.parent / "tests" / "fixtures" / "train"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """mlp trained for 4 epochs with a 20% test split (359 digits held out)."""
    out = tmp_path_factory.mktemp("runs") / "mlp"
    assert main(["train", str(FIX / "mlp.arch"), "--out", str(out), "--epochs", "4",
                 "--test-split", "0.2", "--no-progress"]) == 0
    return out


def test_evaluate_prints_test_accuracy_and_draws_the_confusion_matrix(trained, capsys):
    assert main(["evaluate", str(trained)]) == 0
    out = capsys.readouterr().out
    from archlang.train.evaluate import evaluate
    from archlang.train.runs import load_run
    result = evaluate(load_run(trained))
    assert result.split == "test" and result.n == 359 and result.confusion.sum() == 359
    assert result.accuracy == pytest.approx(np.trace(result.confusion) / 359)
    # an oracle: the same 359 samples scored by hand with the reloaded model
    from archlang.train.data import splits
    run = load_run(trained)
    _, val, test = splits(run.config, run.input_shape)
    assert len(val) == 359 and not any(torch.equal(test.x[i], val.x[0]) for i in range(359))
    by_hand = (run.model(test.x).argmax(1) == test.y).float().mean().item()
    assert result.accuracy == pytest.approx(by_hand)
    assert f"test accuracy {100 * by_hand:.2f}% on 359 samples" in out
    assert (trained / "confusion.png").stat().st_size > 5_000


def test_evaluate_without_a_test_split_uses_validation_and_says_so(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", str(FIX / "mlp.arch"), "--out", str(out), "--epochs", "1",
                 "--no-progress"]) == 0
    assert main(["evaluate", str(out), "-o", str(tmp_path / "c.png")]) == 0
    printed = capsys.readouterr().out
    assert "validation accuracy" in printed and "kept no test split" in printed
    assert main(["evaluate", str(tmp_path / "nothing")]) == 1
    assert "no run at" in capsys.readouterr().err


def _idx(path, array, kind=0x08):
    header = struct.pack(">BBBB", 0, 0, kind, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(gzip.compress(header + array.astype(">u1").tobytes()))


def test_mnist_evaluates_on_its_t10k_files(tmp_path, capsys):
    folder = tmp_path / "mnist"
    folder.mkdir()
    d = digits(28)
    images = (d.x[:, 0] * 255).round().numpy().astype(np.uint8)
    _idx(folder / "train-images-idx3-ubyte.gz", images[:1500])
    _idx(folder / "train-labels-idx1-ubyte.gz", d.y[:1500].numpy().astype(np.uint8))
    _idx(folder / "t10k-images-idx3-ubyte.gz", images[1500:])
    _idx(folder / "t10k-labels-idx1-ubyte.gz", d.y[1500:].numpy().astype(np.uint8))
    out = tmp_path / "run"
    assert main(["train", str(SPECS / "book/model1.arch"), "--data", f"mnist({folder})",
                 "--epochs", "1", "--out", str(out), "--no-progress"]) == 0
    assert main(["evaluate", str(out)]) == 0
    assert "on 297 samples" in capsys.readouterr().out          # 1,797 − 1,500 t10k images


def test_predict_prints_classes_and_probabilities(trained, tmp_path, capsys):
    d = digits(8)
    np.save(tmp_path / "one.npy", d.x[7].numpy())                 # 1×8×8 (PyTorch's order)
    with open(tmp_path / "four.npz", "wb") as f:
        np.savez(f, x=d.x[:4].numpy().transpose(0, 3, 2, 1))      # N×W×H×C (the spec's order)
    from PIL import Image
    Image.fromarray((d.x[5, 0].numpy() * 255).astype(np.uint8)).resize((32, 32)).save(tmp_path / "five.png")
    assert main(["predict", str(trained), str(tmp_path / "one.npy"), str(tmp_path / "four.npz"),
                 str(tmp_path / "five.png"), "--top", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    model = archlang.load(FIX / "mlp.arch", weights=trained / "best.pt")
    probs = model(d.x[[7, 0, 1, 2, 3]]).detach().softmax(1)
    from archlang.cli.predict import _pct
    for line, p in zip(lines, probs):
        top = p.topk(2)
        assert f": class {int(top.indices[0])} ({_pct(float(top.values[0]))}); then " \
               f"{int(top.indices[1])} {_pct(float(top.values[1]))}" in line
    assert lines[1].startswith(f"{tmp_path / 'four.npz'}[0]: ") and len(lines) == 6
    assert lines[5].startswith(f"{tmp_path / 'five.png'}: class ")
    assert main(["predict", str(trained), str(tmp_path / "missing.png")]) == 1
    (tmp_path / "bad.png").write_bytes(b"not a png")
    assert main(["predict", str(trained), str(tmp_path / "bad.png")]) == 1
    assert "cannot read the image" in capsys.readouterr().err


def test_small_probabilities_are_not_shown_as_zero():
    from archlang.cli.predict import _pct
    assert (_pct(0.981), _pct(0.0005), _pct(0.0004)) == ("98.1%", "0.1%", "<0.1%")


def test_load_with_weights_and_compile_with_weights(trained, tmp_path, capsys):
    state = torch.load(trained / "best.pt", weights_only=True)["model"]
    model = archlang.load(FIX / "mlp.arch", weights=trained / "best.pt")
    assert not model.training and all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    with pytest.raises(archlang.train.TrainError, match="do not fit this model"):
        archlang.load(SPECS / "book/model2.arch", weights=trained / "best.pt")
    ts = tmp_path / "mlp.pt"
    assert main(["compile", str(FIX / "mlp.arch"), "--to", "torchscript", "-o", str(ts),
                 "--weights", str(trained)]) == 0
    x = torch.rand(4, 1, 8, 8)
    assert torch.allclose(torch.jit.load(str(ts))(x), model(x), atol=1e-6)
    assert main(["compile", str(FIX / "mlp.arch"), "--weights", str(trained)]) == 2
    assert main(["compile", str(SPECS / "book/model2.arch"), "--to", "torchscript", "-o",
                 str(ts), "--weights", str(trained / "best.pt")]) == 1
    assert "do not fit this model" in capsys.readouterr().err


@pytest.mark.slow
def test_onnx_export_has_a_dynamic_batch_and_agrees_with_torch(trained, tmp_path):
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    pytest.importorskip("onnxscript", reason="the onnx extra is not installed")
    path = tmp_path / "mlp.onnx"
    assert main(["compile", str(FIX / "mlp.arch"), "--to", "onnx", "-o", str(path),
                 "--weights", str(trained / "best.pt")]) == 0
    session = ort.InferenceSession(str(path))
    model = archlang.load(FIX / "mlp.arch", weights=trained / "best.pt")
    for batch in (1, 4):
        x = torch.rand(batch, 1, 8, 8)
        (got,) = session.run(None, {"x": x.numpy()})
        assert got.shape == (batch, 10)
        np.testing.assert_allclose(got, model(x).detach().numpy(), atol=1e-5)
