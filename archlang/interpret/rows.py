"""Check's row numbers in a compiled module: which submodule holds a row's weights, and the
value a row outputs for one input.

`archlang check` numbers every layer of a model 1, 2, … (the table's `#` column); a row's
output includes its fused activation (`Conv((5, 5), 1 => 8, relu)` outputs after the relu).
The PyTorch backend's module map (`Generated.maps`, backends/torch/modulemap.py) says for
each row the submodule holding its weights and where the running module holds its value: a
variable of some submodule's `forward` at one of its lines. `row_values` runs the module and
reads those variables as the forward passes them, so a row's value is exactly what the
compiled module computes, stopping once the rows asked for are known.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

from ..backends.torch import ModuleMap
from ..check import LayerInfo, ModelReport
from ..layers.layout import CHANNELS_FIRST, CHANNELS_LAST, conversion
from .errors import WrongChoice

CONV_KINDS = ("Conv", "ConvTranspose", "DepthwiseConv")


@dataclass
class RowMap:
    """Rows of one checked model and its compiled module's map."""

    report: ModelReport
    map: ModuleMap

    def info(self, row: int) -> LayerInfo:
        """The LayerInfo of row `row` (1-based, as `archlang check` prints it)."""
        node = self.map.node(row)
        if node is not None and self.report.infos[node].layer is not None:
            return self.report.infos[node]
        last = max(i.index for i in self.report.infos)
        raise WrongChoice(f"{self.report.name} has no row {row}",
                          f"rows go from 1 to {last}: see `archlang check`")

    def rows(self) -> list[LayerInfo]:
        return [i for i in self.report.layers if i.layer is not None]

    def conv_rows(self) -> list[LayerInfo]:
        return [i for i in self.rows() if i.layer.kind in CONV_KINDS]


def weights_of(rows: RowMap, module, row: int):
    """(info, weight tensor) of a convolution row; InterpretError naming the conv rows if
    row `row` is not one."""
    info = rows.info(row)
    if info.layer.kind not in CONV_KINDS:
        convs = ", ".join(f"{i.index} ({i.layer})" for i in rows.conv_rows()) or "none"
        raise WrongChoice(f"row {row} of {rows.report.name} is {info.layer}, not a convolution",
                          f"convolution rows: {convs}")
    return info, module.get_submodule(rows.map.layers[info.node.id]).weight.detach()


class _Known(Exception):
    """Every row asked for has its value: the rest of the forward pass is not needed."""


def row_values(rows: RowMap, module, x, wanted: list[int]) -> dict[int, object]:
    """The outputs of rows `wanted` (row numbers) for the batch `x` (PyTorch layout), from
    one forward pass of `module` in eval mode (as far as it must go), keyed by row, each
    channels first (N×C×H×W, N×C×L)."""
    import torch

    inside = [r for r in wanted if rows.info(r).node.id not in rows.map.places]
    if inside:
        raise WrongChoice(f"row {inside[0]}'s value is computed inside an nn.Sequential (a named "
                          "Chain) and not held by the forward; choose the Chain's last row")
    places = {r: rows.map.places[rows.info(r).node.id] for r in wanted}
    at: dict[tuple[str, int], list[tuple[str, int]]] = {}     # (owner, line) → (variable, row)
    for r, p in places.items():
        at.setdefault((p.owner, p.line), []).append((p.variable, r))
    holders = {owner for owner, _ in at}
    owners = {id(m): name for name, m in module.named_modules() if name in holders}
    forward = type(module).forward.__code__.co_filename     # the generated source's file
    seen: dict[int, object] = {}

    def lines(owner: str, first: int):
        def on_line(frame, event, _arg):
            if event == "line":
                for variable, r in at.get((owner, frame.f_lineno - first - 1), ()):
                    seen[r] = frame.f_locals[variable]
                if len(seen) == len(places):
                    raise _Known
            return on_line
        return on_line

    def on_call(frame, event, _arg):
        # Only the forwards of the submodules that hold a wanted value are followed line by line.
        code = frame.f_code
        if event == "call" and code.co_filename == forward and code.co_name == "forward":
            owner = owners.get(id(frame.f_locals.get("self")))
            if owner is not None:
                return lines(owner, code.co_firstlineno)
        return None

    was_training, tracing = module.training, sys.gettrace()
    module.eval()
    sys.settrace(on_call)
    try:
        with torch.no_grad():
            module(x)
    except _Known:
        pass
    finally:
        sys.settrace(tracing)
        module.train(was_training)
    # Values a forward holds channels last (after a LayerNorm, in a transformer) are shown
    # channels first, as every other value (backends/torch/layout.py chose their layout).
    return {r: _channels_first(rows, r, seen[r]) for r in wanted}


def _channels_first(rows: RowMap, r: int, value):
    node = rows.info(r).node.id
    if rows.map.layouts.get(node) != CHANNELS_LAST or value.dim() < 3:
        return value
    return value.permute(*conversion(value.dim() - 1, CHANNELS_FIRST))
