"""Object localisation (book §5.8.1): generated data, its metrics, and a picture of boxes.

No downloads: objects are scikit-learn's bundled handwritten digits (1,797 real 8×8
glyphs) or simple drawn shapes, scaled and placed at random on a larger dark canvas with a
little noise; a share of the images holds no object. Labels are the book's

    y = [p_c, x, y, h, w, p_1, …, p_K]

p_c = 1 when there is an object; (x, y) its box's top-left corner and h, w its height and
width, all as fractions of the canvas side (the book writes "top right corner"; we use the
corner image libraries use, the box is the same); p_k = 1 for its class. An image without
an object has y = [0, 0, …, 0]: the book's "don't care" entries, which the §5.8.1 loss
ignores (archlang/train/losses.py, `Localization`).
"""
from __future__ import annotations

import numpy as np
import torch

from .dataset import Dataset
from .errors import TrainError

SHAPES = ("square", "disc", "triangle")
KINDS = {"digits": 10, "shapes": len(SHAPES)}


def localization(size: int | None = 32, count: int = 3000, kind: str = "digits", empty: float = 0.25,
                 min_side: int | None = None, max_side: int | None = None, noise: float = 0.05,
                 seed: int = 0) -> Dataset:
    """`count` size×size grey images, each with one object (a digit, or a shape of SHAPES)
    or, with probability `empty`, none; objects are squares of side min_side … max_side
    pixels (default size/4 … size/2) at a uniformly random place. Returns x N×1×size×size in
    [0, 1] and y N×(5 + K) float targets (see the module docstring). Spec: size×size×1 in,
    5 + K out (15 for digits, 8 for shapes)."""
    size, count = int(size or 32), int(count)
    if kind not in KINDS:
        raise TrainError(f"localization: unknown kind `{kind}`", "use kind=digits or kind=shapes")
    lo = int(min_side) if min_side is not None else max(4, size // 4)
    hi = int(max_side) if max_side is not None else max(lo, size // 2)
    if not (1 <= lo <= hi <= size) or count < 1 or not 0 <= float(empty) < 1:
        raise TrainError(f"localization({size}, count={count}, empty={empty}, min_side={lo}, "
                         f"max_side={hi}): sizes must satisfy 1 ≤ min_side ≤ max_side ≤ size, "
                         "count ≥ 1 and 0 ≤ empty < 1")
    rng = np.random.default_rng(int(seed))
    k = KINDS[kind]
    glyphs, glyph_labels = _glyphs(kind)
    x = np.zeros((count, size, size), dtype=np.float32)
    y = np.zeros((count, 5 + k), dtype=np.float32)
    for n in range(count):
        if rng.random() >= empty:
            side = int(rng.integers(lo, hi + 1))
            top, left = (int(v) for v in rng.integers(0, size - side + 1, size=2))
            pick = int(rng.integers(len(glyphs)))
            x[n, top:top + side, left:left + side] = _resize(glyphs[pick], side)
            label = int(glyph_labels[pick])
            y[n, :5] = (1.0, left / size, top / size, side / size, side / size)
            y[n, 5 + label] = 1.0
        x[n] += rng.normal(0.0, noise, size=(size, size)).astype(np.float32) if noise else 0
    np.clip(x, 0.0, 1.0, out=x)
    return Dataset(torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y), f"localization({kind})")


def shifted_digits(size: int | None = 28, count: int = 10000, min_side: int = 12, max_side: int = 18,
                   noise: float = 0.0, seed: int = 0) -> Dataset:
    """Classification data for the book's §5.4.3 comparison on bundled digits: every image
    holds one digit of min_side … max_side pixels at a random place on a size×size canvas;
    y are int labels 0–9. Digits that move about are what convolutions handle and dense
    layers do not (§5.2). Glyphs repeat (1,797 of them), each at new places and sizes."""
    data = localization(size or 28, count, "digits", empty=0.0, min_side=min_side, max_side=max_side,
                        noise=noise, seed=seed)
    return Dataset(data.x, data.y[:, 5:].argmax(1), "shifted_digits")


def _glyphs(kind: str) -> tuple[list[np.ndarray], np.ndarray]:
    if kind == "digits":
        from sklearn.datasets import load_digits
        bunch = load_digits()
        return list(bunch.images.astype(np.float32) / 16.0), bunch.target
    side = 32
    yy, xx = np.mgrid[0:side, 0:side] + 0.5
    square = np.ones((side, side), np.float32)
    disc = ((xx - side / 2) ** 2 + (yy - side / 2) ** 2 <= (side / 2) ** 2).astype(np.float32)
    triangle = (np.abs(xx - side / 2) <= yy / 2).astype(np.float32)   # apex up, base at bottom
    return [square, disc, triangle], np.arange(len(SHAPES))


def _resize(img: np.ndarray, side: int) -> np.ndarray:
    t = torch.from_numpy(img)[None, None]
    return torch.nn.functional.interpolate(t, size=(side, side), mode="bilinear",
                                           align_corners=False)[0, 0].clamp(0, 1).numpy()


# --- metrics --------------------------------------------------------------------------

def boxes(v: torch.Tensor) -> torch.Tensor:
    """Rows [p_c, x, y, h, w, …] → corner boxes [x0, y0, x1, y1] (negative sides as 0)."""
    x, y = v[:, 1], v[:, 2]
    h, w = v[:, 3].clamp_min(0), v[:, 4].clamp_min(0)
    return torch.stack([x, y, x + w, y + h], 1)


def iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Intersection over union of corner boxes, row by row (0 where both are empty)."""
    iw = (torch.minimum(a[:, 2], b[:, 2]) - torch.maximum(a[:, 0], b[:, 0])).clamp_min(0)
    ih = (torch.minimum(a[:, 3], b[:, 3]) - torch.maximum(a[:, 1], b[:, 1])).clamp_min(0)
    inter = iw * ih
    area = lambda r: (r[:, 2] - r[:, 0]) * (r[:, 3] - r[:, 1])  # noqa: E731
    union = area(a) + area(b) - inter
    return torch.where(union > 0, inter / union.clamp_min(1e-12), torch.zeros_like(union))


def metrics(out: torch.Tensor, y: torch.Tensor) -> dict:
    """What a localiser gets right, for outputs and targets [p_c, x, y, h, w, p_1, …]:
    presence: share of images where (ŷ_1 > 0.5) == p_c; class: share of images with an
    object whose class (argmax of p_1 …) is right; iou: mean IoU of predicted and true
    boxes over images with an object; present: how many images hold one."""
    out, y = out.float(), y.float()
    present = y[:, 0] > 0.5
    n = int(present.sum())
    result = {"presence": float(((out[:, 0] > 0.5) == present).float().mean()), "present": n,
              "images": len(y), "class": float("nan"), "iou": float("nan")}
    if n:
        if y.shape[1] > 5:
            result["class"] = float((out[present, 5:].argmax(1) == y[present, 5:].argmax(1)).float().mean())
        result["iou"] = float(iou(boxes(out[present]), boxes(y[present])).mean())
    return result


# --- picture ------------------------------------------------------------------------------

def boxes_figure(x: torch.Tensor, out: torch.Tensor, y: torch.Tensor, title: str = "",
                 class_names=None, columns: int = 6):
    """Images with their true box (green, with the true class) and the predicted box
    (orange, with the predicted class and p_c); images the model calls empty show no
    orange box. x: N×1×S×S, out and y: N×(5+K)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    k = y.shape[1] - 5
    names = list(class_names) if class_names is not None else [str(i) for i in range(k)]
    n = len(x)
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(1.9 * columns, 2.1 * rows + 0.5), squeeze=False)
    side = x.shape[-1]
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(x[i, 0].numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        for v, colour, style, placed in ((y[i], "#2ca02c", "-", "true"), (out[i], "#ff7f0e", "--", "pred")):
            if float(v[0]) <= 0.5:
                continue
            x0, y0, h, w = (float(t) * side for t in v[1:5])
            ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), max(w, 0), max(h, 0), fill=False,
                                   edgecolor=colour, linestyle=style, linewidth=1.6))
        truth = names[int(y[i, 5:].argmax())] if float(y[i, 0]) > 0.5 else "none"
        guess = names[int(out[i, 5:].argmax())] if float(out[i, 0]) > 0.5 else "none"
        ax.set_title(f"true {truth} · pred {guess} ({float(out[i, 0]):.2f})", fontsize=7,
                     color="black" if truth == guess else "#d62728")
    fig.suptitle((title + "\n" if title else "") +
                 "green: true box · orange dashed: predicted box · (p̂_c)", fontsize=9)
    fig.tight_layout()
    return fig
