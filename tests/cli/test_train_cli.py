"""`archlang train` and `archlang compare-runs`: the commands around the training engine."""
from __future__ import annotations

import csv
import os
import shlex
import stat

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from archlang.cli import main  # noqa: E402
from conftest import FIXTURES, SPECS  # noqa: E402
from train.helpers import one_thread  # noqa: E402,F401  (autouse: one intra-op thread)


def _train(tmp_path, spec, *flags):
    # The book's Adam learning rate; 3 epochs of the 1,437 training digits take about a second.
    return main(["train", str(spec), "--epochs", "3", "--batch", "64", "--lr", "0.005",
                 "--seed", "1", "--no-progress", *flags])


def test_train_model2_on_the_embedded_digits(tmp_path, capsys):
    out = tmp_path / "model2"
    assert _train(tmp_path, SPECS / "book/model2.arch", "--out", str(out)) == 0
    assert {p.name for p in out.iterdir()} >= {"best.pt", "last.pt", "metrics.csv", "curves.png"}
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    assert len(rows) == 3
    # measured: 0.93 on the 360 held-out digits (seed 1); chance is 0.10
    assert float(rows[-1]["val_acc"]) > 0.75
    assert "model2: best validation accuracy" in capsys.readouterr().out


def test_spec_train_section_is_used_and_flags_win(tmp_path, tmp_spec):
    spec = tmp_spec("""model mlp(x: 64) = Chain(Dense(64, 32, relu), Dense(32, 10))
train mlp {
    data = digits(8)
    optimizer = Adam(lr = 0.01)
    epochs = 1
}""")
    out = tmp_path / "run"
    assert main(["train", str(spec), "--out", str(out), "--epochs", "2", "--no-progress"]) == 0
    assert len(list(csv.DictReader(open(out / "metrics.csv")))) == 2     # the flag won


def test_compare_runs_draws_the_books_figure(tmp_path):
    a, b = tmp_path / "model1", tmp_path / "model2"
    assert _train(tmp_path, SPECS / "book/model1.arch", "--out", str(a)) == 0
    assert _train(tmp_path, SPECS / "book/model2.arch", "--out", str(b)) == 0
    plot = tmp_path / "compare.png"
    assert main(["compare-runs", str(a), str(b), "-o", str(plot)]) == 0
    assert plot.stat().st_size > 10_000


def test_exit_codes(tmp_path, tmp_spec, capsys):
    # a wrong spec: 1, with its diagnostic
    assert main(["train", str(SPECS / "book/model2_as_printed.arch")]) == 1
    assert "error[E0301]" in capsys.readouterr().err
    # data that does not fit the spec: 1, naming both shapes
    spec = tmp_spec("model m(x: 32×32×3) = Chain(flatten, Dense(3072, 10))")
    assert main(["train", str(spec), "--data", "digits", "--epochs", "1", "--out",
                 str(tmp_path / "x"), "--no-progress"]) == 1
    assert "32×32×3" in capsys.readouterr().err
    # usage errors: 2
    assert main(["train", str(SPECS / "book/model2.arch"), "--epochs", "0"]) == 2
    assert main(["train", str(SPECS / "book/model2.arch"), "--optimizer", "rmsprop"]) == 2
    assert main(["train", "missing.arch"]) == 2
    assert main(["compare-runs", str(tmp_path / "nothing"), "-o", str(tmp_path / "p.png")]) == 2


# ---- reproducible runs, resume, Ctrl-C ------------------------------------------------------
FIX = SPECS.parent / "tests" / "fixtures" / "train"


def _weights(run):
    return torch.load(run / "last.pt", weights_only=True)["model"]


