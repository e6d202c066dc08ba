"""Running a trained run's model on files: images (PNG, JPEG, … through Pillow, or PNG
through matplotlib), .npy arrays and .npz archives (array `x`), each sample fitted to the
spec's input the way training data are."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..layers.shape import FLOAT
from .data import Dataset, fit_to_spec, read_arrays
from .errors import TrainError
from .folders import IMAGE_SUFFIXES, decode
from .layout import torch_input_shape
from .runs import Run
from .transforms import for_run



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
            if getattr(input_shape, "dtype", FLOAT) == FLOAT:     # token ids stay integers
                x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
        else:
            raise TrainError(f"{path}: unknown input kind `{suffix}`",
                             "give images (" + ", ".join(IMAGE_SUFFIXES) + "), .npy or .npz files")
        want = torch_input_shape(input_shape)
        if x.ndim == len(want) or (x.ndim == len(want) - 1 and want[0] == 1 and x.ndim >= 2
                                   and suffix != ".npz" and not _batched(x, want)):
            x = x[None]                   # one sample without its batch axis
        # Token ids (an `of int` input) stay integers; fit_to_spec checks them.
        ids = getattr(input_shape, "dtype", FLOAT) != FLOAT
        x = np.ascontiguousarray(x) if ids else np.ascontiguousarray(x, dtype=np.float32)
        data = fit_to_spec(Dataset(torch.from_numpy(x), torch.zeros(len(x)), path.name, "auto"),
                           input_shape)
        out.append((str(path), data.x))
    return out


def _batched(x, want) -> bool:
    return tuple(x.shape[1:]) in (want[1:], tuple(reversed(want[1:])))


def _image(path: Path, input_shape) -> np.ndarray:
    """An image decoded as training decodes an image folder's, in the spec's W×H×C order."""
    return decode(path, input_shape).transpose(1, 0, 2)


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
    return a


def predict(run: Run, paths, top: int = 3) -> list[Prediction]:
    """Predictions of the run's model for every sample of every file in `paths`."""
    objective = run.objective()
    results = []
    pipeline = for_run(run.config, run.state)       # the run's normalisation, no augmentation
    for name, x in read_inputs(paths, run.input_shape):
        if pipeline is not None:
            x = pipeline.eval(x)
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
