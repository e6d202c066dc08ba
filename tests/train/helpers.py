"""Shared test helpers: the book's model2 written by hand in PyTorch, tiny data, quiet runs."""

import pytest
import torch
from torch import nn

from archlang.train import TrainConfig, train


def model2(seed: int = 0) -> nn.Sequential:
    """The book's model2 (input 28×28×1): Conv(5×5, 1=>8, relu), MaxPool(2×2),
    Conv(3×3, 8=>16, relu), MaxPool(2×2), flatten, Dense(400 => 10)."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 8, 5), nn.ReLU(),    # 1×28×28 → 8×24×24
        nn.MaxPool2d(2),                  # → 8×12×12
        nn.Conv2d(8, 16, 3), nn.ReLU(),   # → 16×10×10
        nn.MaxPool2d(2),                  # → 16×5×5
        nn.Flatten(),                     # → 400
        nn.Linear(400, 10))               # → 10


def tiny_dense(inputs: int = 64, seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(inputs, 16), nn.ReLU(), nn.Linear(16, 10))


def config(tmp_path, **settings) -> TrainConfig:
    base = {"data": "digits", "epochs": 2, "batch": 64, "optimizer": "adam", "lr": 0.005,
            "val_split": 0.3, "device": "cpu", "out": str(tmp_path / "run")}
    return TrainConfig.from_section({**base, **settings})


def quiet_train(model, shape, cfg, **kwargs):
    """train() without a bar, returning (result, logged lines). One intra-op thread: these
    models are tiny, and on a busy 2-core machine OpenMP threads spinning against other
    processes made the tests 7× slower (43 s against 6 s)."""
    messages, threads = [], torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = train(model, shape, cfg, log=messages.append, progress=False, **kwargs)
    finally:
        torch.set_num_threads(threads)
    return result, messages


@pytest.fixture(autouse=True)
def one_thread():
    """One intra-op thread for a test module that imports this fixture (see quiet_train)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
