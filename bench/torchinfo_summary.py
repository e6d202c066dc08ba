"""The yardstick for `archlang check`: torchinfo's summary of the same network in PyTorch.

What a PyTorch user runs for the same table: import torch, build the module (here the one
`archlang compile` generated, a file that imports only torch), and let torchinfo run a
forward pass on one input.

    python bench/torchinfo_summary.py GENERATED.py CLASS 1,3,224,224
"""
from __future__ import annotations

import importlib.util
import sys

from torchinfo import summary


def main(path: str, cls: str, size: str) -> None:
    spec = importlib.util.spec_from_file_location("generated", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = getattr(module, cls)()
    print(summary(model, input_size=tuple(int(n) for n in size.split(",")), verbose=0))


if __name__ == "__main__":
    main(*sys.argv[1:4])
