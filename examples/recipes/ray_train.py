"""A module compiled by archlang, trained by Ray Train: no wrapper of ours.

    pip install "ray[train]"
    python examples/recipes/ray_train.py               # docs/train.md quotes this file

Each Ray worker builds the plain nn.Module with `archlang.load`; Ray's `prepare_model` and
`prepare_data_loader` add DDP and the distributed sampler. Here 2 CPU workers (gloo) train
the book's MLP on the bundled digits.
"""
from pathlib import Path

import ray.train
import ray.train.torch
import torch
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, TensorDataset

SPEC = str(Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "train" / "mlp.arch")


def train_loop(config: dict) -> None:
    import archlang                                     # imported on each worker
    torch.manual_seed(0)
    model = ray.train.torch.prepare_model(archlang.load(config["spec"]).train())
    optimizer = torch.optim.Adam(model.parameters(), lr=0.005)

    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16
    y = torch.tensor(digits.target)
    loader = ray.train.torch.prepare_data_loader(
        DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True))
    for epoch in range(3):
        for xb, yb in loader:
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        accuracy = (model(x).argmax(1) == y).float().mean().item()
        ray.train.report({"epoch": epoch + 1, "loss": loss.item(), "accuracy": accuracy})
        if ray.train.get_context().get_world_rank() == 0:
            print(f"epoch {epoch + 1}: loss {loss.item():.4f}, accuracy {accuracy:.1%}")


if __name__ == "__main__":
    trainer = ray.train.torch.TorchTrainer(
        train_loop, train_loop_config={"spec": SPEC},
        scaling_config=ray.train.ScalingConfig(num_workers=2, use_gpu=False))
    result = trainer.fit()
    print("finished" if result.error is None else f"failed: {result.error}")
