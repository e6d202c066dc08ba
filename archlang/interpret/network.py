"""A compiled model with its weights and check's row numbers, opened from a run folder, a
checkpoint or a spec; and one input for it, from a file or the run's data."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..train.errors import TrainError
from .errors import InterpretError, WrongChoice
from .rows import RowMap

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff")


@dataclass
class Network:
    """module: the nn.Module (weights loaded, eval mode); rows: check's row numbers in it;
    input_shape: the spec's (W×H×C); config: the run's training settings (TrainConfig as a
    dict) or None; source: where the weights came from (a checkpoint, or the spec)."""

    module: object
    rows: RowMap
    input_shape: tuple                  # a Shape: its dims and dtype
    config: dict | None
    source: str

    @property
    def name(self) -> str:
        return self.rows.report.name

    @property
    def data(self) -> dict | None:
        """The run's data source (a call dict), or None."""
        return (self.config or {}).get("data")

    def validation(self):
        """The run's validation samples (a train.data.Dataset), split as `archlang train`
        split them: the same source, validation share and seed."""
        from ..train import TrainConfig
        from ..train.data import splits
        if self.config is None:
            raise WrongChoice(f"{self.source} is a spec, not a run: it has no validation data",
                              "train it first: archlang train SPEC --out runs/NAME")
        cfg = TrainConfig().merge({k: v for k, v in self.config.items()
                                   if k in TrainConfig.__dataclass_fields__})
        _, val, _ = splits(cfg, self.input_shape)
        if val is None:
            raise WrongChoice(f"{self.source} was trained without validation data (val_split 0)")
        return val


def open_network(run, spec=None, model: str | None = None, seed: int = 0) -> Network:
    """Open `run`: a run folder (its best.pt), a checkpoint file, or a .arch spec (freshly
    initialised weights, seeded with `seed`). A checkpoint needs its spec: `spec`, else the
    path recorded in the checkpoint (`spec`), else the one .arch file in the run folder.
    Raises InterpretError/TrainError for a user mistake and SpecError for a wrong spec."""
    import torch

    from ..train import checkpoint

    run = Path(run)
    if run.suffix == ".arch" and spec is None:
        spec, ck = run, None
    else:
        ck = checkpoint.load(run)
        spec = Path(spec) if spec is not None else _recorded_spec(run, ck)
    if not Path(spec).is_file():
        raise InterpretError(f"no such spec: {spec}")
    name = model or (ck.get("name") if ck else None)
    report, generated = _compile(spec, name, explicit=model is not None or ck is None)
    from ..backends.torch import load_source
    torch.manual_seed(seed)
    module = load_source(generated, report.name)
    if ck is not None:
        try:
            module.load_state_dict(checkpoint.model_state(ck))
        except RuntimeError as err:
            raise InterpretError(f"the weights in {run} do not fit model `{report.name}` of {spec}",
                                 f"{str(err).splitlines()[1].strip() if len(str(err).splitlines()) > 1 else err}"
                                 "; pass the spec the run was trained from") from None
    module.eval()
    config = ck.get("config") if ck else None
    return Network(module, RowMap(report, generated.maps[report.name]),
                   report.input_shape, config if isinstance(config, dict) else None, str(run))


def _recorded_spec(run: Path, ck: dict) -> Path:
    # `archlang train` records the spec's path under "module" ({"class", "spec", "model"}).
    module = ck.get("module")
    recorded = module.get("spec") if isinstance(module, dict) else ck.get("spec")
    if isinstance(recorded, str) and Path(recorded).is_file():
        return Path(recorded)
    folder = run if run.is_dir() else run.parent
    specs = sorted(folder.glob("*.arch"))
    if len(specs) == 1:
        return specs[0]
    raise WrongChoice(f"{run} does not say which spec it was trained from",
                      "name it: --spec FILE.arch (the spec given to `archlang train`)")


def _compile(spec, name, explicit: bool):
    from ..api import check, select
    from ..backends.torch import generate
    result = check(spec)
    names = [m.name for m in result.models]
    if result.ok and not explicit and name not in names:
        raise WrongChoice(f"the run trained model `{name}`, which {spec} does not define "
                          f"(it defines {', '.join(names) or 'no model'})",
                          "pass the spec the run was trained from, or --model NAME")
    report = select(result, name)
    return report, generate([report], result.path)


