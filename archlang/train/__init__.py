"""Training engine behind `archlang train`: data sets, the loop, checkpoints, plots.

Takes any nn.Module plus the spec's input shape; it does not depend on the compiler.

    from archlang.train import TrainConfig, train
    config = TrainConfig.from_section({"data": "digits", "epochs": 5}).merge({"lr": 3e-3})
    result = train(model, (28, 28, 1), config, name="model2")
"""

from .config import TrainConfig, parse_freeze
from .data import Dataset, digits, fashion_mnist, load_data, mnist, mnist1d, npz
from .errors import TrainError
from .layout import torch_input_shape
from .loop import TrainResult, train
from .plots import compare_runs

__all__ = ["TrainConfig", "TrainError", "TrainResult", "train", "compare_runs",
           "torch_input_shape", "parse_freeze", "Dataset", "load_data", "digits", "mnist",
           "fashion_mnist", "mnist1d", "npz"]
