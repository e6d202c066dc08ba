"""Several processes under torchrun (gloo, CPU): two local "nodes" joined by a c10d
rendezvous train the same run as one process with their global batch; a worker killed
mid-run is restarted by torchrun's elastic agent and the run ends bit for bit as an
uninterrupted one; `--fsdp` (FSDP2) trains as DDP does. Each test bounds its processes with
a timeout and kills them on failure."""

import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
MLP = ROOT / "tests" / "fixtures" / "train" / "mlp.arch"
# 512 training samples: 8 steps of 64, as one process or as 2 ranks of 32 each.
RUN = ["--epochs", "2", "--train-size", "512", "--device", "cpu", "--no-progress"]
TIMEOUT = 240


def _env() -> dict:
    return {**os.environ, "OMP_NUM_THREADS": "1",
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _torchrun(*args) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", *map(str, args)]


def _run_all(commands: list[list[str]], cwd: Path, env: dict | None = None) -> list[str]:
    """Start every command at once, wait for all (bounded); kill the rest if one fails."""
    procs = [subprocess.Popen(c, cwd=cwd, env=env or _env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)
             for c in commands]
    outputs = []
    try:
        for p in procs:
            out, _ = p.communicate(timeout=TIMEOUT)
            outputs.append(out)
            assert p.returncode == 0, out
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    return outputs


def _weights(run: Path) -> dict:
    return torch.load(run / "last.pt", weights_only=True)["model"]


def _losses(run: Path) -> list[float]:
    rows = (run / "metrics.csv").read_text().splitlines()[1:]
    return [float(r.split(",")[1]) for r in rows]


@pytest.mark.slow  # two torchrun launches and one process: 12 s idle, longer when busy
def test_two_local_nodes_train_as_one_process(tmp_path):
    """Node 0 and node 1 (one worker each) meet at a c10d rendezvous on 127.0.0.1. Each
    rank's step takes every other sample of the global batch (strided shards), and DDP
    averages the two gradients, so the run is the one-process run with batch 2 × 32: the
    same weights and losses up to the order of floating-point sums (measured: 4.5e-8)."""
    port = _free_port()
    train = ["-m", "archlang", "train", MLP, *RUN]
    node = _torchrun("--nnodes", 2, "--nproc-per-node", 1, "--rdzv-backend", "c10d",
                     "--rdzv-endpoint", f"127.0.0.1:{port}", "--rdzv-id", "two-nodes",
                     *train, "--batch", 32, "--out", "nodes")
    one = [sys.executable, *map(str, train), "--batch", "64", "--out", "one"]
    outputs = _run_all([node, node, one], tmp_path)
    assert "mlp 2/2" in "".join(outputs)
    nodes, single = _weights(tmp_path / "nodes"), _weights(tmp_path / "one")
    assert nodes.keys() == single.keys()
    for name in nodes:
        torch.testing.assert_close(nodes[name], single[name], rtol=0, atol=1e-6)
    assert _losses(tmp_path / "nodes") == pytest.approx(_losses(tmp_path / "one"), rel=1e-6)
    assert _losses(tmp_path / "nodes")[1] < _losses(tmp_path / "nodes")[0]


LAUNCH = textwrap.dedent("""
    # `python -m archlang` as a torchrun worker; with DIE_AFTER_EPOCH=N, rank 0 of the first
    # attempt kills itself (SIGKILL: nothing is cleaned up) right after writing epoch N's last.pt.
    import os, signal, sys
    from archlang.cli import main
    from archlang.train import checkpoint

    die = os.environ.get("DIE_AFTER_EPOCH")
    if die and os.environ["TORCHELASTIC_RESTART_COUNT"] == "0" and os.environ["RANK"] == "0":
        save = checkpoint.save

        def save_then_die(path, state):
            save(path, state)
            if os.path.basename(path) == "last.pt" and state["epoch"] == int(die):
                os.kill(os.getpid(), signal.SIGKILL)
        checkpoint.save = save_then_die
    sys.exit(main(sys.argv[1:]))
""")


@pytest.mark.slow  # two torchrun launches, one of them restarted: 45 s idle
def test_killed_worker_is_restarted_and_loses_nothing(tmp_path):
    """--max-restarts 1: rank 0 dies by SIGKILL after epoch 1's checkpoint; the agent
    restarts both workers, which resume from last.pt (written by this launch) and end with
    the weights and optimizer state of an uninterrupted run, bit for bit."""
    (tmp_path / "launch.py").write_text(LAUNCH)
    args = ["launch.py", "train", MLP, *RUN, "--epochs", 3, "--batch", 32]
    restartable = _torchrun("--standalone", "--nproc-per-node", 2, "--max-restarts", 1,
                            *args, "--out", "killed")
    whole = _torchrun("--standalone", "--nproc-per-node", 2, *args, "--out", "whole")
    killed_out, = _run_all([restartable], tmp_path, {**_env(), "DIE_AFTER_EPOCH": "1"})
    _run_all([whole], tmp_path)
    assert "exitcode: -9" in killed_out                      # it did die
    assert "error: another process of this run stopped (rank 1 of 2 lost it" in killed_out
    assert "internal error" not in killed_out
    assert "resuming killed/last.pt after epoch 1" in killed_out
    a = torch.load(tmp_path / "killed" / "last.pt", weights_only=True)
    b = torch.load(tmp_path / "whole" / "last.pt", weights_only=True)
    assert a["epoch"] == b["epoch"] == 3
    for name in b["model"]:
        assert torch.equal(a["model"][name], b["model"][name]), name
    for k, state in b["optimizer"]["state"].items():
        assert torch.equal(a["optimizer"]["state"][k]["exp_avg_sq"], state["exp_avg_sq"])
    assert len((tmp_path / "killed" / "metrics.csv").read_text().splitlines()) == 4


BLOCKS = """
block Body(c) = Chain(Dense(c => c, relu), Dense(c => c))
model tiny(x: 8×8×1) = Chain(
    flatten,
    Dense(64 => 16, relu),
    repeat(2, Body(16)),
    repeat(2, Dense(16 => 16, relu)),
    Dense(16 => 10),
)
"""

FSDP = textwrap.dedent("""
    # DDP, FSDP, and FSDP stopped after 2 epochs then resumed, in one launch: the process
    # group is made here, so each run joins it (and leaves it standing).
    import sys, torch, torch.distributed as dist
    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    import archlang
    out, spec = sys.argv[1], sys.argv[2]
    common = dict(epochs=3, batch=32, lr=0.01, device="cpu", progress=False, train_size=512)
    archlang.fit(spec, out=out + "/ddp", **common)
    archlang.fit(spec, out=out + "/fsdp", fsdp=True, **common)
    archlang.fit(spec, out=out + "/half", fsdp=True, **{**common, "epochs": 2})
    archlang.fit(spec, out=out + "/half", fsdp=True, resume=True, **common)
    dist.destroy_process_group()
""")


@pytest.mark.slow  # one torchrun launch, four runs: 15 s idle
def test_fsdp_trains_as_ddp_and_resumes_from_shards(tmp_path):
    """FSDP2 with a unit per block and per inline repeat copy: the loss curve of DDP (train
    and validation, measured equal to 1e-7: only the summation order differs) and the same
    weights; a sharded run stopped after 2 epochs and resumed from its shards ends as the
    uninterrupted sharded run, bit for bit."""
    (tmp_path / "fsdp.py").write_text(FSDP)
    (tmp_path / "tiny.arch").write_text(BLOCKS)
    _run_all([_torchrun("--standalone", "--nproc-per-node", 2, "fsdp.py", tmp_path,
                        tmp_path / "tiny.arch")], tmp_path)
    ddp, fsdp, half = (tmp_path / n for n in ("ddp", "fsdp", "half"))
    for column in (1, 3):    # train_loss, val_loss
        a = [float(r.split(",")[column]) for r in (ddp / "metrics.csv").read_text().splitlines()[1:]]
        b = [float(r.split(",")[column]) for r in (fsdp / "metrics.csv").read_text().splitlines()[1:]]
        assert len(a) == 3 and b == pytest.approx(a, rel=1e-5)
    for name, value in _weights(ddp).items():
        torch.testing.assert_close(_weights(fsdp)[name], value, rtol=0, atol=1e-6)
    for name, value in _weights(fsdp).items():
        assert torch.equal(_weights(half)[name], value), name
    last = torch.load(fsdp / "last.pt", weights_only=True)
    assert last["optimizer"] is None and last["shards"] == "shards/epoch-3"
    assert sorted(p.name for p in (fsdp / "shards").iterdir()) == ["epoch-3"]  # older pruned
    assert (fsdp / "shards" / "epoch-3" / ".metadata").is_file()
