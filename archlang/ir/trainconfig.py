"""TrainConfig: every training setting, built from a spec's `train` section and CLI flags.

The schema of a `train` section has its one owner here (its keys, their types and ranges,
the known optimizers, schedules and losses), below both `archlang check`, which diagnoses
a section where it is written (settings.py), and the training engine (archlang/train),
which runs it. Torch-free.

A `train` section arrives as a plain dict whose values are int/float/str/bool, calls
`{"call": NAME, "args": [...], "kwargs": {...}}` or, for `loss`, a Loss (loss.py), e.g.

    {"data": {"call": "mnist", "args": ["data/mnist"], "kwargs": {}},
     "loss": "crossentropy",
     "optimizer": {"call": "Adam", "args": [], "kwargs": {"lr": 0.005}},
     "batch": 1000, "epochs": 20}

Every value is checked here, so the loop never sees a bad one; mistakes raise
`TrainError(message, hint)`.
"""

from __future__ import annotations

import copy
import re

from ..diagnostics import Diagnostic, Problem
from ..records import dataclass, field, fields
from ..suggest import did_you_mean
from .augment import BadStep, augment_steps, normalize_setting
from .loss import LOSSES, Loss, LossTerm, parse_loss


class TrainError(Exception):
    """A problem the user can fix (bad config value, missing data, NaN loss).

    `message` says what went wrong (lower case, no full stop, rustc style); `hint`
    suggests a fix or is None; `diagnostic`, when the mistake has a place in a text (a loss
    expression given as a flag or a string), is the Diagnostic positioned there. The CLI
    prints them and exits; it never shows a traceback.
    """

    def __init__(self, message: str, hint: str | None = None,
                 diagnostic: Diagnostic | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.diagnostic = diagnostic

    @classmethod
    def at(cls, diagnostic: Diagnostic) -> "TrainError":
        """The TrainError of a positioned mistake (a Problem's diagnostic)."""
        return cls(diagnostic.message, diagnostic.help, diagnostic)

    def __str__(self) -> str:
        where = ""
        if self.diagnostic is not None and self.diagnostic.span is not None:
            where = f"\n  --> {self.diagnostic.span.location()}"
        return self.message + where + ("" if self.hint is None else f"\n  = help: {self.hint}")

    def _render_traceback_(self) -> list[str]:
        """IPython/Jupyter show the message and hint instead of the engine's frames."""
        return [f"TrainError: {self}"]


OPTIMIZERS = ("adam", "adamw", "sgd")
AMP_MODES = ("bf16", "fp16", "off")
SCHEDULES = ("constant", "cosine", "step", "onecycle")
# The keyword arguments each schedule takes, with their defaults.
_SCHEDULE_KWARGS = {"constant": {}, "cosine": {}, "step": {"every": 1, "gamma": 0.1},
                    "onecycle": {"pct_start": 0.3}}
_SCHEDULE_ALIASES = {"constant": "constant", "none": "constant", "cosine": "cosine",
                     "step": "step", "steplr": "step", "onecycle": "onecycle",
                     "one_cycle": "onecycle", "onecyclelr": "onecycle"}
# What `--resume` may change: how the rest of the run is executed, not what it computes.
RESUMABLE = ("epochs", "patience", "device", "workers", "out", "resume", "compile",
             "overwrite", "channels_last")
# What is measured and logged, not what is computed: also changeable on resume.
RESUMABLE += ("metrics", "log")
# Validation scores beyond loss and accuracy (train/metrics.py computes them): `top5` is
# any top-k; precision, recall and f1 are macro averages; per_class adds one column per class.
METRICS = ("topK", "precision", "recall", "f1", "per_class")
LOGGERS = ("tensorboard", "none")

# Other spellings of a setting's name (as merge reads them).
_KEY_ALIASES = {"batch_size": "batch", "batchsize": "batch", "lr_schedule": "schedule",
                "scheduler": "schedule"}

# Flux.jl and PyTorch spellings → our names. Flux's `Momentum` is SGD with ρ = 0.9.
_OPTIMIZER_ALIASES = {"adam": "adam", "adamw": "adamw", "sgd": "sgd", "descent": "sgd",
                      "momentum": "sgd"}
_LR_NAMES = ("lr", "eta", "η", "learning_rate")


@dataclass
class TrainConfig:
    """Settings of one training run. Field by field:

    data: the data source as a call dict {"call", "args", "kwargs"} (see `data.load_data`);
        a string is accepted too: "digits", "digits(28)", "mnist(data/mnist)", "x.npz",
        "table.csv", or a folder of images in class subfolders ("data/pets").
    label_column: the label column of CSV data (default: the one named label, target or
        class).
    epochs, batch: epochs to run; samples per step *per process* (PyTorch's DDP convention).
    optimizer: adam | adamw | sgd; lr, weight_decay its main settings; optimizer_kwargs any
        other keyword the torch optimizer takes (momentum, betas, eps, nesterov).
    loss: a Loss (loss.py): crossentropy | mse | localization (book §5.8.1) |
        next_token (a language model's cross-entropy at every position), or for a
        model with several outputs a weighted sum over their names; a string is read as
        that expression by the spec grammar.
    schedule: constant | cosine | step | onecycle, the learning rate per step;
        schedule_kwargs: step's `every` (epochs) and `gamma`, onecycle's `pct_start`.
    patience: stop when the best epoch is this many epochs old (None: never).
    val_split: validation share of the data: a fraction in (0, 1) or a count ≥ 1; 0 = none.
    test_split: a held-out share (fraction or count) kept out of training and validation,
        for `archlang evaluate`; sources with their own test files (mnist's t10k) use those.
    train_size: cap on training samples after the split (the book: 5,000 and 5,000).
    seed: seeds the split, the per-epoch shuffles and the torch/numpy/python RNGs (the
        caller seeds before building the model: `seed_everything`).
    device: auto (cuda if available) | cpu | cuda | cuda:N.
    amp: bf16 | fp16 (with a GradScaler) | off. channels_last, compile: speed switches.
    workers: DataLoader processes that decode samples read from disk (an image folder, a
        Dataset given to `fit`) or gather batches when training on a GPU from host memory
        (data too big for the GPU); in-memory batches on the CPU need none (0).
    out: output folder (checkpoints, metrics.csv, curves.png); None → the first free one
        of runs/<name>, runs/<name>-2, ...; an `out` holding a run is refused unless
        `overwrite` (or `resume`). A spec's `out` arrives resolved inside the spec's folder
        (settings.py refuses one outside); the user's flag or argument may name any folder.
    resume: False, True (out/last.pt) or a checkpoint path: continue exactly where it stopped.
    freeze: parameters kept fixed; see `parse_freeze` ("1:4", "1-4", "conv1,fc", "2").
    init_from: a checkpoint (or run folder) whose same-name, same-shape weights are loaded
        before training (transfer learning, book §5.4.4).
    metrics: validation scores computed each epoch beyond loss and accuracy, from METRICS
        (`["top5", "f1"]`; a string "top5,f1" is split); they need class targets.
    log: "tensorboard" writes TensorBoard event files to out/tensorboard; None: none.
    fsdp: under torchrun, shard the model with FSDP2 (`fully_shard`) instead of replicating
        it with DDP; checkpoints then hold the weights and optimizer state as shards too.
    augment: the random transforms of each training sample, in order, as canonical call
        dicts (augment.py: random_crop, flip, vflip, rotate, color_jitter,
        random_resized_crop); evaluation and prediction skip them.
    normalize: None | "auto" (each channel's mean and std measured on the training split)
        | {"mean": [...], "std": [...]}; applied in training, evaluation and prediction.
    """

    data: dict | None = None
    label_column: str | None = None
    epochs: int = 10
    batch: int = 128
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    optimizer_kwargs: dict = field(default_factory=dict)
    loss: Loss = field(default_factory=lambda: DEFAULT_LOSS)
    schedule: str = "constant"
    schedule_kwargs: dict = field(default_factory=dict)
    patience: int | None = None
    val_split: float | int = 0.2
    test_split: float | int = 0
    train_size: int | None = None
    seed: int = 0
    device: str = "auto"
    amp: str = "off"
    channels_last: bool = False
    compile: bool = False
    workers: int = 0
    out: str | None = None
    resume: bool | str = False
    freeze: str | None = None
    init_from: str | None = None
    overwrite: bool = False
    metrics: list = field(default_factory=list)
    log: str | None = None
    # Distributed training (train/sharding.py).
    fsdp: bool = False
    augment: list = field(default_factory=list)
    normalize: str | dict | None = None

    def __post_init__(self):
        if not isinstance(self.loss, Loss):       # TrainConfig(**config.to_dict())
            self.loss = to_loss(self.loss)

    @classmethod
    def from_section(cls, section: dict) -> "TrainConfig":
        """Build a config from a spec's `train` section (see the module docstring)."""
        if not isinstance(section, dict):
            raise TrainError(f"the train section must be a mapping, got {type(section).__name__}")
        return cls().merge(section)

    def merge(self, flags: dict) -> "TrainConfig":
        """A copy with `flags` applied on top; a flag whose value is None is ignored,
        so command-line flags that were not given leave the spec's values alone."""
        values = self._values()
        for key, value in flags.items():
            if value is None:
                continue
            key = key.replace("-", "_")
            if key == "optimizer":
                name, opt_kwargs = _optimizer(value)
                values["optimizer"] = name
                for lr_name in _LR_NAMES:
                    if lr_name in opt_kwargs:
                        values["lr"] = opt_kwargs.pop(lr_name)
                if "weight_decay" in opt_kwargs:
                    values["weight_decay"] = opt_kwargs.pop("weight_decay")
                values["optimizer_kwargs"] = opt_kwargs
            elif _KEY_ALIASES.get(key, key) == "schedule":
                values["schedule"], values["schedule_kwargs"] = _schedule(value)
            elif _KEY_ALIASES.get(key) == "batch":
                values["batch"] = value
            elif key in values:
                values[key] = value
            else:
                raise TrainError(f"unknown train setting `{key}`",
                                 did_you_mean(key, list(values)) or
                                 "known settings: " + ", ".join(values))
        return _validated(values)

    def _values(self) -> dict:
        """The fields, copied (a Loss is immutable and keeps its spans: not copied)."""
        return {f.name: getattr(self, f.name) if f.name == "loss" else
                copy.deepcopy(getattr(self, f.name)) for f in fields(self)}

    def to_dict(self) -> dict:
        """Plain dict (str/int/float/bool/None/list/dict only), safe for checkpoints; the
        loss as its canonical text."""
        return {**self._values(), "loss": str(self.loss)}


DEFAULT_LOSS = Loss((LossTerm(1.0, "crossentropy"),))


def parse_freeze(text: str | None) -> list[int | str]:
    """Parse a `freeze` setting into 1-based layer indices and parameter-name prefixes.

    Comma-separated items, each one of:
      "3"      the model's 3rd top-level layer (`list(model.named_children())[2]`);
      "1:4"    layers 1 to 4, both ends included (Julia's `1:4`; `model[1:4]` in Flux);
      "1-4"    the same range, for shells where `:` is awkward;
      "conv1"  every parameter whose name is `conv1` or starts with `conv1.`.
    Layers count from 1 as in the spec and Flux, and include parameter-free layers (ReLU,
    pooling), so `1:4` of the book's model2 is conv, relu, pool, conv.
    """
    if text is None or str(text).strip() == "":
        return []
    items: list[int | str] = []
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(r"(\d+)\s*(?:[:\-]\s*(\d+))?", part)
        if m is None:
            items.append(part)
            continue
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        if lo < 1 or hi < lo:
            raise TrainError(f"bad freeze range `{part}`",
                             "layers count from 1 and ranges go up: freeze = \"1:4\"")
        items.extend(range(lo, hi + 1))
    return items


def parse_call(text: str) -> dict:
    """'mnist(data/mnist)' → {"call": "mnist", "args": ["data/mnist"], "kwargs": {}}.

    Arguments are split on commas; integers and floats are converted, `k=v` become kwargs.
    A bare name gives no arguments; a path ending in .npz means npz(path), one ending in
    .csv csv(path), .txt text(path), .tsv text_classes(path), any other path (with a
    folder separator) folder(path), a folder of images. (A bare name that is no source but a folder is read as one by the engine.)
    """
    text = text.strip()
    if "(" not in text:
        for suffix, call in ((".npz", "npz"), (".csv", "csv"), (".txt", "text"),
                             (".tsv", "text_classes")):
            if text.lower().endswith(suffix):
                return {"call": call, "args": [text], "kwargs": {}}
        if "/" in text or "\\" in text or text.startswith(("~", ".")):
            return {"call": "folder", "args": [text], "kwargs": {}}
    m = re.fullmatch(r"([A-Za-z_][\w]*)\s*(?:\((.*)\))?", text, flags=re.S)
    if m is None:
        raise TrainError(f"cannot read the data source `{text[:80]}`",
                         "write a name and optional arguments: digits, digits(28), "
                         "mnist(data/mnist), a path ending in .npz or .csv, or a folder")
    args, kwargs = [], {}
    for raw in (m.group(2) or "").split(","):
        raw = raw.strip()
        if not raw:
            continue
        key, eq, val = raw.partition("=")
        if eq:
            kwargs[key.strip()] = _literal(val.strip())
        else:
            args.append(_literal(raw))
    return {"call": m.group(1), "args": args, "kwargs": kwargs}


def _literal(text: str):
    text = text.strip().strip("\"'")
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def _call_name(value) -> tuple[str, list, dict]:
    if isinstance(value, dict) and "call" in value:
        return str(value["call"]), list(value.get("args", [])), dict(value.get("kwargs", {}))
    if isinstance(value, str):
        call = parse_call(value)
        return call["call"], call["args"], call["kwargs"]
    # The type, not the value: a mistaken numpy array must not fill the screen.
    raise TrainError(f"expected a name or a call, got a {type(value).__name__}")


def _optimizer(value) -> tuple[str, dict]:
    name, args, kwargs = _call_name(value)
    key = name.lower()
    if key not in _OPTIMIZER_ALIASES:
        raise TrainError(f"unknown optimizer `{name}`",
                         f"use one of {', '.join(OPTIMIZERS)}" + _close(key, _OPTIMIZER_ALIASES))
    if key == "momentum":
        kwargs.setdefault("momentum", 0.9)
    if args:  # Flux's Adam(0.005): the first positional argument is the learning rate
        kwargs.setdefault("lr", args[0])
        if len(args) > 1:
            raise TrainError(f"`{name}` takes one positional argument (the learning rate)",
                             "pass the others by keyword, e.g. Adam(0.001, betas=...)")
    return _OPTIMIZER_ALIASES[key], kwargs


def _validated(v: dict) -> TrainConfig:
    """Coerce and check every field; raise TrainError on the first bad one."""
    if v["data"] is not None:
        name, args, kwargs = _call_name(v["data"])
        v["data"] = {"call": name, "args": args, "kwargs": kwargs}
    v["epochs"] = _int(v, "epochs", 1)
    v["batch"] = _int(v, "batch", 1)
    v["seed"] = _int(v, "seed", 0)
    v["workers"] = _int(v, "workers", 0)
    if v["train_size"] is not None:
        v["train_size"] = _int(v, "train_size", 1)
    v["lr"] = _float(v, "lr", positive=True)
    v["weight_decay"] = _float(v, "weight_decay")
    v["loss"] = to_loss(v["loss"])
    v["val_split"] = _val_split(v["val_split"])
    v["test_split"] = _val_split(v["test_split"], "test_split")
    if v["patience"] is not None:
        v["patience"] = _int(v, "patience", 1)
    if v["schedule"] not in SCHEDULES or not isinstance(v["schedule_kwargs"], dict):
        v["schedule"], v["schedule_kwargs"] = _schedule(v["schedule"])
    amp = v["amp"]
    amp = {True: "bf16", False: "off"}.get(amp, amp) if isinstance(amp, bool) else str(amp).lower()
    if amp not in AMP_MODES:
        raise TrainError(f"unknown amp mode `{v['amp']}`", "use bf16, fp16 or off")
    v["amp"] = amp
    device = str(v["device"]).lower()
    if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", device):
        raise TrainError(f"unknown device `{v['device']}`", "use auto, cpu, cuda or cuda:N")
    v["device"] = device
    for key in ("channels_last", "compile", "overwrite"):
        if not isinstance(v[key], bool):
            v[key] = _bool(key, v[key])
    if not isinstance(v["fsdp"], bool):
        v["fsdp"] = _bool("fsdp", v["fsdp"])
    if isinstance(v["resume"], str) and v["resume"].lower() in ("true", "false", ""):
        v["resume"] = v["resume"].lower() == "true"
    if v["freeze"] is not None:
        v["freeze"] = str(v["freeze"])
        parse_freeze(v["freeze"])  # fail early on a bad range
    for key in ("out", "init_from", "label_column"):
        if v[key] is not None:
            v[key] = str(v[key])
    v["metrics"] = parse_metrics(v["metrics"])
    v["log"] = _logger(v["log"])
    try:
        v["augment"] = augment_steps(v["augment"])
        v["normalize"] = normalize_setting(v["normalize"])
    except BadStep as bad:
        raise TrainError(bad.message, bad.hint) from None
    except Problem as p:
        raise TrainError.at(p.diagnostic) from None
    return TrainConfig(**v)


def parse_metrics(value) -> list[str]:
    """A `metrics` setting ("top5, f1", ["top5", "f1"], a spec's `(top5, f1)`) as canonical
    names in order without repeats: `topK` (K ≥ 1), precision, recall, f1, per_class."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise TrainError(f"`metrics` must be a list of names, got {value!r}",
                         "e.g. metrics = (top5, f1)")
    names: list[str] = []
    for item in items:
        word = str(item).strip().lower().replace("-", "_")
        if not word:
            continue
        top = re.fullmatch(r"top_?(\d+)(?:_?acc(?:uracy)?)?", word)
        if top:
            word = f"top{int(top.group(1))}"
            if int(top.group(1)) < 1:
                raise TrainError(f"bad metric `{item}`: top-k needs k ≥ 1", "e.g. top5")
        else:
            word = {"f1_score": "f1", "perclass": "per_class", "per_class_accuracy": "per_class",
                    "f": "f1"}.get(word, word)
            if word not in METRICS:
                raise TrainError(f"unknown metric `{item}`",
                                 f"use one of {', '.join(METRICS)} (topK: top5, top3, ...)"
                                 + _close(word, METRICS))
        if word not in names:
            names.append(word)
    return names


def _logger(value) -> str | None:
    if value is None or value is False:
        return None
    word = str(value).strip().lower()
    if word not in LOGGERS:
        raise TrainError(f"unknown log `{value}`", "use log = tensorboard (or none)"
                         + _close(word, LOGGERS))
    return None if word == "none" else word


def _int(v: dict, key: str, least: int) -> int:
    value = v[key]
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TrainError(f"`{key}` must be an integer, got {value!r}")
    try:
        number = int(value) if not isinstance(value, float) or value.is_integer() else None
    except ValueError:
        number = None
    if number is None or number < least:
        raise TrainError(f"`{key}` must be an integer ≥ {least}, got {value!r}")
    return number


def _float(v: dict, key: str, positive: bool = False) -> float:
    try:
        number = float(v[key])
    except (TypeError, ValueError):
        raise TrainError(f"`{key}` must be a number, got {v[key]!r}") from None
    if number != number or number < 0 or (positive and number == 0):
        raise TrainError(f"`{key}` must be {'> 0' if positive else '≥ 0'}, got {v[key]!r}")
    return number


def _val_split(value, key: str = "val_split") -> float | int:
    if isinstance(value, bool):
        raise TrainError(f"`{key}` must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TrainError(f"`{key}` must be a number, got {value!r}") from None
    if 0 <= number < 1:
        return number
    if number >= 1 and number.is_integer():
        return int(number)
    raise TrainError(f"`{key}` must be a fraction in [0, 1) or a whole count, got {value!r}",
                     f"{key} = 0.2 keeps a fifth; {key} = 5000 keeps 5,000 samples")


def to_loss(value) -> Loss:
    """A loss setting as a Loss: one already lowered (from a spec), a string read by the
    spec grammar (a flag, a Python argument, a checkpoint's record), or a call dict
    (`{"call": "localization", "args": ["box", "cls"]}`, the form of other settings)."""
    if isinstance(value, Loss):
        return value
    if isinstance(value, dict) and "call" in value:
        if value.get("kwargs") or not all(isinstance(a, str) for a in value.get("args", [])):
            raise TrainError(f"the arguments of the loss `{value['call']}` must be output names",
                             "e.g. loss = localization(box, cls)")
        args = value.get("args", [])
        value = value["call"] + (f"({', '.join(args)})" if args else "")
    if not isinstance(value, str):
        raise TrainError(f"`loss` must be a name or an expression, got {value!r}",
                         f"use one of {', '.join(LOSSES)}")
    try:
        return parse_loss(value)
    except Problem as p:
        raise TrainError.at(p.diagnostic) from None


def _schedule(value) -> tuple[str, dict]:
    """'cosine', 'step(every=5, gamma=0.5)', {"call": "step", ...} → (name, kwargs)."""
    name, args, kwargs = _call_name(value)
    key = name.lower()
    if key not in _SCHEDULE_ALIASES:
        raise TrainError(f"unknown learning-rate schedule `{name}`",
                         f"use one of {', '.join(SCHEDULES)}" + _close(key, _SCHEDULE_ALIASES))
    key = _SCHEDULE_ALIASES[key]
    allowed = _SCHEDULE_KWARGS[key]
    if len(args) > len(allowed):
        raise TrainError(f"`{key}` takes at most {len(allowed)} arguments ({', '.join(allowed)})")
    merged = dict(allowed)
    merged.update(zip(allowed, args))
    for k, v in kwargs.items():
        if k not in allowed:
            raise TrainError(f"`{key}` has no setting `{k}`",
                             f"it takes {', '.join(allowed)}" if allowed else "it takes none")
        merged[k] = v
    if key == "step":
        merged["every"] = _int(merged, "every", 1)
        merged["gamma"] = _float(merged, "gamma", positive=True)
    if key == "onecycle":
        merged["pct_start"] = _float(merged, "pct_start", positive=True)
        if merged["pct_start"] >= 1:
            raise TrainError("`pct_start` must be below 1 (the warm-up share of the steps)")
    return key, merged


def resumed(saved: dict, wanted: "TrainConfig", given=None) -> tuple["TrainConfig", list[str]]:
    """The config a resumed run continues with: the checkpoint's `saved` settings, with only
    the RESUMABLE ones taken from `wanted`; and one warning per other setting that the user
    gave (`given`: the names of the flags or arguments passed; None: any setting) whose
    value differs from the saved run's (it is ignored, and not recorded). A setting the user
    did not give (a default, the spec's section) is the saved run's without a word."""
    base = TrainConfig().to_dict()
    base.update({k: v for k, v in saved.items() if k in base})
    warnings = []
    current = wanted.to_dict()
    named = None if given is None else {_KEY_ALIASES.get(k, k) for k in
                                        (str(g).replace("-", "_") for g in given)}
    for key, value in current.items():
        if key in RESUMABLE:
            base[key] = value
        elif value != base[key]:
            parent = key.removesuffix("_kwargs")
            if named is not None and parent not in named:
                continue          # not given by the user: nothing of theirs is ignored
            if parent != key and current[parent] != base[parent]:
                continue          # said with its schedule or optimizer
            flag, kept = "--" + parent.replace("_", "-"), base[key]
            if parent != key:
                value, kept = f"{current[parent]}{value}", f"{base[parent]}{kept}"
            warnings.append(f"{flag} {_show(value)} ignored: the resumed run keeps its "
                            f"{parent} = {_show(kept)}")
    return _validated(base), warnings


def _show(value) -> str:
    if isinstance(value, list) and all(isinstance(v, dict) and "call" in v for v in value):
        return "(" + ", ".join(_show(v) for v in value) + ")"     # augment's steps
    if isinstance(value, dict) and "call" in value:
        args = [str(a) for a in value.get("args", [])] + \
            [f"{k}={v}" for k, v in value.get("kwargs", {}).items()]
        return value["call"] + (f"({', '.join(args)})" if args else "")
    return str(value)


def _bool(key: str, value) -> bool:
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
        return value.lower() in ("true", "yes", "1")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise TrainError(f"`{key}` must be true or false, got {value!r}")


def _close(word: str, names) -> str:
    """` (did you mean `x`?)` after a list of choices, or nothing."""
    close = did_you_mean(word, names)
    return f" ({close})" if close else ""
