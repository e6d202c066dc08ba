"""Run folders: where a run writes (never over an earlier run unless asked), and reading a
finished run back (its model, checkpoint and settings) for evaluate, predict and compile."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..ir.trainconfig import TrainConfig
from ..layers.shape import Shape
from ..suggest import did_you_mean
from .errors import TrainError


def holds_run(folder: Path) -> bool:
    return (folder / "last.pt").exists() or (folder / "metrics.csv").exists()


def run_folder(out: str | None, name: str, resume: bool, overwrite: bool) -> Path:
    """The folder a run writes to.

    `out` given: that folder; if it holds a run, it is continued (resume), replaced
    (overwrite) or refused. `out` not given: a fresh run takes the first free one of
    runs/NAME, runs/NAME-2, runs/NAME-3, ...; a resumed one continues the latest of them.
    """
    if out is not None:
        folder = Path(out)
        if holds_run(folder) and not resume and not overwrite:
            raise TrainError(f"{folder} holds an earlier run; it is not overwritten",
                             "continue it with --resume, replace it with --overwrite, or "
                             "choose another --out")
        return folder
    base = Path("runs") / name
    taken = [base] + [base.with_name(f"{name}-{i}") for i in range(2, 10_000)]
    if resume:
        numbered = [f for f in base.parent.glob(f"{name}-*") if f.name[len(name) + 1:].isdigit()]
        existing = [f for f in [base, *numbered] if holds_run(f)]
        return max(existing, key=lambda f: 1 if f == base else int(f.name[len(name) + 1:]),
                   default=base)
    for folder in taken:
        if not holds_run(folder):
            return folder
    raise TrainError(f"runs/{name} … runs/{name}-9999 are all taken", "name one with --out")


def restarted_run(out: str | None, name: str) -> Path | None:
    """The run folder a worker restarted by torchrun's elastic agent continues: the folder
    this launch was writing (`out`, else the latest runs/NAME…) when its last.pt was written
    by this same launch (device.launch_id). None for a first start, or when the launch had
    not finished an epoch (it starts afresh)."""
    from . import checkpoint
    from .device import launch_id, restart_count
    if restart_count() == 0 or launch_id() is None:
        return None
    folder = run_folder(out, name, resume=True, overwrite=True)
    if not (folder / "last.pt").is_file():
        return None
    try:
        written_by = checkpoint.load(folder / "last.pt").get("launch")
    except TrainError:
        return None
    return folder if written_by == launch_id() else None


@dataclass
class Run:
    """A finished run read back: its folder, the checkpoint chosen, the model in eval
    mode with those weights, its settings (a TrainConfig) and the spec's input shape."""

    folder: Path
    checkpoint: Path
    model: object
    config: object
    input_shape: tuple
    name: str
    state: dict

    @property
    def classes(self) -> list[str] | None:
        """The class names of the data it was trained on (an image folder's subfolders, a
        CSV's label words), or None when the classes were numbers."""
        return list(self.state.get("classes") or []) or None

    def objective(self):
        """The run's loss (losses.Objective) over its model's named outputs, each read in
        the layout the module returns it in (recorded at training)."""
        from .losses import Objective
        return Objective(self.config.loss, self.state.get("output_names") or None,
                         (self.state.get("module") or {}).get("output_layouts"))

    def class_name(self, label: int) -> str:
        names = self.classes
        return names[label] if names and 0 <= label < len(names) else str(label)


def load_run(path, which: str = "best") -> Run:
    """Read a run folder (or one of its .pt files): the model is rebuilt from the model.py
    that `archlang train` wrote beside the checkpoints, then given the checkpoint's weights.
    TrainError when anything is missing or does not fit."""
    from . import checkpoint
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    ck_path = path if path.is_file() else folder / f"{which}.pt"
    if not path.exists():
        raise TrainError(f"no run at {path}", "name a folder that `archlang train` wrote")
    if not ck_path.is_file():
        raise TrainError(f"{folder} has no {ck_path.name}",
                         "name a folder that `archlang train` wrote (it holds best.pt and last.pt)")
    state = checkpoint.load(ck_path)
    source = folder / "model.py"
    meta = state.get("module") or {}
    if not source.is_file() or "class" not in meta:
        raise TrainError(f"{folder} has no model.py to rebuild the model from",
                         "runs written by `archlang train` hold one; for another run use "
                         "archlang.load(SPEC, weights=CHECKPOINT)")
    model = build_module(source.read_text(encoding="utf-8"), meta["class"])
    load_weights(model, checkpoint.model_state(state), ck_path, checkpoint.trained_for(state))
    config = TrainConfig().merge({k: v for k, v in state.get("config", {}).items()
                                  if k in TrainConfig.__dataclass_fields__})
    # Runs before dtypes were saved took floats.
    shape = Shape(state["input_shape"], state.get("input_dtype"))
    return Run(folder, ck_path, model.eval(), config, shape,
               str(state.get("name", folder.name)), state)


def build_module(source: str, class_name: str):
    """Run generated model source and instantiate `class_name` (no arguments)."""
    namespace: dict = {"__name__": "archlang_run_model"}
    try:
        exec(compile(source, "<model.py>", "exec"), namespace)
        return namespace[class_name]()
    except ModuleNotFoundError as err:   # a plugin's PyTorch module (docs/language.md)
        raise TrainError(f"cannot rebuild the model from model.py: {err}",
                         "it was trained with a plugin: name it again with --plugin (in Python, "
                         "put its folder on sys.path)") from None
    except Exception as err:  # noqa: BLE001  (a damaged model.py; say which and how)
        raise TrainError(f"cannot rebuild the model from model.py: {err}",
                         "the run folder's model.py was changed; train again") from None


def load_weights(model, state: dict, where, owner: str | None = None) -> None:
    """Load a state dict strictly; TrainError naming the first mismatch in the model's
    order (a tensor missing, extra or of another shape, with both shapes) and how many
    more there are, and `owner`, the model the checkpoint was trained for (`trained_for`)."""
    problem = _first_mismatch(model.state_dict(), state)
    if problem is None:
        try:
            model.load_state_dict(state)
            return
        except RuntimeError as err:     # e.g. a dtype PyTorch cannot copy
            problem = str(err).strip().splitlines()[-1].strip()
    raise TrainError(f"the weights in {where} do not fit this model: {problem}",
                     (f"the checkpoint was trained for {owner}; use that spec and model"
                      if owner else "use the spec and model the checkpoint was trained from")) from None


def _first_mismatch(own: dict, state: dict) -> str | None:
    def dims(t) -> str:
        return "×".join(map(str, t.shape)) or "a scalar"
    problems = []
    extra = [key for key in state if key not in own]
    for key, value in own.items():
        if key not in state:
            # A key renamed between the spec and the file: name the checkpoint's nearest one.
            hint = did_you_mean(key, extra)
            problems.append(f"the model's `{key}` ({dims(value)}) is not in the checkpoint"
                            + (f"; the checkpoint has {hint[len('did you mean '):-1]}" if hint else ""))
        elif tuple(state[key].shape) != tuple(value.shape):
            problems.append(f"`{key}` is {dims(state[key])} in the checkpoint but "
                            f"{dims(value)} in the model")
    problems += [f"the checkpoint's `{key}` ({dims(state[key])}) is not in the model"
                 for key in state if key not in own]
    if not problems:
        return None
    more = len(problems) - 1
    return problems[0] + (f" (and {more} more {'difference' if more == 1 else 'differences'})"
                          if more else "")
