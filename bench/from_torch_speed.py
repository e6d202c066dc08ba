"""Speed of `archlang from-torch` on ResNet-50: the whole process (start Python, import torch
and torchvision, build the model, trace, recognise, write), best of --repeat runs, beside
a process that only imports torch and torchvision. Goal (issue 22): under 3 s on a CPU.

    PYTHONPATH=. /work/refvenv/bin/python bench/from_torch_speed.py [--repeat 3]
"""
from __future__ import annotations

import argparse
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
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r50.arch"
        whole = timed([sys.executable, "-m", "archlang", "from-torch", "torchvision.models:resnet50",
                       "--input", "224x224x3", "-o", str(out)], args.repeat)
        imports = timed([sys.executable, "-c", "import torch, torchvision"], args.repeat)
        lines = out.read_text().count("\n")
    print(f"archlang from-torch torchvision.models:resnet50: {whole:.2f} s (whole process, best of "
          f"{args.repeat}); importing torch and torchvision alone: {imports:.2f} s; the spec: {lines} lines")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
