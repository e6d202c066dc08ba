"""Running a trained run's model on files: images (PNG, JPEG, … through Pillow, or PNG
through matplotlib), .npy arrays and .npz archives (array `x`), each sample fitted to the
spec's input the way training data are."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .data import Dataset, fit_to_spec, read_arrays
from .errors import TrainError
from .layout import format_shape, torch_input_shape
from .losses import Objective
from .runs import Run

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


@dataclass
class Prediction:
    """One sample's outcome: `source` (file, and index inside it for arrays), the predicted
    class and its probability, the top classes [(class, probability)], and the raw output."""

    source: str
    label: int | None
    probability: float | None
    top: list[tuple[int, float]]
    output: list[float]


def read_inputs(paths, input_shape) -> list[tuple[str, torch.Tensor]]:
    """(name, samples in PyTorch layout) for every file; TrainError for an unreadable one."""
    out = []
    for p in paths:
        path = Path(p)
        if not path.is_file():
            raise TrainError(f"no such input file: {path}")
        suffix = path.suffix.lower()
        if suffix in IMAGE_SUFFIXES:
            x = _image(path, input_shape)[None]
        elif suffix in (".npy", ".npz"):
            x = _array(path)
        else:
            raise TrainError(f"{path}: unknown input kind `{suffix}`",
                             "give images (" + ", ".join(IMAGE_SUFFIXES) + "), .npy or .npz files")
        want = torch_input_shape(input_shape)
        if x.ndim == len(want) or (x.ndim == len(want) - 1 and want[0] == 1 and x.ndim >= 2
                                   and suffix != ".npz" and not _batched(x, want)):
            x = x[None]                   # one sample without its batch axis
        data = fit_to_spec(Dataset(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)),
                                   torch.zeros(len(x)), path.name, "auto"), input_shape)
        out.append((str(path), data.x))
    return out


def _batched(x, want) -> bool:
    return tuple(x.shape[1:]) in (want[1:], tuple(reversed(want[1:])))


def _image(path: Path, input_shape) -> np.ndarray:
    """An image resized to the spec's W×H with its C channels, values in [0, 1], W×H×C
    (spec order): Pillow when installed, else matplotlib (PNG)."""
    shape = tuple(input_shape)
    if len(shape) != 3 or shape[2] not in (1, 3, 4):
        raise TrainError(f"{path}: images need a W×H×C input with 1, 3 or 4 channels; the spec's "
                         f"input is {format_shape(shape)}", "give .npy or .npz inputs instead")
    width, height, channels = shape
    try:
        from PIL import Image
    except ImportError:
        Image = None
    try:
        if Image is not None:
            with Image.open(path) as im:
                im = im.convert({1: "L", 3: "RGB", 4: "RGBA"}[channels]).resize((width, height))
                a = np.asarray(im, dtype=np.float32) / 255.0
        else:
            import matplotlib.image as mpimg
            a = np.asarray(mpimg.imread(path), dtype=np.float32)
            a = a / 255.0 if a.max() > 1 else a
            if a.shape[:2] != (height, width):
                raise TrainError(f"{path} is {a.shape[1]}×{a.shape[0]}, the spec wants "
                                 f"{width}×{height}", "install Pillow to resize images")
            a = a[..., :3].mean(-1) if channels == 1 and a.ndim == 3 else a
    except TrainError:
        raise
    except Exception as err:  # noqa: BLE001  (Pillow raises several kinds for a bad file)
        raise TrainError(f"cannot read the image {path}: {err}") from None
    a = a.reshape(height, width, channels)        # rows × columns × channels
    return a.transpose(1, 0, 2)                   # → W×H×C, the spec's order


def _array(path: Path) -> np.ndarray:
    arrays = read_arrays(path, ("x",)) if path.suffix.lower() == ".npz" else None
    if arrays is not None:
        a = arrays["x"]
    else:
        try:
            a = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as err:
            raise TrainError(f"cannot read {path}: {err}") from None
        if not isinstance(a, np.ndarray):
            a.close()
            raise TrainError(f"{path} is an .npz archive; name it .npz")
    if not np.issubdtype(a.dtype, np.number) or a.size == 0:
        raise TrainError(f"{path} holds no numeric samples ({a.dtype}, shape {a.shape})")
    return a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32)


def predict(run: Run, paths, top: int = 3) -> list[Prediction]:
    """Predictions of the run's model for every sample of every file in `paths`."""
    objective = Objective(run.config.loss, run.state.get("output_names") or None)
    results = []
    for name, x in read_inputs(paths, run.input_shape):
        with torch.no_grad():
            out = objective.pick(run.model(x))
        classify = objective.class_labels is not None and out.dim() == 2 and out.shape[1] > 1
        if classify:
            rows_sum = out.sum(1)
            probs = out if bool((out >= 0).all() and (rows_sum - 1).abs().max() < 1e-3) \
                else out.softmax(1)
        for i in range(len(x)):
            source = name if len(x) == 1 else f"{name}[{i}]"
            if not classify:
                results.append(Prediction(source, None, None, [], out[i].flatten().tolist()))
                continue
            p, c = probs[i].topk(min(top, probs.shape[1]))
            best = [(int(k), float(v)) for k, v in zip(c, p)]
            results.append(Prediction(source, best[0][0], best[0][1], best,
                                      out[i].tolist()))
    return results
