"""Run folders for tests, written without training: a spec's fresh weights in a checkpoint."""
from __future__ import annotations

import shutil
from pathlib import Path

from archlang.interpret import open_network
from archlang.train import TrainConfig
from archlang.train import checkpoint


def fake_run(folder: Path, spec: Path, *, copy_spec: bool = False, record_spec: bool = False,
             seed: int = 0, **settings) -> Path:
    """`folder`/best.pt as `archlang train` writes it, holding the spec's model initialised
    with `seed`, and a config built from `settings` (data, val_split, seed, ...); the spec
    copied into the folder, or its path recorded as `archlang train` records it."""
    net = open_network(spec, seed=seed)
    config = TrainConfig.from_section(settings).to_dict()
    checkpoint.save(folder / "best.pt", {
        "format": checkpoint.FORMAT, "name": net.name, "input_shape": list(net.input_shape),
        "epoch": 1, "model": net.module.state_dict(), "config": config,
        "module": {"spec": str(Path(spec).resolve()), "model": net.name} if record_spec else {}})
    if copy_spec:
        shutil.copy(spec, folder / Path(spec).name)
    return folder
