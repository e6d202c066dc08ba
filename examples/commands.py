"""Run `archlang` commands from the chapter examples, printing each as a shell line."""
from __future__ import annotations

import shlex

from archlang.cli import main as archlang


def run(argv: list[str]) -> None:
    """`archlang ARGV...` in this process; SystemExit naming the command if it fails."""
    print("$ archlang " + " ".join(shlex.quote(a) for a in argv), flush=True)
    status = archlang(argv)
    if status != 0:
        raise SystemExit(f"archlang {argv[0]} failed with status {status}")
