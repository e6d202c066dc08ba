"""The train package's public names."""
from __future__ import annotations

import subprocess
import sys


def test_evaluate_and_predict_stay_functions_when_their_modules_are_imported():
    # `import archlang.train.evaluate` sets the package attribute `evaluate` to the module,
    # unless the package keeps the function (a fresh process: the order of imports matters).
    code = ("import archlang.train.evaluate, archlang.train.predict\n"
            "import archlang.train as t\n"
            "print(callable(t.evaluate), callable(t.predict), t.evaluate.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "evaluate"]
