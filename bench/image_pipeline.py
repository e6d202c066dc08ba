"""Samples per second of archlang's image-folder pipeline against a hand-written PyTorch one.

Both read the same JPEG files (written here: --images of 96×96 RGB in 4 class folders,
resized to the spec's 64×64), decode them with Pillow in --workers DataLoader processes,
pad by 4 and crop back at a random place, flip half of them left-right, normalise per
channel and deliver batches of --batch. Nothing is trained: the pipeline alone is timed.

archlang: `image_folder` + the train section's `augment = (random_crop(pad = 4), flip)` and
`normalize`, fed by the StreamFeeder that `archlang train` uses. The baseline is what a user
writes without torchvision (which this machine cannot import): a `Dataset` whose
`__getitem__` opens the file with Pillow, converts and resizes it, makes a tensor, pads,
crops at `random.randint` offsets, flips with `random.random()`, normalises; a `DataLoader`
with shuffle and the same workers, its workers kept between epochs (persistent_workers, the
faster setting). Epochs alternate (A B B A ...) after one warm-up epoch each; the medians
are reported, and the median of each round's ratio archlang/baseline (goal ≥ 0.95).

    python bench/image_pipeline.py [--images 400] [--workers 2] [--batch 64] [--rounds 5]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from archlang.train import TrainConfig  # noqa: E402
from archlang.train.batches import StreamFeeder, epoch_order  # noqa: E402
from archlang.train.folders import image_folder  # noqa: E402
from archlang.train.transforms import build  # noqa: E402

SIZE = 64
MEAN, STD = (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)


def write_jpegs(root: Path, n: int, seed: int = 0) -> None:
    """n smooth random 96×96 RGB JPEGs (quality 90) in 4 class folders."""
    from PIL import Image
    rng = np.random.default_rng(seed)
    for i in range(n):
        folder = root / f"class{i % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        small = rng.integers(0, 256, size=(12, 12, 3), dtype=np.uint8)
        Image.fromarray(small).resize((96, 96), Image.BILINEAR).save(folder / f"{i}.jpg", quality=90)


class HandWritten(torch.utils.data.Dataset):
    """The baseline Dataset, as a user writes it with Pillow and torch."""

    def __init__(self, root: Path):
        self.files = sorted(root.glob("*/*.jpg"))
        classes = sorted({p.parent.name for p in self.files})
        self.labels = [classes.index(p.parent.name) for p in self.files]
        self.mean = torch.tensor(MEAN).view(3, 1, 1)
        self.std = torch.tensor(STD).view(3, 1, 1)

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        from PIL import Image
        with Image.open(self.files[i]) as im:
            im = im.convert("RGB").resize((SIZE, SIZE))
            x = torch.from_numpy(np.asarray(im, dtype=np.float32) / 255.0).permute(2, 0, 1)
        x = F.pad(x, (4, 4, 4, 4))
        dy, dx = random.randint(0, 8), random.randint(0, 8)
        x = x[:, dy:dy + SIZE, dx:dx + SIZE]
        if random.random() < 0.5:
            x = x.flip(-1)
        return (x - self.mean) / self.std, self.labels[i]


def epoch_rate(batches) -> float:
    started, n = time.perf_counter(), 0
    for xb, _ in batches:
        n += len(xb)
    return n / (time.perf_counter() - started)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=400)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "images"
        write_jpegs(root, args.images)
        baseline = torch.utils.data.DataLoader(
            HandWritten(root), batch_size=args.batch, shuffle=True, num_workers=args.workers,
            persistent_workers=args.workers > 0)
        data = image_folder(root, (SIZE, SIZE, 3))
        cfg = TrainConfig().merge({"augment": "random_crop(pad = 4), flip",
                                   "normalize": (MEAN, STD)})
        ours = StreamFeeder(data, torch.device("cpu"), workers=args.workers,
                            pipeline=build(cfg, data))
        rates: dict[str, list[float]] = {"baseline": [], "archlang": []}
        for epoch in range(args.rounds + 1):                       # epoch 0: warm-up
            runs = {"baseline": lambda: epoch_rate(baseline),
                    "archlang": lambda: epoch_rate(ours.batches(
                        epoch_order(len(data), 0, epoch + 1), args.batch, epoch + 1))}
            for name in sorted(runs, reverse=epoch % 2 == 1):     # A B, then B A, ...
                rate = runs[name]()
                if epoch:
                    rates[name].append(rate)
    b, a = statistics.median(rates["baseline"]), statistics.median(rates["archlang"])
    # Epoch by epoch: a machine whose speed drifts moves both epochs of a round alike.
    ratio = statistics.median(x / y for x, y in zip(rates["archlang"], rates["baseline"]))
    print(f"{args.images} JPEGs 96×96 → {SIZE}×{SIZE}, random crop (pad 4), flip, normalise; "
          f"batch {args.batch}, {args.workers} workers, median of {args.rounds} epochs")
    print(f"hand-written Dataset + DataLoader: {b:8,.0f} samples/s")
    print(f"archlang image folder + augment:   {a:8,.0f} samples/s")
    print(f"ratio archlang / hand-written:     {ratio:8.2f}   (median of the rounds' ratios; "
          f"goal ≥ 0.95)")


if __name__ == "__main__":
    main()
