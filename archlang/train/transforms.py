"""Transforms of samples, on tensors with torch ops (torchvision is not required): the random
augmentations of a train section's `augment` and the per-channel `normalize`.

Every transform works on a batch N×C×H×W, one sample being a batch of one, so image files
are transformed per sample in DataLoader workers and in-memory data per batch on the
training device, by the same code. Random numbers come from a counter-based generator keyed
by (seed, epoch, sample index, draw): no generator state, so a sample is changed the same
way whichever worker reads it, in whatever order, with 0 or N workers, and after a resume.
Training applies the random steps then normalises; evaluation and prediction normalise only.
"""
from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F

from .errors import TrainError
from .folders import scaled

_MASK = (1 << 64) - 1


def _signed(u: int) -> int:
    return u - (1 << 64) if u >= 1 << 63 else u


# splitmix64 (Steele, Lea and Flood 2014): a bijective mix of a 64-bit counter.
_GAMMA, _M1, _M2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


def _mix_int(z: int) -> int:
    z = (z + _GAMMA) & _MASK
    z = ((z ^ (z >> 30)) * _M1) & _MASK
    z = ((z ^ (z >> 27)) * _M2) & _MASK
    return z ^ (z >> 31)


def _srl(z: torch.Tensor, s: int) -> torch.Tensor:
    """Logical right shift of int64 (torch's >> keeps the sign)."""
    return (z >> s) & ((1 << (64 - s)) - 1)


def _mix(z: torch.Tensor) -> torch.Tensor:
    """_mix_int on int64 tensors (multiplication wraps modulo 2^64)."""
    z = z + _signed(_GAMMA)
    z = (z ^ _srl(z, 30)) * _signed(_M1)
    z = (z ^ _srl(z, 27)) * _signed(_M2)
    return z ^ _srl(z, 31)


def sample_keys(seed: int, epoch: int, index: torch.Tensor) -> torch.Tensor:
    """One int64 key per sample of `index` (positions in the training split)."""
    return _mix(index.to(torch.int64) ^ _signed(_epoch_key(seed, epoch)))


def sample_key(seed: int, epoch: int, i: int) -> int:
    """sample_keys of one position, as an unsigned Python int."""
    return _mix_int((i & _MASK) ^ _epoch_key(seed, epoch))


@functools.lru_cache(maxsize=64)
def _epoch_key(seed: int, epoch: int) -> int:
    return _mix_int(_mix_int(seed & _MASK) ^ (epoch & _MASK))


def uniform(keys: torch.Tensor, draw: int) -> torch.Tensor:
    """Draw number `draw` of each sample, uniform in [0, 1) (24 bits), float32."""
    bits = _srl(_mix(keys + _signed(draw * _GAMMA & _MASK)), 40)
    return bits.to(torch.float32) / float(1 << 24)


def uniform_one(key: int, draw: int) -> float:
    """`uniform` of one sample's key given as a Python int (the per-sample path: no tensor
    operations for a handful of numbers); equal to uniform(...)[i]."""
    return (_mix_int((key + draw * _GAMMA) & _MASK) >> 40) / float(1 << 24)


# --- the transforms: params(u, n) draws each sample's numbers, apply(x, params) uses them --

class RandomCrop:
    """Pad each side with `pad` zeros, then cut the original H×W at a random offset
    (dy, dx) ∈ [0, 2·pad]² (the CIFAR recipe)."""

    def __init__(self, pad: int):
        self.pad = pad

    def params(self, u, n):
        span = 2 * self.pad + 1
        return [(min(int(a * span), span - 1), min(int(b * span), span - 1))
                for a, b in zip(u(0), u(1))]

    def apply(self, x: torch.Tensor, offsets) -> torch.Tensor:
        p = self.pad
        h, w = x.shape[-2:]
        padded = torch.constant_pad_nd(x, (p, p, p, p))     # F.pad's kernel, minus its wrapper
        if x.dim() == 3 or len(x) == 1:         # one sample (C×H×W alone, or a batch of one)
            dy, dx = offsets[0]
            return padded[..., dy:dy + h, dx:dx + w]
        n, c = x.shape[:2]
        dy = torch.tensor([o[0] for o in offsets], device=x.device)
        dx = torch.tensor([o[1] for o in offsets], device=x.device)
        rows = (dy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]
        cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, None, :]
        return padded[torch.arange(n, device=x.device)[:, None, None, None],
                      torch.arange(c, device=x.device)[None, :, None, None], rows, cols]


