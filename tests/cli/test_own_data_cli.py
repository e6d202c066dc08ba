"""`archlang train --data FOLDER|FILE.csv`, then `evaluate` and `predict` naming the classes."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("PIL")

from archlang.cli import main  # noqa: E402
from train.helpers import one_thread  # noqa: E402,F401  (autouse: one intra-op thread)
from train.own_data import separable_table, write_csv, write_images, write_split_folder  # noqa: E402

SPEC = "model net(x: 8×8×3) = Chain(flatten, Dense(192 => 2))\n"


def _spec(tmp_path, text=SPEC):
    path = tmp_path / "net.arch"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_train_evaluate_predict_on_an_image_folder(tmp_path, capsys):
    root = write_split_folder(tmp_path / "colours")
    out = tmp_path / "run"
    assert main(["train", _spec(tmp_path), "--data", str(root), "--epochs", "2", "--batch", "4",
                 "--lr", "0.005", "--no-progress", "--out", str(out)]) == 0
    assert "val_acc 100.00%" in capsys.readouterr().out.splitlines()[-2]     # the 4 val/ images
    assert torch.load(out / "last.pt", weights_only=True)["classes"] == ["blue", "red"]
    assert main(["evaluate", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "test accuracy 100.00% on 4 samples" in printed                    # test/: 1 + 3
    assert "classes: 0 blue, 1 red" in printed
    red = root / "test" / "red" / "0.png"
    assert main(["predict", str(out), str(red), "--top", "1"]) == 0
    assert capsys.readouterr().out.startswith(f"{red}: class red (")


def test_a_folder_named_without_a_slash_and_its_mistakes(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_images(tmp_path / "pics", {"blue": 2, "red": 2})
    assert main(["train", _spec(tmp_path), "--data", "pics", "--epochs", "1", "--val-split", "0",
                 "--no-progress", "--out", "run"]) == 0
    (tmp_path / "flat").mkdir()
    write_images(tmp_path / "flat", {"x": 1})
    (tmp_path / "flat" / "x" / "0.png").rename(tmp_path / "flat" / "0.png")
    (tmp_path / "flat" / "x").rmdir()
    capsys.readouterr()
    assert main(["train", _spec(tmp_path), "--data", "./flat", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "archlang train: error: flat has no class folders" in err and "Traceback" not in err


def test_train_on_a_csv_with_its_label_column(tmp_path, capsys):
    x, y = separable_table(40)
    names = ["no", "yes"]
    table = write_csv(tmp_path / "t.csv", [[*row, names[k]] for row, k in zip(x.tolist(), y)],
                      ["a", "b", "c", "d", "answer"])
    spec = _spec(tmp_path, "model t(x: 4) = Chain(Dense(4 => 8, relu), Dense(8 => 2))\n")
    out = tmp_path / "run"
    assert main(["train", spec, "--data", str(table), "--label-column", "answer", "--epochs", "2",
                 "--lr", "0.05", "--batch", "8", "--no-progress", "--out", str(out)]) == 0
    assert torch.load(out / "best.pt", weights_only=True)["classes"] == ["no", "yes"]
    capsys.readouterr()
    assert main(["train", spec, "--data", str(table), "--no-progress"]) == 1    # no `label` column
    assert "has no label column" in capsys.readouterr().err
    bad = write_csv(tmp_path / "bad.csv", [[1, 2, 3, 4, 0], [1, 2, "", 4, 1]],
                    ["a", "b", "c", "d", "label"])
    assert main(["train", spec, "--data", str(bad), "--no-progress"]) == 1
    assert f"error: {bad}: row 3, column 3 (`c`): an empty cell" in capsys.readouterr().err


def test_greyscale_digits_on_a_colour_spec_exit_1(tmp_path, capsys):
    spec = _spec(tmp_path, "model c(x: 32×32×3) = Chain(flatten, Dense(3072 => 10))\n")
    assert main(["train", spec, "--data", "digits(32)", "--no-progress"]) == 1
    assert ("digits gives greyscale images (1 channel) but the spec's input 32×32×3 has 3 "
            "channels") in capsys.readouterr().err
