"""A module compiled by archlang, trained by Lightning Fabric: no wrapper of ours.

    pip install lightning
    python examples/recipes/fabric_train.py            # docs/train.md quotes this file

`archlang.load` gives a plain nn.Module, and Fabric does the rest (devices, DDP or FSDP,
precision). Here 2 CPU processes (gloo) train the book's MLP on the bundled digits.
"""
from pathlib import Path

import torch
from lightning.fabric import Fabric
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, TensorDataset

import archlang

SPEC = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "train" / "mlp.arch"


def main(fabric: Fabric) -> None:
    fabric.seed_everything(0)
    model = archlang.load(SPEC).train()               # an nn.Module: input N×1×8×8
    optimizer = torch.optim.Adam(model.parameters(), lr=0.005)
    model, optimizer = fabric.setup(model, optimizer)

    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16
    y = torch.tensor(digits.target)
    loader = fabric.setup_dataloaders(DataLoader(TensorDataset(x, y), batch_size=64,
                                                 shuffle=True))
    for epoch in range(3):
        for xb, yb in loader:
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            fabric.backward(loss)
            optimizer.step()
        accuracy = (model(x).argmax(1) == y).float().mean()
        fabric.print(f"epoch {epoch + 1}: loss {loss.item():.4f}, accuracy {accuracy:.1%}")


if __name__ == "__main__":
    fabric = Fabric(accelerator="cpu", devices=2, strategy="ddp")
    fabric.launch(main)
