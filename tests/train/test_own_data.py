"""Data of one's own: image folders, CSV tables, arrays/Datasets/DataLoaders given to `fit`,
and the messages around them. Every data file is written by the test."""
from __future__ import annotations

import copy
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("PIL")

import archlang  # noqa: E402
from archlang.train import TrainConfig, TrainError  # noqa: E402
from archlang.train.csvdata import read_csv  # noqa: E402
from archlang.train.data import load_data, splits  # noqa: E402
from archlang.train.folders import image_folder  # noqa: E402
from archlang.train.runs import load_weights  # noqa: E402

from .helpers import one_thread, quiet_train  # noqa: E402,F401  (one_thread: autouse)
from .own_data import separable_table, write_csv, write_images, write_split_folder  # noqa: E402

PIXELS = "model m(x: 8×8×3) = Chain(flatten, Dense(192 => 2))\n"
TABLE = "model t(x: 4) = Chain(Dense(4 => 8, relu), Dense(8 => 2))\n"


# ---- image folders ---------------------------------------------------------------------------

def test_an_image_folder_is_its_class_subfolders(tmp_path):
    root = write_images(tmp_path / "pets", {"dog": 2, "cat": 3})
    (root / "cat" / "notes.txt").write_text("not an image")
    data = image_folder(root, (8, 8, 3))
    assert len(data) == 5 and data.classes == ["cat", "dog"]        # sorted: cat is class 0
    assert data.labels.tolist() == [0, 0, 0, 1, 1]
    x, y = data.head(5)
    assert x.shape == (5, 3, 8, 8) and x.dtype == torch.float32 and y.tolist() == [0, 0, 0, 1, 1]
    assert 0 <= float(x.min()) and float(x.max()) <= 1


def test_images_take_the_spec_s_channels_and_size(tmp_path):
    from PIL import Image
    (tmp_path / "red").mkdir()
    Image.new("RGB", (5, 7), (255, 0, 0)).save(tmp_path / "red" / "a.png")
    rgb = image_folder(tmp_path, (4, 3, 3)).head(1)[0][0]             # W×H×C 4×3×3
    assert rgb.shape == (3, 3, 4)                                      # C×H×W
    assert torch.equal(rgb[0], torch.ones(3, 4)) and torch.equal(rgb[1:], torch.zeros(2, 3, 4))
    grey = image_folder(tmp_path, (4, 3, 1)).head(1)[0][0]
    # Pillow's L = R·299/1000 + G·587/1000 + B·114/1000 = 76 for pure red
    assert grey.shape == (1, 3, 4) and torch.allclose(grey, torch.full((1, 3, 4), 76 / 255))


def test_train_val_test_subfolders_are_used(tmp_path):
    root = write_split_folder(tmp_path / "split")
    config = TrainConfig.from_section({"data": str(root)})
    train, val, test = splits(config, (8, 8, 3))
    assert (len(train), len(val), len(test)) == (12, 4, 4)
    assert train.classes == val.classes == test.classes == ["blue", "red"]
    assert test.labels.tolist() == [0, 1, 1, 1]


def test_folder_mistakes_are_named(tmp_path):
    root = write_split_folder(tmp_path / "split")
    write_images(root / "val", {"cow": 1})
    with pytest.raises(TrainError, match="split/val has the class folder `cow` that .*train lacks"):
        splits(TrainConfig.from_section({"data": str(root)}), (8, 8, 3))
    write_images(tmp_path / "loose", {}, seed=0)
    with pytest.raises(TrainError, match="holds images but the spec's input is 64"):
        load_data({"call": "folder", "args": [str(root)], "kwargs": {}}, (64,))
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(TrainError, match="empty holds no images"):
        image_folder(tmp_path / "empty", (8, 8, 3))


