"""Small data of one's own, written by the tests: image folders (PNG/JPEG through Pillow)
and CSV tables."""
from __future__ import annotations

from pathlib import Path

import numpy as np

# Two classes a linear model without bias separates at once: reddish and bluish noise.
BRIGHT = {"red": 0, "blue": 2}


def write_images(folder: Path, counts: dict[str, int], size=(10, 12), seed: int = 0,
                 kinds=("png", "jpg")) -> Path:
    """`counts[c]` RGB images of W×H `size` in folder/c/ (noise, its BRIGHT channel in
    170…255 and the others in 0…85 for red and blue), alternating PNG and JPEG."""
    from PIL import Image
    rng = np.random.default_rng(seed)
    for name, n in counts.items():
        (folder / name).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            pixels = rng.integers(0, 86, size=(size[1], size[0], 3), dtype=np.uint8)
            if name in BRIGHT:
                pixels[..., BRIGHT[name]] += 170
            Image.fromarray(pixels).save(folder / name / f"{i}.{kinds[i % len(kinds)]}")
    return folder


def write_split_folder(root: Path) -> Path:
    """train/ (6 + 6), val/ (2 + 2), test/ (1 + 3) of blue and red images."""
    write_images(root / "train", {"blue": 6, "red": 6}, seed=1)
    write_images(root / "val", {"blue": 2, "red": 2}, seed=2)
    write_images(root / "test", {"blue": 1, "red": 3}, seed=3)
    return root


def write_csv(path: Path, rows: list[list], header: list[str]) -> Path:
    path.write_text("\n".join(",".join(map(str, r)) for r in [header, *rows]) + "\n",
                    encoding="utf-8")
    return path


def separable_table(n: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n samples of 4 features: class 1 has positive features, class 0 negative ones."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = (rng.random((n, 4)) + 0.5) * np.where(y == 1, 1.0, -1.0)[:, None]
    return x.astype(np.float32), y.astype(np.int64)