def _same(a, b) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_the_same_command_twice_gives_bit_identical_weights(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    command = ["train", str(SPECS / "book/model2.arch"), "--epochs", "1", "--seed", "7",
               "--no-progress"]
    assert main(command) == 0 and main(command) == 0
    # runs never overwrite: the second run went to runs/model2-2
    first, second = tmp_path / "runs/model2", tmp_path / "runs/model2-2"
    assert _same(_weights(first), _weights(second))
    assert main(command[:-2] + ["8", "--no-progress"]) == 0       # another seed, other weights
    assert not _same(_weights(first), _weights(tmp_path / "runs/model2-3"))
    # the initial weights follow the seed: the module built after seeding with 7
    import archlang
    from archlang.train.loop import seed_everything
    seed_everything(7)
    fresh = archlang.load(SPECS / "book/model2.arch")
    assert torch.load(first / "last.pt", weights_only=True)["config"]["seed"] == 7
    assert not torch.equal(fresh.conv1.weight, _weights(first)["conv1.weight"])  # it trained
    seed_everything(7)
    assert torch.equal(archlang.load(SPECS / "book/model2.arch").conv1.weight, fresh.conv1.weight)


def test_an_interrupted_run_resumed_from_the_cli_ends_bit_identical(tmp_path, monkeypatch, capsys):
    spec = FIX / "mlp.arch"
    flags = ["--epochs", "4", "--schedule", "cosine", "--seed", "3", "--no-progress"]
    assert main(["train", str(spec), "--out", str(tmp_path / "whole"), *flags]) == 0

    from archlang.train import loop
    real, calls = loop.write_metrics, []

    def ctrl_c_after_epoch_2(history, path):   # Ctrl-C once epoch 2's checkpoint is written
        real(history, path)
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
    monkeypatch.setattr(loop, "write_metrics", ctrl_c_after_epoch_2)
    part = tmp_path / "part"
    capsys.readouterr()
    assert main(["train", str(spec), "--out", str(part), *flags]) == 130
    err = capsys.readouterr().err
    assert f"{part}/last.pt holds epoch 2" in err
    assert f"archlang train {spec} --model mlp --resume --out {part} --epochs 4" in err
    assert "Traceback" not in err
    monkeypatch.setattr(loop, "write_metrics", real)

    # the command it printed runs (its --model once failed: issue 21) and ends where the
    # uninterrupted run ended, bit for bit
    printed = shlex.split(err.split("Continue with:")[1])
    assert printed[:2] == ["archlang", "train"]
    assert main(printed[1:] + ["--no-progress"]) == 0
    assert "ignored" not in capsys.readouterr().err        # it gives no setting it would ignore
    assert _same(_weights(part), _weights(tmp_path / "whole"))
    whole = list(csv.DictReader(open(tmp_path / "whole/metrics.csv")))
    resumed = list(csv.DictReader(open(part / "metrics.csv")))
    assert [r["lr"] for r in resumed] == [r["lr"] for r in whole]
    assert [r["val_acc"] for r in resumed] == [r["val_acc"] for r in whole]


def test_resume_warns_for_every_flag_it_ignores(tmp_path, capsys):
    spec, out = FIX / "mlp.arch", tmp_path / "run"
    assert main(["train", str(spec), "--out", str(out), "--epochs", "1", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["train", str(spec), "--out", str(out), "--resume", "--epochs", "2", "--lr", "0.01",
                 "--batch", "32", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "warning: --lr 0.01 ignored: the resumed run keeps its lr = 0.005" in err
    assert "warning: --batch 32 ignored: the resumed run keeps its batch = 64" in err
    saved = torch.load(out / "last.pt", weights_only=True)
    assert saved["epoch"] == 2 and saved["config"]["lr"] == 0.005     # the lr it really used
    assert saved["optimizer"]["param_groups"][0]["lr"] == 0.005


def test_resume_warns_only_about_flags_the_user_gave(tmp_path, capsys):
    # Issue 21: resuming without flags warned `--data None ignored`, `--batch 128 ignored`.
    spec, out = FIX / "mlp.arch", tmp_path / "run"
    assert main(["train", str(spec), "--out", str(out), "--epochs", "1", "--data", "digits(8)",
                 "--batch", "32", "--train-size", "500", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["train", str(spec), "--out", str(out), "--resume", "--epochs", "2", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "warning" not in err, err
    saved = torch.load(out / "last.pt", weights_only=True)["config"]
    assert (saved["epochs"], saved["batch"], saved["train_size"]) == (2, 32, 500)   # the run's own
    assert main(["train", str(spec), "--out", str(out), "--resume", "--epochs", "3", "--batch", "16",
                 "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert err.count("warning:") == 1 and "--batch 16 ignored: the resumed run keeps its batch = 32" in err


def test_model_flag_trains_the_model_it_names(tmp_path, monkeypatch, capsys):
    # Issue 21: `--model` was kept as a list and every `--model` run failed (exit 2).
    monkeypatch.chdir(tmp_path)
    assert main(["train", str(SPECS / "book/model2.arch"), "--model", "model2", "--epochs", "1",
                 "--no-progress"]) == 0
    assert (tmp_path / "runs/model2/last.pt").is_file()
    assert main(["train", str(SPECS / "book/model2.arch"), "--model", "model3", "--epochs", "1"]) == 2
    assert "no model named `model3`" in capsys.readouterr().err


def test_ctrl_c_before_the_first_epoch_says_nothing_can_be_resumed(tmp_path, monkeypatch, capsys):
    from archlang.train import loop

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(loop._Run, "_train_epoch", interrupt)
    assert main(["train", str(FIX / "mlp.arch"), "--out", str(tmp_path / "r"), "--no-progress"]) == 130
    assert "interrupted before the first epoch finished" in capsys.readouterr().err


# ---- one layer numbering ---------------------------------------------------------------------

def test_freeze_takes_checks_row_numbers_and_names(tmp_path, capsys):
    spec = FIX / "blocks.arch"
    assert main(["check", str(spec), "--columns", "name"]) == 0
    table = capsys.readouterr().out
    assert "7  Dense(256 => 10)                     fc1" in table       # row 7 is attribute fc1
    assert "   Stage(4)                             stage2" in table
    out = tmp_path / "frozen"
    assert main(["train", str(spec), "--out", str(out), "--epochs", "1", "--freeze", "1-2,stage2",
                 "--no-progress"]) == 0
    log = capsys.readouterr().out
    # 40 + 148 + (148 + 8) parameters frozen
    assert ("frozen: 3 layers (344 of 2,922 parameters): row 1 Conv((3, 3), 1 => 4, relu, pad=1) "
            "= conv1; row 2 Conv((3, 3), 4 => 4, relu, pad=1) = stage1.conv1; Stage(4) = stage2"
            ) in log
    import archlang
    from archlang.train.loop import seed_everything
    seed_everything(0)                                   # the run's default seed
    initial = archlang.load(spec).state_dict()
    trained = _weights(out)
    for name in ("conv1.weight", "stage1.conv1.bias", "stage2.conv1.weight", "stage2.bn1.weight"):
        assert torch.equal(trained[name], initial[name]), name
    for name in ("stage1.bn1.weight", "fc1.weight"):
        assert not torch.equal(trained[name], initial[name]), name
    # row 7 (the Dense) by number; freezing every layer is an error before training
    assert main(["train", str(spec), "--out", str(tmp_path / "all"), "--freeze", "1:7",
                 "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "freezes every parameter" in err and not (tmp_path / "all" / "last.pt").exists()
    assert main(["train", str(spec), "--out", str(tmp_path / "x"), "--freeze", "9",
                 "--no-progress"]) == 1
    assert "numbers this model's layers 1 to 7, not 9" in capsys.readouterr().err


# ---- data checked before epoch 1; every data source hardened ---------------------------------

def _npz(tmp_path, name, **arrays):
    path = tmp_path / name
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def _bad_sources(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((20, 8, 8, 1)).astype(np.float32)
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    renamed = tmp_path / "renamed.npz"
    with open(renamed, "wb") as f:
        np.save(f, x)
    mnist = tmp_path / "mnist"
    mnist.mkdir()
    for stem in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (mnist / stem).write_bytes(b"\x1f\x8b\x08\x00" + b"garbage")
    return {
        "string labels": (str(_npz(tmp_path, "s.npz", x=x, y=np.array(["cat"] * 20))),
                          "y holds <U3 values"),
        "labels beyond the outputs": (str(_npz(tmp_path, "big.npz", x=x, y=np.arange(20))),
                                      "has labels 0 … 19 (20 classes) but the model's output has 10 values"),
        "negative labels": (str(_npz(tmp_path, "neg.npz", x=x, y=-np.ones(20, dtype=int))),
                            "class labels count from 0"),
        "corrupt zip": (str(corrupt), "the file is corrupt or not an .npz archive"),
        "empty npz": (str(_npz(tmp_path, "e.npz", x=np.zeros((0, 8, 8, 1)), y=np.zeros(0))),
                      "holds no samples"),
        "renamed npy": (str(renamed), "is a single .npy array, not an .npz archive"),
        "digits(abc)": ("digits(abc)", "`size` must be a whole number ≥ 1, got 'abc'"),
        "digits(100000)": ("digits(100000)", "would take 66,943 GiB"),   # 1,797 · 10¹⁰ · 4 bytes
        "mnist1d(num_samples=-5)": ("mnist1d(num_samples=-5)", "`num_samples` must be a whole number ≥ 1"),
        "corrupt gzip": (f"mnist({mnist})", "the file is corrupt or truncated"),
        "npz in W×H×C order, wrong size": (
            str(_npz(tmp_path, "rgb.npz", x=rng.random((20, 32, 32, 3)), y=np.zeros(20, dtype=int))),
            "gives 32×32×3 images but the spec's input is 8×8×1"),
    }


def test_every_bad_data_source_is_one_clear_error(tmp_path, capsys):
    for case, (source, message) in _bad_sources(tmp_path).items():
        code = main(["train", str(FIX / "mlp.arch"), "--data", source, "--epochs", "1",
                     "--out", str(tmp_path / "runs" / case.replace(" ", "_")), "--no-progress"])
        captured = capsys.readouterr()
        assert code == 1, case
        assert "archlang train: error:" in captured.err and message in captured.err, (case, captured.err)
        assert "Traceback" not in captured.err + captured.out, case


def test_the_output_width_and_the_loss_are_checked_before_epoch_1(tmp_path, capsys):
    spec = FIX / "seven_outputs.arch"
    assert main(["train", str(spec), "--out", str(tmp_path / "a"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert ("digits has labels 0 … 9 (10 classes) but the model's output has 7 values\n"
            "  = help: end the model in 10 outputs, e.g. Dense(_ => 10)") in err
    assert main(["train", str(spec), "--out", str(tmp_path / "b"), "--loss", "localization",
                 "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "localization needs box targets, but digits has class labels" in err
    assert "5 + K columns per sample, and the model needs as many outputs (7 for K = 2)" in err
    boxes = np.zeros((30, 7), np.float32)
    boxes[::2, 0] = 1
    boxes[::2, 5] = 1
    data = _npz(tmp_path, "boxes.npz", x=np.random.default_rng(1).random((30, 8, 8, 1)), y=boxes[:, :6])
    assert main(["train", str(spec), "--out", str(tmp_path / "c"), "--loss", "localization",
                 "--data", str(data), "--no-progress"]) == 1
    assert "has 6-column targets but the model's output has 7 values" in capsys.readouterr().err
    data = _npz(tmp_path, "boxes7.npz", x=np.random.default_rng(1).random((30, 8, 8, 1)), y=boxes)
    assert main(["train", str(spec), "--out", str(tmp_path / "d"), "--loss", "localization",
                 "--data", str(data), "--epochs", "1", "--no-progress"]) == 0


# ---- what users of Keras fit and Lightning expect --------------------------------------------

def test_one_log_line_per_epoch_when_stdout_is_not_a_terminal(tmp_path, capsys):
    assert main(["train", str(FIX / "mlp.arch"), "--out", str(tmp_path / "r"), "--epochs", "3"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("mlp ")]
    assert [line.split(":")[0] for line in lines] == ["mlp 1/3", "mlp 2/3", "mlp 3/3"]
    assert "val_acc" in lines[0] and "\r" not in out


def test_patience_stops_when_validation_stops_improving(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", str(FIX / "mlp.arch"), "--out", str(out), "--epochs", "40",
                 "--patience", "2", "--lr", "0.05", "--no-progress"]) == 0
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    accs = [float(r["val_acc"]) for r in rows]
    best = max(range(len(accs)), key=lambda i: (accs[i], -float(rows[i]["val_loss"])))
    assert len(rows) < 40 and len(rows) == best + 1 + 2     # stopped 2 epochs after the best
    assert "stopped early after epoch" in capsys.readouterr().out


def test_run_folders_never_overwrite(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    command = ["train", str(FIX / "mlp.arch"), "--epochs", "1", "--no-progress"]
    for _ in range(3):
        assert main(command) == 0
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["mlp", "mlp-2", "mlp-3"]
    assert main(command + ["--out", "runs/mlp"]) == 1
    assert "runs/mlp holds an earlier run; it is not overwritten" in capsys.readouterr().err
    assert main(command + ["--out", "runs/mlp", "--overwrite"]) == 0
    assert main(command + ["--overwrite"]) == 2           # --overwrite names no folder
    assert main(command[:2] + ["--epochs", "2", "--resume", "--no-progress"]) == 0
    assert torch.load(tmp_path / "runs/mlp-3/last.pt", weights_only=True)["epoch"] == 2


def test_outputs_get_the_usual_file_modes(tmp_path):
    old = os.umask(0o022)
    try:
        assert main(["train", str(FIX / "mlp.arch"), "--out", str(tmp_path / "r"), "--epochs", "1",
                     "--no-progress"]) == 0
    finally:
        os.umask(old)
    for name in ("last.pt", "best.pt", "metrics.csv", "model.py"):
        assert stat.S_IMODE((tmp_path / "r" / name).stat().st_mode) == 0o644, name


def test_schedules_are_recorded_and_drawn(tmp_path):
    out = tmp_path / "r"
    assert main(["train", str(FIX / "mlp.arch"), "--out", str(out), "--epochs", "4",
                 "--schedule", "step(every=2, gamma=0.5)", "--no-progress"]) == 0
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    assert [float(r["lr"]) for r in rows] == [0.005, 0.005, 0.0025, 0.0025]
    from PIL import Image
    assert Image.open(out / "curves.png").size == (1500, 400)     # a third panel: the lr
    assert main(["train", str(FIX / "mlp.arch"), "--schedule", "linear"]) == 2


def test_float_labels_are_said_with_their_size(tmp_path, capsys):
    # Issue 21: `npz:bad.npz has targets of  per sample` (a blank where the size goes).
    x = np.random.default_rng(0).random((30, 8, 8, 1)).astype(np.float32)
    data = _npz(tmp_path, "bad.npz", x=x, y=np.arange(30, dtype=np.float32) % 10)
    assert main(["train", str(FIX / "mlp.arch"), "--data", str(data), "--epochs", "1",
                 "--out", str(tmp_path / "r"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert ("npz:bad.npz has one float target per sample but the model's output has 10 values "
            "per sample\n  = help: class labels are integers: save y as np.int64 (y.astype(int))") in err


def _declared_npz(path, shape, dtype="<f4"):
    """An .npz whose x.npy header declares `shape` with almost no data behind it: what a
    few MB of compressed zeros can declare, without writing gigabytes here."""
    import zipfile
    header = np.lib.format.header_data_from_array_1_0(np.zeros((1,), dtype))
    header["shape"] = shape
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, declared in (("x.npy", shape), ("y.npy", (shape[0],))):
            import io
            buf = io.BytesIO()
            np.lib.format.write_array_header_1_0(buf, {**header, "shape": declared})
            z.writestr(name, buf.getvalue() + bytes(64))
    return path


def test_data_that_would_inflate_past_memory_is_blamed_on_the_data_file(tmp_path, capsys):
    # Issue 25: a compressed .npz inflating past memory was E0206 on a line of the spec.
    bomb = _declared_npz(tmp_path / "bomb.npz", (10_000_000, 28, 28))
    assert bomb.stat().st_size < 2_000
    assert main(["train", str(FIX / "mlp.arch"), "--data", str(bomb), "--epochs", "1",
                 "--out", str(tmp_path / "r"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert (f"archlang train: error: {bomb}: `x` holds 7,840,000,000 values (10000000×28×28 "
            "float32, 29.2 GiB as float32), more than the 536,870,912 archlang loads") in err
    assert "E0206" not in err and "mlp.arch" not in err


def test_running_out_of_memory_while_loading_names_the_data_file(tmp_path, monkeypatch, capsys):
    from archlang.train import data

    def no_memory(path):
        raise MemoryError
    monkeypatch.setattr(data, "_npz_arrays", no_memory)
    source = _npz(tmp_path, "d.npz", x=np.zeros((20, 8, 8, 1), np.float32), y=np.zeros(20, int))
    assert main(["train", str(FIX / "mlp.arch"), "--data", str(source), "--epochs", "1",
                 "--out", str(tmp_path / "r"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert f"archlang train: error: {source}: its samples need more memory than this machine has" in err
    assert "E0206" not in err


# ---- where a run writes ----------------------------------------------------------------------

def test_a_specs_out_stays_in_the_specs_folder(tmp_path, monkeypatch, capsys):
    # Issue 25: `out = "/any/path"` in a train section was obeyed.
    folder = tmp_path / "project"
    folder.mkdir()
    body = "model mlp(x: 8×8×1) = Chain(flatten, Dense(64 => 10))\ntrain mlp {\n    epochs = 1\n"
    good = folder / "good.arch"
    good.write_text(body + '    out = "runs/here"\n}\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)            # relative to the spec's folder, not the working one
    assert main(["train", str(good), "--no-progress"]) == 0
    assert (folder / "runs/here/last.pt").is_file() and not (elsewhere / "runs").exists()
    for name, out, message in (("absolute.arch", str(tmp_path / "evil"), "`out` is an absolute path"),
                               ("climbs.arch", "../evil", f"`out` climbs out of `{folder.resolve()}`"),
                               ("deep.arch", "runs/../../evil", "`out` climbs out of")):
        spec = folder / name
        spec.write_text(body + f'    out = "{out}"\n}}\n')
        capsys.readouterr()
        assert main(["train", str(spec), "--no-progress"]) == 1, name
        err = capsys.readouterr().err
        assert f"{name}:4:11: error[E0103]: {message}" in err, err
        assert "give --out on the command line" in err
        assert main(["check", str(spec)]) == 1
    assert not (tmp_path / "evil").exists()
    # the user's --out writes wherever it names
    assert main(["train", str(good), "--out", str(tmp_path / "mine"), "--no-progress"]) == 0
    assert (tmp_path / "mine/last.pt").is_file()


# ---- a loss given on the command line --------------------------------------------------------

TWO_HEADS = """model two(x: 8×8×1) = {
    h = Chain(flatten, Dense(64 => 32, relu))(x)
    out = Dense(32 => 10)(h)
    aux1 = Dense(32 => 10)(h)
    return out, aux1
}
"""


def test_a_loss_flag_is_read_by_the_spec_grammar_and_positioned(tmp_path, tmp_spec, capsys):
    spec = tmp_spec(TWO_HEADS)
    run = ["train", str(spec), "--data", "digits(8)", "--epochs", "1", "--no-progress", "--color", "never"]
    assert main(run + ["--out", str(tmp_path / "a"), "--loss", "crossentropy(out) + 0.3 * hinge(aux1)"]) == 2
    err = capsys.readouterr().err
    assert "--loss:1:27: error[E0103]: unknown loss `hinge`" in err
    assert "1 | crossentropy(out) + 0.3 * hinge(aux1)" in err
    assert main(run + ["--out", str(tmp_path / "b"), "--loss", "crossentropy(out) + 0.3 * mse(aux2)"]) == 1
    err = capsys.readouterr().err
    assert "--loss:1:31: error[E0100]: the loss names `aux2`, which the model does not return" in err
    assert "did you mean `aux1`?" in err and "Traceback" not in err
    assert main(run + ["--out", str(tmp_path / "c"), "--loss", "crossentropy(out) + 0.3 * crossentropy(aux1)"]) == 0
    saved = torch.load(tmp_path / "c/last.pt", weights_only=True)["config"]
    assert saved["loss"] == "crossentropy(out) + 0.3 * crossentropy(aux1)"


# --- named input sizes (`x: W×H×1`) taken from the data (archlang/train/natural.py) --------

NAMED = FIXTURES / "train" / "named_sizes.arch"


def _mnist_folder(tmp_path, count=200):
    """IDX files of 28×28 digits (the bundled digits resampled), as MNIST ships them."""
    import gzip
    import struct
    from archlang.train.data import digits
    folder = tmp_path / "mnist"
    folder.mkdir()
    d = digits(28)
    for stem, array in (("train-images", (d.x[:count, 0] * 255).round().numpy()),
                        ("train-labels", d.y[:count].numpy())):
        a = array.astype(">u1")
        header = struct.pack(">BBBB", 0, 0, 0x08, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape)
        kind = "idx3" if a.ndim == 3 else "idx1"
        (folder / f"{stem}-{kind}-ubyte.gz").write_bytes(gzip.compress(header + a.tobytes()))
    return folder


def test_named_sizes_come_from_mnist(tmp_path, capsys):
    folder = _mnist_folder(tmp_path)
    out = tmp_path / "run"
    assert main(["train", str(NAMED), "--model", "cnn", "--data", f"mnist({folder})",
                 "--epochs", "1", "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("sizes from the data (mnist: 28×28×1 images): W = 28, H = 28\n")
    saved = torch.load(out / "last.pt", weights_only=False)
    assert tuple(saved["input_shape"]) == (28, 28, 1)      # the run rebuilds its 28×28 model
    # a size outside the model's set: E0315 naming the set and where the size came from
    assert main(["train", str(NAMED), "--model", "skip8", "--data", f"mnist({folder})",
                 "--epochs", "1", "--out", str(tmp_path / "r2"), "--no-progress",
                 "--color", "never"]) == 1
    err = capsys.readouterr().err
    assert "error[E0315]: the size W = 28 is outside the sizes the model accepts" in err
    assert "= note: valid: W ∈ {8, 16, 24, …} (the other sizes at H = 224)" in err
    assert "= note: W = 28 comes from the data (mnist: 28×28×1 images)" in err
    assert "cnn" not in err                  # the file's other models do not stop this one


def test_named_sizes_the_data_cannot_give(tmp_path, capsys):
    assert main(["train", str(NAMED), "--model", "convlm", "--data", "kjv", "--epochs", "1",
                 "--out", str(tmp_path / "r"), "--no-progress"]) == 1
    assert capsys.readouterr().err == (
        "archlang train: error: the data (kjv) have no size of their own for T, and the model "
        "takes T of any size from 1\n  = help: give it: --size T=N (e.g. the context length "
        "to train at)\n")