def test_a_folder_trains_and_the_loss_falls(tmp_path):
    root = write_images(tmp_path / "pets", {"blue": 10, "red": 10})
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(192, 2))
    cfg = TrainConfig.from_section({"data": str(root), "epochs": 3, "batch": 4, "lr": 0.005,
                                    "val_split": 0.2, "device": "cpu", "out": str(tmp_path / "run")})
    result, _ = quiet_train(model, (8, 8, 3), cfg)
    losses = [h["train_loss"] for h in result.history]
    assert losses[2] < losses[0] and result.final_val_acc == 1.0       # 4 validation images
    assert result.classes == ["blue", "red"] and result.model is model
    assert torch.load(result.last, weights_only=True)["classes"] == ["blue", "red"]


def test_worker_processes_give_the_same_weights(tmp_path):
    root = write_images(tmp_path / "pets", {"blue": 6, "red": 6})
    weights = []
    for workers in (0, 2):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(192, 2))
        cfg = TrainConfig.from_section({"data": str(root), "epochs": 1, "batch": 4, "seed": 3,
                                        "device": "cpu", "workers": workers,
                                        "out": str(tmp_path / f"run{workers}")})
        quiet_train(model, (8, 8, 3), cfg)
        weights.append(model[1].weight.detach().clone())
    assert torch.equal(weights[0], weights[1])


def test_an_unreadable_image_in_a_worker_is_named(tmp_path):
    root = write_images(tmp_path / "pets", {"blue": 3, "red": 3})
    (root / "red" / "broken.png").write_bytes(b"not a png")
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(192, 2))
    cfg = TrainConfig.from_section({"data": str(root), "epochs": 1, "batch": 8, "val_split": 0,
                                    "device": "cpu", "workers": 1, "out": str(tmp_path / "run")})
    with pytest.raises(TrainError) as err:
        quiet_train(model, (8, 8, 3), cfg)
    assert err.value.message.startswith(f"cannot read the image {root / 'red' / 'broken.png'}")
    assert "Traceback" not in str(err.value)


# ---- CSV tables ------------------------------------------------------------------------------

def test_csv_labels_words_and_numbers(tmp_path):
    path = write_csv(tmp_path / "iris.csv", [[1, 2, 3, 4, "virginica"], [5, 6, 7, 8, "setosa"],
                                             [0, 0, 0, 1, "virginica"]],
                     ["a", "b", "c", "d", "Class"])
    data = read_csv(path, (4,))
    assert data.classes == ["setosa", "virginica"] and data.y.tolist() == [1, 0, 1]
    assert data.x.tolist() == [[1, 2, 3, 4], [5, 6, 7, 8], [0, 0, 0, 1]]
    numbers = write_csv(tmp_path / "n.csv", [[1, 2, 0.5], [3, 4, 1.5]], ["a", "label", "c"])
    by_name = read_csv(numbers, (2,), label="c")        # another column as the label
    assert by_name.y.tolist() == [0.5, 1.5] and by_name.y.dtype == torch.float32
    assert by_name.x.tolist() == [[1, 2], [3, 4]] and by_name.classes is None


def test_csv_pixel_columns_become_images(tmp_path):
    # A 3×2×1 input (W×H×C): pixel columns row by row, as Kaggle's MNIST CSV
    grey = write_csv(tmp_path / "g.csv", [[0, 0, 51, 102, 153, 204, 255]],
                     ["label", *(f"p{i}" for i in range(6))])
    x = read_csv(grey, (3, 2, 1)).x
    assert x.shape == (1, 1, 2, 3)
    assert torch.allclose(x[0, 0], torch.tensor([[0, 0.2, 0.4], [0.6, 0.8, 1.0]]))
    # 2×1×3 RGB: channels last per pixel (r0 g0 b0 r1 g1 b1), read into C×H×W
    rgb = write_csv(tmp_path / "c.csv", [[1, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]],
                    ["label", *(f"p{i}" for i in range(6))])
    x = read_csv(rgb, (2, 1, 3)).x
    assert x.shape == (1, 3, 1, 2)
    assert torch.allclose(x[0, :, 0, :], torch.tensor([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]))


