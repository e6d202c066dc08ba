"""torchvision's accepted input sizes beside archlang's computed sets (docs/analysis.md).

Runs in the reference environment (torchvision is never a dependency):

    PYTHONPATH=. /work/refvenv/bin/python bench/sizes_reference.py

For each network, a forward at every height in SIZES (width 224 for ViT, else the same
height; random weights, eval mode): the heights that run, next to the set `archlang check`
computes for the symbolic copy in tests/fixtures/sizes/.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torchvision

import archlang

ROOT = Path(__file__).resolve().parents[1]
SIZES = {
    "resnet18": list(range(1, 41)),
    "convnext_tiny": list(range(24, 41)),
    "vit_b_16": [208, 223, 224, 225, 239, 240],
}


def runs(model, h: int, w: int) -> bool:
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, h, w))
        return True
    except (RuntimeError, ValueError, AssertionError):
        return False


def main() -> None:
    torch.manual_seed(0)
    for name, sizes in SIZES.items():
        model = getattr(torchvision.models, name)().eval()
        fixed_w = name == "vit_b_16"
        ok = [h for h in sizes if runs(model, h, 224 if fixed_w else h)]
        report = archlang.check(ROOT / "tests" / "fixtures" / "sizes" / f"{name}.arch").models[0]
        h = report.input_sizes.variables["H"]
        ours = [n for n in sizes if n in h.runs]
        exact = [n for n in sizes if n in h.exact]
        print(f"{name}: torchvision runs at {ok}\n  archlang runs {ours}\n  archlang exact {exact}")


if __name__ == "__main__":
    main()