class Flip:
    """Mirror left-right (`axis` -1) or upside down (-2) with probability p."""

    def __init__(self, p: float, axis: int = -1):
        self.p, self.axis = p, axis

    def params(self, u, n):
        return [a < self.p for a in u(0)]

    def apply(self, x: torch.Tensor, hits) -> torch.Tensor:
        if len(hits) == 1:
            return x.flip(self.axis) if hits[0] else x
        mask = torch.tensor(hits, device=x.device).view(-1, 1, 1, 1)
        return torch.where(mask, x.flip(self.axis), x)


class Rotate:
    """Turn about the centre by an angle uniform in [-degrees, degrees] (positive:
    anticlockwise), bilinear, corners filled with zeros."""

    def __init__(self, degrees: float):
        self.degrees = degrees

    def params(self, u, n):
        return [(2 * a - 1) * self.degrees for a in u(0)]

    def apply(self, x: torch.Tensor, angles) -> torch.Tensor:
        n, _, h, w = x.shape
        t = torch.tensor(angles, dtype=torch.float32, device=x.device) * (math.pi / 180)
        cos, sin = t.cos(), t.sin()
        zero = torch.zeros_like(t)
        # Output pixel → input pixel, in affine_grid's coordinates ([-1, 1] per axis, so the
        # aspect ratio corrects the off-diagonal terms of a non-square image).
        theta = torch.stack([torch.stack([cos, -sin * h / w, zero], -1),
                             torch.stack([sin * w / h, cos, zero], -1)], 1)
        return _sampled(x, theta)


class ResizedCrop:
    """Cut a random box (area a share `scale` of the image's, width/height `ratio`, both
    drawn log-uniformly for the ratio; clamped inside the image rather than redrawn) and
    resize it to H×W, bilinear (torchvision's RandomResizedCrop in one draw)."""

    def __init__(self, scale, ratio):
        self.scale, self.ratio = scale, ratio

    def params(self, u, n):
        lo, hi = self.scale
        rl, rh = math.log(self.ratio[0]), math.log(self.ratio[1])
        out = []
        for a, b, c, d in zip(u(0), u(1), u(2), u(3)):
            area, r = lo + a * (hi - lo), math.exp(rl + b * (rh - rl))
            fw, fh = min(math.sqrt(area * r), 1.0), min(math.sqrt(area / r), 1.0)
            out.append((fw, fh, (2 * c - 1) * (1 - fw), (2 * d - 1) * (1 - fh)))
        return out

    def apply(self, x: torch.Tensor, boxes) -> torch.Tensor:
        b = torch.tensor(boxes, dtype=torch.float32, device=x.device)
        zero = torch.zeros_like(b[:, 0])
        theta = torch.stack([torch.stack([b[:, 0], zero, b[:, 2]], -1),
                             torch.stack([zero, b[:, 1], b[:, 3]], -1)], 1)
        return _sampled(x, theta, "border")       # the box's edge pixels, not zeros beyond


class ColorJitter:
    """Brightness, contrast and saturation, each scaled by a factor uniform in
    [1 - amount, 1 + amount], in that order (torchvision draws the order too), then clipped
    to [0, 1]. Contrast blends with the mean grey level, saturation (RGB only) with each
    pixel's grey (ITU-R 601 weights, as torchvision's rgb_to_grayscale)."""

    GREY = (0.299, 0.587, 0.114)

    def __init__(self, brightness: float, contrast: float, saturation: float):
        self.amounts = (brightness, contrast, saturation)

    def params(self, u, n):
        return [tuple(1 + (2 * v - 1) * a for v, a in zip(vals, self.amounts))
                for vals in zip(u(0), u(1), u(2))]

    def apply(self, x: torch.Tensor, factors) -> torch.Tensor:
        f = torch.tensor(factors, dtype=x.dtype, device=x.device).view(-1, 3, 1, 1, 1)
        x = (x * f[:, 0]).clamp(0, 1)
        m = self.grey(x).mean((1, 2, 3), keepdim=True)
        x = ((x - m) * f[:, 1] + m).clamp(0, 1)
        if x.shape[1] == 3:
            g = self.grey(x)
            x = ((x - g) * f[:, 2] + g).clamp(0, 1)
        return x

    def grey(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] != 3:
            return x.mean(1, keepdim=True)
        w = torch.tensor(self.GREY, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
        return (x * w).sum(1, keepdim=True)


def _sampled(x: torch.Tensor, theta: torch.Tensor, padding: str = "zeros") -> torch.Tensor:
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode=padding, align_corners=False)