def test_csv_mistakes_name_the_cell_and_the_counts(tmp_path):
    path = write_csv(tmp_path / "t.csv", [[0, 1, 2, 3, 4], [1, 5, "six", 7, 8]],
                     ["label", "a", "b", "c", "d"])
    with pytest.raises(TrainError) as err:
        read_csv(path, (4,))
    assert err.value.message == f"{path}: row 3, column 3 (`b`): `six` is not a number"
    ok = write_csv(tmp_path / "ok.csv", [[0, 1, 2, 3, 4]], ["label", "a", "b", "c", "d"])
    with pytest.raises(TrainError) as err:
        read_csv(ok, (28, 28, 1))
    assert err.value.message == (f"{ok} has 4 feature columns but the spec's input 28×28×1 "
                                 "takes 784 values")
    with pytest.raises(TrainError, match="has no label column"):
        read_csv(write_csv(tmp_path / "n.csv", [[0, 1]], ["a", "b"]), (1,))
    with pytest.raises(TrainError, match="label_column `b` names a column of a CSV table"):
        splits(TrainConfig.from_section({"data": "digits", "label_column": "b"}), (64,))


# ---- fit: arrays, Datasets, DataLoaders ----------------------------------------------------------

def test_fit_takes_arrays_and_returns_the_trained_model(tmp_path, tmp_spec):
    spec = tmp_spec(TABLE)
    x, y = separable_table(40)
    result = archlang.fit(spec, data=(x, y), epochs=3, lr=0.05, batch=8, out=str(tmp_path / "a"),
                          progress=False, device="cpu")
    assert isinstance(result.model, torch.nn.Module) and result.folder == tmp_path / "a"
    losses = [h["train_loss"] for h in result.history]
    assert len(losses) == 3 and losses[2] < losses[0] and result.best_val_acc == 1.0
    with torch.no_grad():                               # the returned module is the trained one
        assert (result.model(torch.from_numpy(x)).argmax(1).numpy() == y).all()
    again = archlang.fit(spec, data=(torch.from_numpy(x), torch.from_numpy(y)), epochs=3,
                         lr=0.05, batch=8, out=str(tmp_path / "b"), progress=False, device="cpu")
    assert all(torch.equal(a, b) for a, b in zip(result.model.state_dict().values(),
                                                  again.model.state_dict().values()))


def test_fit_takes_a_dataset_and_a_dataloader(tmp_path, tmp_spec):
    spec = tmp_spec(TABLE)
    x, y = (torch.from_numpy(a) for a in separable_table(40))
    val_x, val_y = (torch.from_numpy(a) for a in separable_table(10, seed=1))
    dataset = torch.utils.data.TensorDataset(x, y)
    result = archlang.fit(spec, data=dataset, val_data=(val_x, val_y), epochs=2, batch=8,
                          lr=0.05, out=str(tmp_path / "ds"), progress=False, device="cpu")
    assert result.history[-1]["val_acc"] == 1.0                        # the 10 given samples
    loader = torch.utils.data.DataLoader(dataset, batch_size=16, shuffle=False)
    result = archlang.fit(spec, data=loader, epochs=2, lr=0.05, out=str(tmp_path / "dl"),
                          progress=False, device="cpu")
    assert len(result.history) == 2 and np.isnan(result.history[0]["val_acc"])   # never split
    assert result.history[1]["train_loss"] < result.history[0]["train_loss"]
    with pytest.raises(TrainError, match="a DataLoader is used as it is and not split"):
        archlang.fit(spec, data=loader, val_split=0.2, out=str(tmp_path / "x"), progress=False)


def test_fit_errors_never_print_the_arrays(tmp_spec, tmp_path):
    spec = tmp_spec(TABLE)
    x = np.full((1000, 4), 0.123456789, dtype=np.float32)
    for data, expected in [((x, np.zeros(999, dtype=np.int64)),
                            "data: x has 1000 samples (shape (1000, 4)) but y has 999 (shape (999,))"),
                           (x, "data must be (x, y) arrays, a torch Dataset or a DataLoader, "
                               "not a ndarray")]:
        with pytest.raises(TrainError) as err:
            archlang.fit(spec, data=data, out=str(tmp_path / "r"), progress=False)
        assert err.value.message == expected and "0.1234" not in str(err.value)


