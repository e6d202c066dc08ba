"""The sizes a data source's samples have of themselves, which `archlang train` (and `fit`)
give to a model's named input sizes (`model unet(x: W×H×1)`) that `--size` does not.

A source's *natural* shape, in the spec's order (W×H×C, L×C, L, F), read without loading
the data: MNIST's IDX header (28×28×1), an image folder's pictures (their most common size
among up to SAMPLED files), a CSV table's feature columns (784 = W·H·1: W = H = 28 for
`x: S×S×1`), an .npz array's header, `digits(S)`, `mnist1d(length=L)`, the longest text of
`text_classes`. Sources that fit themselves to any size are *flexible*: `digits` without a
size, `localization`, `shifted_digits` (their images are drawn at the model's size) and
`text_classes` (texts padded or cut): where their own size is outside the model's valid
set, the nearest valid size is taken. A text read in language-model windows (`text`, `kjv`)
has no length of its own: the model's largest valid length is taken (a GPT's position
table) when its set is bounded, else `--size` must give it.

The binding is checked afterwards like `--size` (check's E0315 names the valid set).
"""
from __future__ import annotations

import csv
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..check import _nearest as nearest
from ..layers.layout import spec_order
from ..sizes import describe
from ..symbolic import SymInt
from .errors import TrainError
from .layout import format_shape

SAMPLED = 16            # image files whose size is read to find a folder's size


@dataclass(frozen=True)
class Natural:
    """What a source's samples are, in the spec's order: `readings`, the shapes they may be
    (an .npz array of C×H×W or W×H×C, with or without a channel axis: several), best first;
    `what`: where they come from, in words; `flexible`: the source fits itself to any size.
    `flat`: a row of this many values (a CSV table), shaped to the spec's input."""

    readings: tuple[tuple[int, ...], ...]
    what: str
    flexible: bool = False
    flat: int | None = None


@dataclass(frozen=True)
class Bound:
    """Named sizes taken from the data: `sizes` ({"W": 28, "H": 28}) and `source`, where
    they came from ("mnist: 28×28×1 samples")."""

    sizes: dict
    source: str

    def lines(self, found=None) -> list[str]:
        """`sizes from the data (mnist: 28×28×1 images): W = 28, H = 28`, and a note for each
        size where a strided window drops a row or column (in *runs*, not in *exact*;
        `found`: the model's sizes.InputSizes)."""
        out = [f"sizes from the data ({self.source}): "
               + ", ".join(f"{n} = {v}" for n, v in self.sizes.items())]
        for n, v in self.sizes.items():
            exact = found.variables[n].exact if found is not None else None
            if exact is not None and v not in exact and exact.smallest() is not None:
                out.append(f"note: at {n} = {v} a strided window drops a row or column of the "
                           f"input; none is dropped at {describe(n, exact.pieces())}")
        return out


def from_data(diagnostic, bound: Bound | None):
    """E0315 (a size outside the valid set) for a size the data gave: with a note saying so."""
    name = diagnostic.label.partition(" = ")[0]
    if bound is None or diagnostic.code != "E0315" or name not in bound.sizes:
        return diagnostic
    return diagnostic.with_note(f"{name} = {bound.sizes[name]} comes from the data "
                                f"({bound.source}); --size {name}=N trains at another size "
                                "where the data can be resized (image folders, digits "
                                "without a size)")


def pattern_of(shape) -> tuple:
    """A model input's shape as a pattern: ints, and the names of its named sizes."""
    return tuple(str(d) if isinstance(d, SymInt) else int(d) for d in shape)


def bind_from_data(report, call: dict | None, data=None, given: dict | None = None) -> Bound:
    """The named sizes of a checked model's (only) input that `given` leaves open, taken from
    the data: the source `call` (as --data names it; None: the embedded digits) or `data`
    (what `fit` was given, data.from_python's). Raises TrainError when the data cannot say
    (a text read in windows and an unbounded set, a CSV row of W·H values with W and H both
    open, samples of another rank)."""
    given = given or {}
    shape = report.inputs[0][1]
    pattern = tuple(given.get(d, d) if isinstance(d, str) else d for d in pattern_of(shape))
    names = list(dict.fromkeys(d for d in pattern if isinstance(d, str)))
    if not names:
        return Bound({}, "")
    valid = {n: report.input_sizes.variables[n].runs for n in names}
    nat = natural(call, pattern, data)
    if nat is None:
        return _largest(names, valid, _call_name(call))
    sizes = _unify(pattern, nat)
    if nat.flexible:
        sizes = {n: v if v in valid[n] else nearest(valid[n], v) for n, v in sizes.items()}
    return Bound(sizes, nat.what)


