"""DistributedDataParallel under torchrun: two CPU processes (gloo) end with equal weights."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]

WORKER = textwrap.dedent("""
    import os, sys, torch
    from torch import nn
    torch.set_num_threads(1)
    from archlang.train import TrainConfig, train

    torch.manual_seed(int(os.environ["RANK"]) + 1)  # different starts: DDP must sync them
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10))
    out = sys.argv[1]
    cfg = TrainConfig.from_section({"data": "digits", "epochs": 2, "batch": 64, "lr": 0.01,
                                    "device": "cpu", "out": out + "/run"})
    result = train(model, (8, 8, 1), cfg, progress=False)
    torch.save(model.state_dict(), f"{out}/rank{os.environ['RANK']}.pt")
    print("rank", os.environ["RANK"], "val", result.final_val_acc)
""")


@pytest.mark.slow  # 6–8 s on an idle 2-core machine, 15–25 s when busy (torchrun start-up)
def test_two_gloo_ranks_end_identical(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         str(script), str(tmp_path)], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    a = torch.load(tmp_path / "rank0.pt", weights_only=True)
    b = torch.load(tmp_path / "rank1.pt", weights_only=True)
    for name in a:
        assert torch.equal(a[name], b[name]), name
    run = tmp_path / "run"
    assert sorted(p.name for p in run.iterdir()) == ["best.pt", "curves.png", "last.pt", "metrics.csv"]
    rows = (run / "metrics.csv").read_text().splitlines()
    assert len(rows) == 3  # header + 2 epochs, written once (rank 0 only)
