"""Speed of `archlang from-torch` on ResNet-50: the whole process (start Python, import torch
(and torchvision), build the model, trace, recognise, write), best of --repeat runs, beside a
process that only imports what the target imports. Two targets: torchvision's `resnet50`
(where torchvision imports: the reference environment) and bench/resnet50_plain.py, the same
network in a user's own file without torchvision (any environment with torch). Goal (issue 22):
under 3 s on a CPU.

    PYTHONPATH=. /work/refvenv/bin/python bench/from_torch_speed.py [--repeat 3]
    python bench/from_torch_speed.py            # the plain file only, without torchvision
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(command: list[str], repeat: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL, cwd=ROOT)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    targets = [("bench/resnet50_plain.py:resnet50", "import torch")]
    if importlib.util.find_spec("torchvision") is not None:
        targets.insert(0, ("torchvision.models:resnet50", "import torch, torchvision"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r50.arch"
        for target, imports in targets:
            whole = timed([sys.executable, "-m", "archlang", "from-torch", target,
                           "--input", "224x224x3", "-o", str(out)], args.repeat)
            alone = timed([sys.executable, "-c", imports], args.repeat)
            lines = out.read_text().count("\n")
            print(f"archlang from-torch {target}: {whole:.2f} s (whole process, best of {args.repeat}); "
                  f"`{imports}` alone: {alone:.2f} s; the spec: {lines} lines")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