def natural(call: dict | None, pattern: tuple, data=None) -> Natural | None:
    """The natural shape of the source `call` or of `data`; None when it has none."""
    if data is not None:
        return _of_python(data)
    from .data import _as_folder
    call = _as_folder(call or {"call": "digits", "args": [], "kwargs": {}})
    name = call["call"].lower()
    args, kwargs = list(call.get("args", [])), dict(call.get("kwargs", {}))

    def arg(i: int, key: str, default=None):
        return args[i] if len(args) > i else kwargs.get(key, default)
    if name in ("digits", "localization", "shifted_digits"):
        own = {"digits": 8, "localization": 32, "shifted_digits": 28}[name]
        size = arg(0, "size")
        flexible = size is None
        size = own if size is None else _whole(size, name)
        made = "resampled" if name == "digits" else "drawn"
        what = f"{name}: {size}×{size}×1 images" + (f", {made} at a size the model takes"
                                                    if flexible else "")
        return Natural(((size, size, 1),), what, flexible)
    if name in ("mnist", "fashion_mnist", "fashionmnist"):
        from .idx import find_idx, idx_dims
        folder = arg(0, "folder")
        if folder is None:
            return None                         # the source says it needs a folder
        dims = idx_dims(find_idx(folder, "train-images-idx3-ubyte"))
        if len(dims) != 3:
            return None                         # mnist() says what is wrong with the file
        return Natural(((dims[2], dims[1], 1),), f"{name}: {dims[2]}×{dims[1]}×1 images")
    if name == "mnist5k":
        return Natural(((28, 28, 1),), "mnist5k: 28×28×1 images")
    if name == "mnist1d":
        length = _whole(arg(1, "length", 40), name)
        return Natural(((length, 1), (length,)), f"mnist1d: signals of {length}×1")
    if name == "npz":
        from .data import npz_shape
        path = arg(0, "path")
        if path is None:
            return None
        have = npz_shape(path)[1:]
        return Natural(_array_readings(have, arg(1, "layout", "auto")),
                       f"{Path(path).name}: x of {'×'.join(map(str, have))} per sample")
    if name == "csv":
        path = arg(0, "path")
        if path is None:
            return None
        width = _csv_width(Path(path)) - 1               # the label column aside
        return Natural((), f"{Path(path).name}: {width} values per row", flat=width)
    if name == "folder":
        path = arg(0, "path")
        return None if path is None else _folder(Path(path), pattern)
    if name == "text_classes":
        path = arg(0, "path")
        if path is None:
            return None
        return _longest_text(Path(path), arg(1, "level", "char"))
    return None                                 # text, kjv: windows of the model's length


# --- the sources ------------------------------------------------------------------------