def make_step(spec: dict):
    """The transform of one canonical step (ir/augment.py)."""
    name, k = spec["call"], spec["kwargs"]
    if name == "random_crop":
        return RandomCrop(k["pad"])
    if name in ("flip", "vflip"):
        return Flip(k["p"], -1 if name == "flip" else -2)
    if name == "rotate":
        return Rotate(k["degrees"])
    if name == "color_jitter":
        return ColorJitter(k["brightness"], k["contrast"], k["saturation"])
    if name == "random_resized_crop":
        return ResizedCrop(k["scale"], k["ratio"])
    raise TrainError(f"unknown transform `{name}`")


# --- normalisation -----------------------------------------------------------------------

def normalized(x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """(x - mean) / std per channel: axis 1 of a batch of samples with channels (N×C×...),
    one pair for every value of flat samples (N×F)."""
    shape = (1, -1) + (1,) * (x.dim() - 2) if x.dim() > 2 else (1, -1)
    if x.dim() <= 2:
        mean, std = mean[:1], std[:1]
    return (x - mean.to(x.device).view(shape)) / std.to(x.device).view(shape)


def measure(data, workers: int = 0) -> tuple[list[float], list[float]]:
    """Each channel's mean and std (population) over every sample of `data` (a
    dataset.Dataset, Streamed or Batches), in float64, one pass; a channel with std 0
    gets 1 (it is constant: centred, not scaled)."""
    from .dataset import Batches, Streamed
    if isinstance(data, Streamed):
        batches = (xb for xb, _ in torch.utils.data.DataLoader(
            data, batch_size=256, num_workers=workers, generator=torch.Generator()))
    elif isinstance(data, Batches):
        batches = (torch.as_tensor(xb) for xb, _ in data.loader)
    else:
        batches = (data.x[i:i + 4096] for i in range(0, len(data.x), 4096))
    total = sq = None
    count = 0
    for xb in batches:
        xb = xb.to(torch.float64)
        flat = xb.transpose(0, 1).reshape(xb.shape[1], -1) if xb.dim() > 2 else xb.reshape(1, -1)
        total = flat.sum(1) if total is None else total + flat.sum(1)
        sq = (flat * flat).sum(1) if sq is None else sq + (flat * flat).sum(1)
        count += flat.shape[1]
    if not count:
        raise TrainError("normalize = auto needs training samples; the training split is empty")
    mean = total / count
    std = (sq / count - mean * mean).clamp(min=0).sqrt()
    std = torch.where(std > 0, std, torch.ones_like(std))
    return mean.tolist(), std.tolist()


# --- the pipeline of a run --------------------------------------------------------------------

class Pipeline:
    """A run's transforms: `steps` (random, training only) then normalisation by `stats`
    ({"mean", "std"} or None). Picklable, for DataLoader workers."""

    def __init__(self, steps: list[dict], stats: dict | None, seed: int):
        self.spec, self.stats, self.seed = list(steps), stats, seed
        self.steps = [make_step(s) for s in steps]
        self.mean = self.std = self._one = None
        if stats is not None:
            self.mean = torch.tensor(stats["mean"], dtype=torch.float32)
            self.std = torch.tensor(stats["std"], dtype=torch.float32)

    def __bool__(self) -> bool:
        return bool(self.steps) or self.stats is not None

    def train(self, x: torch.Tensor, epoch: int, index: torch.Tensor) -> torch.Tensor:
        """A training batch (N×C×H×W) of the samples at positions `index`: the random steps
        with their numbers drawn for (seed, epoch, index), then normalised."""
        if self.steps:
            keys = sample_keys(self.seed, epoch, index.cpu())
            for j, t in enumerate(self.steps):
                draws = {}

                def u(k, j=j, draws=draws):
                    if k not in draws:
                        draws[k] = uniform(keys, 8 * j + k).tolist()
                    return draws[k]
                x = t.apply(x, t.params(u, len(x)))
        return self.eval(x)

    def train_one(self, x: torch.Tensor, epoch: int, i: int) -> torch.Tensor:
        """`train` of one sample (C×H×W) at position i, as DataLoader workers call it; the
        same numbers as `train` of a batch holding it. `x` may be uint8 pixels (an image
        file's bytes, folders.ImageFiles.raw): the steps that only move pixels run on them,
        then they are scaled to [0, 1] (moving and scaling commute, so the numbers are those
        of the float image)."""
        own = x.dtype == torch.uint8                    # scaled below: a tensor of our own
        if self.steps:
            key = sample_key(self.seed, epoch, i)
            for j, t in enumerate(self.steps):
                params = t.params(lambda k, j=j: [uniform_one(key, 8 * j + k)], 1)
                if isinstance(t, (RandomCrop, Flip)):   # C×H×W as it is: fewer calls
                    x = t.apply(x, params)
                else:
                    x = t.apply(scaled(x).unsqueeze(0), params).squeeze(0)
                    own = True
        if x.dtype == torch.uint8:
            x = scaled(x)
        return self.eval_one(x, in_place=own)

    def eval(self, x: torch.Tensor) -> torch.Tensor:
        """The deterministic part, normalisation, of a batch."""
        return x if self.mean is None else normalized(x, self.mean, self.std)

    def eval_one(self, x: torch.Tensor, in_place: bool = False) -> torch.Tensor:
        """`eval` of one sample (in a loader's worker: the per-channel numbers shaped once);
        `in_place` when x is a contiguous tensor of the pipeline's own."""
        if self.mean is None:
            return x
        if self._one is None or self._one[0] != x.dim():
            shape = (-1,) + (1,) * (x.dim() - 1) if x.dim() > 1 else (1,)
            mean, std = (self.mean, self.std) if x.dim() > 1 else (self.mean[:1], self.std[:1])
            self._one = (x.dim(), mean.view(shape), std.view(shape))
        if in_place and x.is_contiguous():
            return x.sub_(self._one[1]).div_(self._one[2])
        return (x - self._one[1]).div_(self._one[2])


def build(config, train_set, saved: dict | None = None, workers: int = 0) -> Pipeline | None:
    """The pipeline of a run: `config.augment` and `config.normalize`, "auto" measured on
    `train_set` (or taken from `saved`, a resumed checkpoint's numbers). None when the run
    has no transforms. TrainError for augmentation of samples that are not images, or
    normalisation numbers that do not match the samples' channels."""
    stats = None
    if config.normalize == "auto":
        if saved is not None:
            stats = saved
        else:
            mean, std = measure(train_set, workers)
            stats = {"mean": mean, "std": std}
    elif config.normalize is not None:
        stats = config.normalize
    if not config.augment and stats is None:
        return None
    shape = tuple(train_set.sample_shape)
    if config.augment and len(shape) != 3:
        raise TrainError(f"augment changes images (C×H×W samples), but the samples of "
                         f"{train_set.name} have the shape {'×'.join(map(str, shape))}",
                         "give the model an image input (W×H×C), or drop augment")
    if stats is not None:
        channels = shape[0] if len(shape) >= 2 else 1
        for key in ("mean", "std"):
            if len(stats[key]) not in (1, channels):
                raise TrainError(f"normalize gives {len(stats[key])} {key} values but the "
                                 f"samples of {train_set.name} have {channels} channels",
                                 "give one number for every channel, or one per channel")
    return Pipeline(config.augment, stats, config.seed)


def for_run(config, state: dict) -> Pipeline | None:
    """The deterministic part of a finished run's transforms (evaluate, predict): the
    normalisation numbers its checkpoint holds."""
    stats = state.get("normalize")
    return Pipeline([], stats, config.seed) if stats else None