def load_input(net: Network, path=None, index: int | None = None):
    """One input as a 1-sample batch in PyTorch layout, fitted to the spec's input shape.

    `path`: an image (png, jpg, …; made grey or RGB to match the spec and resized to its
    W×H), a .npy array (one sample, or samples of which `index` picks one, default 0) or a
    .npz with an `x` array (likewise). Without a path: sample `index` (default 0) of the
    run's data source, or of the embedded digits for a spec without a run.
    """
    from ..train.data import as_dtype, load_data

    if path is None:
        try:
            data = load_data(net.data, net.input_shape)
        except TrainError as err:
            if net.data is not None:
                raise
            raise WrongChoice(f"{net.source} has no data of its own and the embedded digits do "
                              f"not fit: {err.message}",
                              "give an input: --input FILE (an image, or a .npy array of "
                              f"{'×'.join(map(str, net.input_shape))})") from None
        return _pick(data.x, index, f"the data ({data.name})")
    path = Path(path)
    if not path.is_file():
        raise InterpretError(f"no such input file: {path}")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return _image(path, net.input_shape)
    import torch
    x = torch.from_numpy(_array(path))
    as_dtype(x, net.input_shape, str(path))     # floats for token ids: refused with a hint
    one = fit_try(x.unsqueeze(0), net.input_shape)            # the file holds one sample
    if one is not None:
        return one
    picked = fit_try(_pick(x, index, str(path)), net.input_shape) if x.dim() > 1 else None
    if picked is None:
        raise InterpretError(f"{path} holds an array of {'×'.join(map(str, x.shape))}, which is "
                             f"neither one input of {'×'.join(map(str, net.input_shape))} nor a "
                             "stack of them",
                         "save one sample in the spec's order (W×H×C) or PyTorch's (C×H×W)")
    return picked


def fit_try(x, shape):
    """x fitted to the spec shape (see train.data.fit_to_spec), or None if it does not fit."""
    import torch

    from ..train.data import Dataset, fit_to_spec
    try:
        # fit_to_spec gives the spec's element type: floats for an image (uint8 pixels scaled
        # to [0, 1]), int64 token ids for `of int` (floats refused, never cast).
        return fit_to_spec(Dataset(x, torch.zeros(len(x)), "input", "auto"), shape).x
    except TrainError:
        return None


def _pick(x, index, what: str):
    index = 0 if index is None else int(index)
    if not 0 <= index < len(x):
        raise InterpretError(f"{what} has {len(x)} samples; there is no sample {index}",
                             f"use --index between 0 and {len(x) - 1}")
    return x[index:index + 1]


def _array(path: Path):
    import numpy as np
    try:
        if path.suffix.lower() == ".npz":
            with np.load(path, allow_pickle=False) as f:
                if "x" not in f.files:
                    raise InterpretError(f"{path} has no array named x",
                                         f"it holds {', '.join(f.files) or 'nothing'}")
                x = f["x"]
        else:
            x = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise InterpretError(f"cannot read {path}: {err}",
                             "give an image, a .npy array or a .npz with an array x") from None
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_):
        raise InterpretError(f"{path} holds {x.dtype} values, not numbers")
    # Kept in its element type: the spec's input says what it takes (fit_try).
    if x.dtype in (np.uint16, np.uint32, np.uint64):
        return x.astype(np.int64)
    return x if x.dtype == np.bool_ or np.issubdtype(x.dtype, np.integer) else x.astype(np.float32)


def _image(path: Path, shape: tuple):
    import matplotlib.image as mpimg
    import numpy as np
    import torch
    try:
        img = mpimg.imread(path)
    except (OSError, ValueError, SyntaxError) as err:
        raise InterpretError(f"cannot read image {path}: {err}") from None
    img = img.astype(np.float32) / (255.0 if img.dtype == np.uint8 else 1.0)
    if img.ndim == 2:
        img = img[:, :, None]
    img = img[:, :, :3]                                            # drop alpha
    if len(shape) != 3:
        raise InterpretError(f"{path} is an image but the spec's input is {'×'.join(map(str, shape))}",
                             "give a .npy array of that shape instead")
    w, h, c = shape
    if c == 1 and img.shape[2] == 3:
        img = img @ np.array([0.299, 0.587, 0.114], dtype=np.float32)[:, None]  # ITU-R 601 luma
    elif c == 3 and img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    elif c != img.shape[2]:
        raise InterpretError(f"{path} has {img.shape[2]} colour channels; the spec wants {c}")
    x = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))).unsqueeze(0)  # 1×C×H×W
    if tuple(x.shape[2:]) != (h, w):
        x = torch.nn.functional.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
    return x