# ---- pickling, messages -------------------------------------------------------------------------

def test_a_loaded_module_pickles_into_a_new_process(tmp_path, tmp_spec):
    spec = tmp_spec("block B(c) = Chain(Dense(c => c, relu), Dense(c => c))\n"
                    "model p(x: 6) = Chain(B(6), Dense(6 => 3))\n")
    model = archlang.load(spec)
    assert type(copy.deepcopy(model)) is type(model) is type(archlang.load(spec))
    x = torch.linspace(-1, 1, 12).reshape(2, 6)
    torch.save({"model": model, "x": x, "y": model(x).detach()}, tmp_path / "whole.pt")
    script = textwrap.dedent(f"""
        import torch
        saved = torch.load({str(tmp_path / 'whole.pt')!r}, weights_only=False)
        m = saved["model"]
        print(type(m).__name__, type(m.b1).__name__, torch.equal(m(saved["x"]), saved["y"]))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=tmp_path, env=_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["P", "B", "True"]


def _env():
    import os
    from pathlib import Path
    root = str(Path(archlang.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_greyscale_digits_on_a_colour_model_say_so():
    with pytest.raises(TrainError) as err:
        load_data({"call": "digits", "args": [32], "kwargs": {}}, (32, 32, 3))
    assert err.value.message == ("digits gives greyscale images (1 channel) but the spec's "
                                 "input 32×32×3 has 3 channels")
    assert err.value.hint == "change the spec's input to 32×32×1, or train on data with 3 channels"
    with pytest.raises(TrainError, match="greyscale images"):        # sized from the spec
        load_data(None, (32, 32, 3))


def test_mismatched_weights_name_the_first_difference_and_their_model(tmp_path, tmp_spec):
    small = torch.nn.Linear(4, 2)
    state = {"weight": torch.zeros(3, 4), "bias": torch.zeros(3)}
    with pytest.raises(TrainError) as err:
        load_weights(small, state, "w.pt", "`t` of t.arch")
    assert err.value.message == ("the weights in w.pt do not fit this model: `weight` is 3×4 in "
                                 "the checkpoint but 2×4 in the model (and 1 more difference)")
    assert err.value.hint == "the checkpoint was trained for `t` of t.arch; use that spec and model"
    spec = tmp_spec(TABLE)
    x, y = separable_table(20)
    run = archlang.fit(spec, data=(x, y), epochs=1, out=str(tmp_path / "r"), progress=False)
    other = tmp_spec("model u(x: 4) = Chain(Dense(4 => 5, relu), Dense(5 => 2))\n", "u.arch")
    with pytest.raises(TrainError) as err:
        archlang.load(other, weights=run.best)
    assert err.value.message.endswith(": `fc1.weight` is 8×4 in the checkpoint but 5×4 in the "
                                      "model (and 2 more differences)")   # fc1.bias, fc2.weight
    assert err.value.hint == f"the checkpoint was trained for `t` of {spec}; use that spec and model"


def test_fit_on_a_folder_path_writes_a_run_that_evaluates(tmp_path, tmp_spec):
    # From the modules: once archlang.train.evaluate is imported, the package's `evaluate`
    # is that submodule, not the function.
    from archlang.train.evaluate import evaluate
    from archlang.train.runs import load_run
    root = write_split_folder(tmp_path / "colours")
    result = archlang.fit(tmp_spec(PIXELS), data=root, epochs=1, batch=4, lr=0.005,
                          out=str(tmp_path / "run"), progress=False, device="cpu")
    assert result.classes == ["blue", "red"] and len(result.history) == 1
    run = load_run(result.out)                         # rebuilt from the model.py fit wrote
    assert run.classes == ["blue", "red"] and run.class_name(1) == "red"
    scored = evaluate(run)
    assert (scored.split, scored.n) == ("test", 4) and scored.confusion.sum() == 4
