"""Training throughput of archlang's `train()` against a minimal hand-written PyTorch loop.

Same model (the book's model2), data (scikit-learn's digits resampled to 28×28, tiled to
--samples), batch size, optimizer (Adam) and epochs; the first epoch of each is a warm-up
and not counted. Runs alternate (loop, train, loop, train, ...) and the median of each
is reported, with the ratio train/loop (goal ≥ 0.95).

    python bench/train_throughput.py [--device cpu|cuda] [--batch 256] [--epochs 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from archlang.train import TrainConfig, train  # noqa: E402
from archlang.train.data import Dataset, digits  # noqa: E402


def model2() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 8, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 10))


def hand_loop(data: Dataset, device: torch.device, batch: int, epochs: int, lr: float,
              amp: str = "off", channels_last: bool = False) -> float:
    """The baseline: data on the device, a shuffle per epoch, forward/backward/step, one
    sync per epoch (bf16 autocast and channels_last when asked, as train() would use).
    Returns samples/s over epochs 2..E."""
    torch.manual_seed(0)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = model2().to(device, memory_format=fmt)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    x, y = data.x.to(device).contiguous(memory_format=fmt), data.y.to(device)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp == "bf16")
    rates = []
    for epoch in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(epoch)).to(device)
        for i in range(0, len(x), batch):
            idx = order[i:i + batch]
            with autocast:
                out = model(x[idx])
            loss = nn.functional.cross_entropy(out.float(), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        loss.item()  # wait for the device
        rates.append(len(x) / (time.perf_counter() - start))
    return statistics.mean(rates[1:])


def engine(data: Dataset, device: str, batch: int, epochs: int, lr: float, extra: dict) -> float:
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as out:
        cfg = TrainConfig.from_section({"epochs": epochs, "batch": batch, "lr": lr, "val_split": 0,
                                        "device": device, "out": out, **extra})
        result = train(model2(), (28, 28, 1), cfg, data=data, progress=False, log=lambda m: None)
    return statistics.mean(r["samples_per_s"] for r in result.history[1:])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--samples", type=int, default=20_000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--amp", default="off", choices=["off", "bf16"])
    p.add_argument("--channels-last", action="store_true")
    args = p.parse_args()

    base = digits(28)
    reps = -(-args.samples // len(base))
    data = Dataset(base.x.repeat(reps, 1, 1, 1)[:args.samples].contiguous(),
                   base.y.repeat(reps)[:args.samples].contiguous(), "digits28")
    extra = {"amp": args.amp, "channels_last": args.channels_last}
    device = torch.device(args.device)
    hand_loop(data, device, args.batch, 2, args.lr)  # warm-up: kernels, allocator, threads
    loops, engines = [], []
    for _ in range(args.repeats):
        loops.append(hand_loop(data, device, args.batch, args.epochs, args.lr, args.amp,
                               args.channels_last))
        engines.append(engine(data, args.device, args.batch, args.epochs, args.lr, extra))
    loop_rate, engine_rate = statistics.median(loops), statistics.median(engines)
    print(f"device {args.device} ({torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu'}, "
          f"{torch.get_num_threads()} threads), model2, {args.samples} samples, batch {args.batch}, "
          f"{args.epochs} epochs (first excluded), {args.repeats} repeats, amp {args.amp}, "
          f"channels_last {args.channels_last}, torch {torch.__version__}")
    print(f"hand-written loop: {loop_rate:12,.0f} samples/s   (runs: {', '.join(f'{r:,.0f}' for r in loops)})")
    print(f"archlang train():  {engine_rate:12,.0f} samples/s   (runs: {', '.join(f'{r:,.0f}' for r in engines)})")
    print(f"ratio train/loop:  {engine_rate / loop_rate:.3f}  (goal ≥ 0.95)")


if __name__ == "__main__":
    main()
