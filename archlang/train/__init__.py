"""Training engine behind `archlang train`: data sets, the loop, checkpoints, plots.

Takes any nn.Module plus the spec's input shape; it does not depend on the compiler.

    from archlang.train import TrainConfig, train
    config = TrainConfig.from_section({"data": "digits", "epochs": 5}).merge({"lr": 3e-3})
    result = train(model, (28, 28, 1), config, name="model2")

The settings (`TrainConfig`, `TrainError`) are the train section's schema, owned below by
archlang/ir/trainconfig.py (torch-free: `archlang check` checks a spec's `train` section
with them); everything else is imported on first use.
"""

import sys
import types
from importlib import import_module

from ..ir.trainconfig import TrainConfig, TrainError, parse_freeze
from .errors import TrainInterrupted

_LAZY = {"Dataset": "data", "load_data": "data", "digits": "data", "mnist": "data",
         "fashion_mnist": "data", "mnist1d": "data", "npz": "data",
         "torch_input_shape": "layout", "TrainResult": "loop", "train": "loop",
         "compare_runs": "plots", "evaluate": "evaluate", "EvalResult": "evaluate",
         "load_run": "runs", "predict": "predict"}

__all__ = ["TrainConfig", "TrainError", "TrainInterrupted", "parse_freeze", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Package(types.ModuleType):
    """`evaluate` and `predict` are both functions of this package and the names of the
    modules defining them: importing the module `archlang.train.evaluate` would set the
    package's attribute to the module; it stays the function."""

    def __setattr__(self, name, value):
        if isinstance(value, types.ModuleType) and _LAZY.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
