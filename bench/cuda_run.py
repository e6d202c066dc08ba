"""On a CUDA machine: compiled specs train in bf16, `archlang train` throughput, and torchvision.

1. The book's model2 and ResNet-18, compiled from their specs, moved to CUDA, stepping Adam
   under bf16 autocast (channels-last) on a fixed batch: the loss must fall.
2. The training engine (`archlang train`'s) on real data: model2 on the embedded digits at
   28×28; ResNet-18 on the same digits resized to 224×224×3. Samples/s and accuracy.
3. Every famous spec against the real torchvision model (when torchvision is installed):
   parameter counts of check, of the compiled module and of torchvision; output shapes.

    python bench/cuda_run.py [--quick] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import archlang  # noqa: E402
from archlang.train import TrainConfig, train  # noqa: E402
from archlang.train.data import Dataset, digits  # noqa: E402

SPECS = ROOT / "specs"
FAMOUS = ["alexnet", "vgg16", "vgg19", "resnet18", "resnet34", "resnet50", "resnet152",
          "googlenet", "mobilenet_v2"]


def bf16_steps(spec: Path, shape, steps: int, batch: int, device) -> dict:
    model = archlang.load(spec).to(device, memory_format=torch.channels_last if len(shape) == 3
                                   else torch.contiguous_format)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(batch, *shape, device=device)
    if len(shape) == 3:
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (batch,), device=device)
    losses = []
    for i in range(steps):
        if i == 2:
            torch.cuda.synchronize(device) if device.type == "cuda" else None
            t = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.bfloat16):
            loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    ms = 1000 * (time.perf_counter() - t) / (steps - 2)
    assert all(l == l for l in losses) and losses[-1] < losses[0], losses
    return {"spec": spec.name, "first_loss": round(losses[0], 4), "last_loss": round(losses[-1], 4),
            "ms_per_step": round(ms, 2), "batch": batch,
            "param_dtype": str(next(model.parameters()).dtype),
            "max_memory_MiB": round(torch.cuda.max_memory_allocated(device) / 2**20)
            if device.type == "cuda" else None}


def engine(spec: Path, shape, data: Dataset, epochs: int, batch: int, device: str, out: Path) -> dict:
    cfg = TrainConfig(epochs=epochs, batch=batch, lr=1e-3, device=device,
                      amp="bf16" if device.startswith("cuda") else "off",
                      channels_last=device.startswith("cuda"), out=str(out), val_split=0.2, seed=0)
    result = train(archlang.load(spec), shape, cfg, name=spec.stem, progress=False, data=data)
    return {"spec": spec.name, "epochs": epochs, "batch": batch, "samples_per_s": round(result.samples_per_s),
            "best_val_acc": round(result.best_val_acc, 4), "train_samples": int(0.8 * len(data))}


def torchvision_agreement(device) -> list[dict]:
    try:
        import torchvision
    except ImportError:
        return []
    rows = []
    for name in FAMOUS:
        kwargs = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
        tv = getattr(torchvision.models, name)(weights=None, **kwargs)
        spec = SPECS / "famous" / f"{name}.arch"
        report = archlang.check(spec).model(name)
        ours = archlang.load(spec)
        with torch.no_grad():
            out = ours.eval()(torch.zeros(1, 3, 224, 224))
        rows.append({"model": name, "torchvision": sum(p.numel() for p in tv.parameters()),
                     "check": report.params, "compiled": sum(p.numel() for p in ours.parameters()),
                     "output": list(out.shape)})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="tiny sizes, for a CPU smoke test")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    report = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0)
              if device.type == "cuda" else "cpu"}
    q = args.quick

    def section(name, make):
        # One failing section must not cost the others (a GPU lease is short).
        try:
            report[name] = make()
        except Exception as err:  # noqa: BLE001 — reported, not hidden
            report[name] = {"error": f"{type(err).__name__}: {err}"}
        print(name, json.dumps(report[name], indent=1), flush=True)

    section("bf16_steps", lambda: [
        bf16_steps(SPECS / "book/model2.arch", (1, 28, 28), 6 if q else 30, 64 if q else 1024, device),
        bf16_steps(SPECS / "famous/resnet18.arch", (3, 64 if q else 224, 64 if q else 224),
                   4 if q else 30, 4 if q else 256, device),
    ])
    out = Path("/tmp/archlang-cuda-runs")
    section("engine_model2", lambda: engine(SPECS / "book/model2.arch", (28, 28, 1), digits(28),
                                            2 if q else 10, 64 if q else 256, device.type,
                                            out / "model2"))
    size = 32 if q else 224

    def resnet18():
        big = digits(size)
        big = Dataset(big.x.expand(-1, 3, -1, -1).contiguous(), big.y, f"digits({size})×3")
        return engine(SPECS / "famous/resnet18.arch", (size, size, 3), big, 1 if q else 4,
                      16 if q else 256, device.type, out / "resnet18")

    section("engine_resnet18", resnet18)
    if not q:
        section("torchvision", lambda: torchvision_agreement(device))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
