"""The recipes of docs/train.md for Lightning Fabric and Ray Train run (when installed:
neither is an archlang dependency) and train: the last epoch's accuracy on the digits."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(script: str) -> str:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "RAY_DEDUP_LOGS": "0",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "recipes" / script)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def _last_accuracy(output: str) -> float:
    found = re.findall(r"epoch 3: loss [\d.]+, accuracy ([\d.]+)%", output)
    assert found, output
    return float(found[-1])


@pytest.mark.slow  # two processes: a minute on a busy 2-core machine
def test_fabric_recipe_trains():
    pytest.importorskip("lightning")
    assert _last_accuracy(_run("fabric_train.py")) > 80      # measured: 88.3%


@pytest.mark.slow  # a local Ray cluster starts: a minute on a busy 2-core machine
def test_ray_train_recipe_trains():
    pytest.importorskip("ray.train")
    output = _run("ray_train.py")
    assert _last_accuracy(output) > 80 and "finished" in output   # measured: 88.3%


@pytest.mark.parametrize("script", ["fabric_train.py", "ray_train.py"])
def test_docs_quote_the_recipes_verbatim(script):
    code = (ROOT / "examples" / "recipes" / script).read_text()
    code = code[code.index("from pathlib"):]          # after the docstring, the docs' prose
    assert code.rstrip("\n") in (ROOT / "docs" / "train.md").read_text()