def _whole(value, source: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 1 or \
            (isinstance(value, float) and not value.is_integer()):
        raise TrainError(f"{source}: a size must be a whole number ≥ 1, got {value!r}")
    return int(value)


def _array_readings(have: tuple, layout: str = "auto") -> tuple:
    """The spec-order shapes an array's samples of shape `have` may be: PyTorch's order
    (C×H×W), the spec's (W×H×C), and for H×W greyscale images a channel of 1 added."""
    torch_reading = tuple(spec_order(have)) if len(have) > 1 else tuple(have)
    out = {"torch": [torch_reading], "spec": [tuple(have)]}.get(layout, [torch_reading, tuple(have)])
    if len(have) == 2:                  # images without their channel axis
        out += [(have[1], have[0], 1)] if layout != "spec" else [(have[0], have[1], 1)]
    flat = (math.prod(have),)
    return tuple(dict.fromkeys(out + [flat]))


def _of_python(data) -> Natural | None:
    """`fit`'s own data: arrays (either order, as .npz files), or a Dataset or DataLoader
    whose samples are in PyTorch's order."""
    have = tuple(int(n) for n in data.sample_shape)
    layout = getattr(data, "layout", "torch")
    return Natural(_array_readings(have, "torch" if layout == "torch" else layout),
                   f"{data.name}: samples of {'×'.join(map(str, have))}")


def _csv_width(path: Path) -> int:
    if not path.is_file():
        raise TrainError(f"no such data file: {path}")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            for row in csv.reader(f):
                if any(cell.strip() for cell in row):
                    return len(row)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise TrainError(f"cannot read {path}: {err}") from None
    raise TrainError(f"{path} holds no samples", "write a header row, then one row per sample")


def _folder(root: Path, pattern: tuple) -> Natural:
    """The most common size of up to SAMPLED images of the folder (its train/ part), spread
    over its files; the channels are the spec's (images are converted to them)."""
    from .folders import image_folder, image_size
    channels = pattern[-1] if len(pattern) == 3 and isinstance(pattern[-1], int) else 3
    files = image_folder(root, (1, 1, channels if channels in (1, 3, 4) else 3), "train").items.paths
    step = max(1, len(files) // SAMPLED)
    picked = files[::step][:SAMPLED]
    sizes = Counter(image_size(p) for p in picked)
    (w, h), count = sizes.most_common(1)[0]
    part = f"{root.name}/train" if (root / "train").is_dir() else root.name
    what = f"{part}: {w}×{h} images"
    if count < len(picked):
        what += (f" ({count} of the {len(picked)} read; the others are resized to it)")
    return Natural(((w, h, channels),), what)


def _longest_text(path: Path, level: str) -> Natural:
    from .text import read_text
    lengths = [len(body.encode("utf-8")) if level == "byte" else len(body)
               for line in read_text(path).splitlines() if line.strip()
               for _, _, body in [line.partition("\t")]]
    longest = max(lengths, default=1) or 1
    return Natural(((longest,),), f"{path.name}: texts of up to {longest} "
                   f"{'bytes' if level == 'byte' else 'characters'}, padded or cut", True)


# --- binding --------------------------------------------------------------------------------

def _unify(pattern: tuple, nat: Natural) -> dict:
    """The names of `pattern` bound by the first reading that fits it: same rank, equal
    numbers where the pattern has numbers, one value per name. A reading whose numbers
    differ still binds the names (the data's own check then says what differs)."""
    if nat.flat is not None:
        return _from_flat(pattern, nat)
    fits = [r for r in nat.readings if len(r) == len(pattern)]
    for strict in (True, False):
        for reading in fits:
            sizes = _match(pattern, reading, strict)
            if sizes is not None:
                return sizes
    shown = " or ".join(format_shape(r) for r in nat.readings[:2])
    raise TrainError(f"the data ({nat.what}) give samples of {shown}, which cannot be read as "
                     f"the spec's input {_pattern_text(pattern)}",
                     "give the sizes: --size " + ",".join(f"{n}=N" for n in _names(pattern)))


def _match(pattern: tuple, reading: tuple, strict: bool) -> dict | None:
    sizes: dict = {}
    for want, have in zip(pattern, reading):
        if isinstance(want, str):
            if sizes.setdefault(want, have) != have:
                return None                     # `S×S` and a 28×32 sample
        elif strict and want != have:
            return None
    return sizes


def _from_flat(pattern: tuple, nat: Natural) -> dict:
    """A row of `nat.flat` values as the spec's input: the one open name's value (a repeated
    name: the root, 784 for S×S×1 is S = 28)."""
    known = math.prod(d for d in pattern if isinstance(d, int))
    names = _names(pattern)
    power = sum(1 for d in pattern if isinstance(d, str))
    rest, left = divmod(nat.flat, known)
    value = round(rest ** (1 / power)) if not left and power else 0
    if len(names) != 1 or value < 1 or value ** power != rest:
        why = (f"{len(names)} sizes ({', '.join(names)}) cannot all be read from it"
               if len(names) > 1 else f"it is no value of {_pattern_text(pattern)}")
        raise TrainError(f"the data ({nat.what}) fix the product of the input's sizes, and "
                         f"{why}", "give the sizes: --size " + ",".join(f"{n}=N" for n in names))
    return {names[0]: value}


def _largest(names: list[str], valid: dict, source: str) -> Bound:
    """A source with no size of its own: each name's largest valid size, where its set is
    bounded (a language model's context: its position table)."""
    sizes = {}
    for n in names:
        pieces = valid[n].pieces()
        if not pieces or any(p["max"] is None for p in pieces):
            raise TrainError(f"the data ({source}) have no size of their own for {n}, and the "
                             f"model takes {n} of any size from {valid[n].smallest() or 1}",
                             f"give it: --size {n}=N (e.g. the context length to train at)")
        sizes[n] = max(p["max"] for p in pieces)
    return Bound(sizes, f"{source}, at the model's largest "
                        f"{'size' if len(sizes) == 1 else 'sizes'}")


def _names(pattern: tuple) -> list[str]:
    return list(dict.fromkeys(d for d in pattern if isinstance(d, str)))


def _pattern_text(pattern: tuple) -> str:
    return "×".join(map(str, pattern))


def _call_name(call: dict | None) -> str:
    if call is None:
        return "digits"
    args = call.get("args") or []
    return call["call"] + (f"({args[0]})" if args else "")
