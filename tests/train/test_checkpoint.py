"""Checkpoints: weights_only round trips and atomic writes that survive a killed writer."""

import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from archlang.train import checkpoint


def _state(value: float) -> dict:
    return {"format": checkpoint.FORMAT, "epoch": 1, "model": {"w": torch.full((1000,), value)},
            "history": [{"epoch": 1, "val_acc": 0.5}], "config": {"lr": 0.1, "data": None}}


def test_round_trip_is_weights_only_safe(tmp_path):
    state = {**_state(1.0), "rng": checkpoint.rng_state()}
    checkpoint.save(tmp_path / "c.pt", state)
    back = checkpoint.load(tmp_path / "c.pt")  # weights_only=True inside
    assert torch.equal(back["model"]["w"], state["model"]["w"]) and back["config"]["lr"] == 0.1


def test_rng_states_come_back():
    saved = checkpoint.rng_state()
    a = (torch.rand(3), np.random.rand(3), random.random())
    checkpoint.set_rng_state(saved)
    b = (torch.rand(3), np.random.rand(3), random.random())
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == b[2]


@pytest.mark.parametrize("fail_in", ["fsync", "replace"])
def test_failed_write_keeps_the_old_checkpoint(tmp_path, monkeypatch, fail_in):
    target = tmp_path / "best.pt"
    checkpoint.save(target, _state(1.0))

    def crash(*args):
        raise OSError("disk gone")
    monkeypatch.setattr(os, fail_in, crash)
    with pytest.raises(OSError, match="disk gone"):
        checkpoint.save(target, _state(2.0))
    monkeypatch.undo()
    assert torch.equal(checkpoint.load(target)["model"]["w"], torch.full((1000,), 1.0))
    assert [p.name for p in tmp_path.iterdir()] == ["best.pt"]  # the temporary file is gone


def test_writer_killed_mid_write_leaves_the_old_checkpoint(tmp_path):
    """A real process dies (SIGKILL, no cleanup) after writing the new data but before the
    rename: the old checkpoint must still load."""
    target = tmp_path / "last.pt"
    checkpoint.save(target, _state(1.0))
    script = textwrap.dedent(f"""
        import os, signal, torch
        from archlang.train import checkpoint
        os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
        checkpoint.save({str(target)!r}, {{"model": {{"w": torch.full((1000,), 2.0)}}}})
    """)
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", script], cwd=root,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(
                              [str(root), os.environ.get("PYTHONPATH", "")])}, capture_output=True)
    assert proc.returncode == -9, proc.stderr.decode()
    assert torch.equal(checkpoint.load(target)["model"]["w"], torch.full((1000,), 1.0))
    assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir())  # the torn write stayed aside
    checkpoint.save(target, _state(3.0))                               # the next save sweeps it
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def test_unreadable_checkpoint_is_a_train_error(tmp_path):
    (tmp_path / "x.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(checkpoint.TrainError, match="cannot read checkpoint"):
        checkpoint.load(tmp_path / "x.pt")
    with pytest.raises(checkpoint.TrainError, match="no checkpoint at"):
        checkpoint.load(tmp_path / "missing.pt")
