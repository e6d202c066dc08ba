"""Transfer learning: load matching weights from a checkpoint (`init_from`) and freeze
parameters (`freeze`), as in the book's §5.4.4 (reuse trained convolutions, retrain the
dense layers)."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ..ir.trainconfig import parse_freeze
from ..suggest import did_you_mean
from . import checkpoint
from .errors import TrainError


def init_from(model: nn.Module, path) -> tuple[list[str], list[str]]:
    """Copy into `model` every tensor of the checkpoint at `path` (a file or run folder)
    whose name and shape match one of the model's; the rest of the model keeps its values.
    Returns (loaded names, skipped notes such as 'fc.weight: shape 10×400 ≠ 10×256')."""
    source = checkpoint.model_state(checkpoint.load(path))
    target = model.state_dict()
    loaded, skipped, update = [], [], {}
    for name, value in target.items():
        if name not in source:
            skipped.append(f"{name}: not in the checkpoint")
        elif source[name].shape != value.shape:
            skipped.append(f"{name}: shape {_dims(source[name].shape)} in the checkpoint, "
                           f"{_dims(value.shape)} here")
        else:
            update[name] = source[name]
            loaded.append(name)
    if not loaded:
        raise TrainError(f"init_from {path}: no weight matches this model by name and shape",
                         "was the checkpoint trained from a related spec?")
    model.load_state_dict(update, strict=False)
    return loaded, skipped


@dataclass(frozen=True)
class LayerRow:
    """One row of `archlang check`'s table: `index` its number (None for a block or repeat
    row), `name` the compiled module's attribute path for it (None when it has no module,
    e.g. relu or flatten), `label` the layer as check prints it, `params` its parameters."""

    index: int | None
    name: str | None
    label: str
    params: int


@dataclass
class Frozen:
    """What `freeze` froze: the parameter names, and the rows (check's terms) they belong to."""

    parameters: list[str]
    rows: list[str]
    total: int
    count: int

    def __bool__(self) -> bool:
        return bool(self.parameters)

    def __iter__(self):
        return iter(self.parameters)

    def __len__(self) -> int:
        return len(self.parameters)

    def report(self) -> str:
        return (f"frozen: {len(self.rows)} {'layer' if len(self.rows) == 1 else 'layers'} "
                f"({self.count:,} of {self.total:,} parameters): " + "; ".join(self.rows))


def freeze(model: nn.Module, spec: str | None, layers: list[LayerRow] | None = None) -> Frozen:
    """Set requires_grad=False on the parameters `spec` selects (see config.parse_freeze).

    With `layers` (check's rows), numbers are check's row numbers and a name is a row's
    attribute path (a layer, or a block's: every parameter inside it); without, numbers
    count the module's top-level children. TrainError for an unknown number or name, and
    when every parameter would be frozen (before any training).
    """
    items = parse_freeze(spec)
    total = sum(p.numel() for p in model.parameters())
    if not items:
        return Frozen([], [], total, 0)
    params = dict(model.named_parameters())
    modules = dict(model.named_modules())
    chosen: list[tuple[str, str]] = []       # (attribute prefix, how check shows it)
    if layers is not None:
        by_index = {r.index: r for r in layers if r.index is not None}
        by_name = {r.name: r for r in layers if r.name is not None}
        last = max(by_index, default=0)
        for item in items:
            if isinstance(item, int):
                row = by_index.get(item)
                if row is None:
                    raise TrainError(f"freeze: `archlang check` numbers this model's layers "
                                     f"1 to {last}, not {item}",
                                     "see the numbers and names with archlang check FILE "
                                     "--columns name")
                if row.name is not None:
                    chosen.append((row.name, _row_text(row)))
            elif item in by_name:
                chosen.append((item, _row_text(by_name[item])))
            else:
                chosen.append((item, item))
    else:
        children = [name for name, _ in model.named_children()]
        for item in items:
            if isinstance(item, int):
                if item > len(children):
                    raise TrainError(f"freeze: the model has {len(children)} layers, not {item}",
                                     "layers: " + ", ".join(f"{i + 1}={n}" for i, n in enumerate(children)))
                chosen.append((children[item - 1], children[item - 1]))
            else:
                chosen.append((item, item))
    frozen, rows = [], []
    for prefix, text in chosen:
        hits = [(n, p) for n, p in params.items() if n == prefix or n.startswith(prefix + ".")]
        if not hits and prefix not in modules:  # a parameter-free layer chosen by name is fine
            names = [n for n in modules if n and "." not in n]
            raise TrainError(f"freeze: no layer or parameter is named `{prefix}`",
                             did_you_mean(prefix, modules) or "top-level layers: " + ", ".join(names))
        if hits:
            rows.append(text)
        for name, param in hits:
            param.requires_grad_(False)
            frozen.append(name)
    frozen = sorted(set(frozen))
    count = sum(params[n].numel() for n in frozen)
    if count == total:
        raise TrainError(f"freeze `{spec}` freezes every parameter of the model; there would "
                         "be nothing to train", "freeze fewer layers, e.g. all but the last")
    return Frozen(frozen, list(dict.fromkeys(rows)), total, count)


def _row_text(row: LayerRow) -> str:
    where = f"row {row.index} " if row.index is not None else ""
    return f"{where}{row.label} = {row.name}"


def _dims(shape) -> str:
    return "×".join(map(str, shape)) or "scalar"
