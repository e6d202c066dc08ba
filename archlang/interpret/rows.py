"""Check's row numbers in a compiled module: which submodule holds a row's weights, and the
value a row outputs for one input.

`archlang check` numbers every layer of a model 1, 2, … (the table's `#` column); a row's
output includes its fused activation (`Conv((5, 5), 1 => 8, relu)` outputs after the relu).
The PyTorch backend records, for each generated submodule, the graph node it computes
(`Generated.modules`); a node's `LayerInfo.index` is its row. Rows without a submodule
(`relu`, `flatten`, `+`) are computed from their inputs with the line the backend generates
for them.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..check import LayerInfo, ModelReport
from .errors import WrongChoice

CONV_KINDS = ("Conv", "ConvTranspose", "DepthwiseConv")


@dataclass
class RowMap:
    """Rows of one checked model and the compiled module's submodule names."""

    report: ModelReport
    modules: dict[str, tuple[int, tuple | None]]     # submodule name → (node id, raw out)

    def info(self, row: int) -> LayerInfo:
        """The LayerInfo of row `row` (1-based, as `archlang check` prints it)."""
        for info in self.report.infos:
            if info.index == row and info.layer is not None and info.node.id != 0:
                return info
        last = max(i.index for i in self.report.infos)
        raise WrongChoice(f"{self.report.name} has no row {row}",
                             f"rows go from 1 to {last}: see `archlang check`")

    def rows(self) -> list[LayerInfo]:
        return [i for i in self.report.infos if i.node.id != 0 and i.layer is not None]

    def conv_rows(self) -> list[LayerInfo]:
        return [i for i in self.rows() if i.layer.kind in CONV_KINDS]

    def module_name(self, node: int) -> str | None:
        """The submodule that computes `node`: the outermost one (a block returns exactly its
        last node's value; a layer's module does not yet include its activation)."""
        names = [n for n, (nid, _) in self.modules.items() if nid == node]
        return min(names, key=lambda n: n.count(".")) if names else None

    def is_block(self, name: str) -> bool:
        return any(other.startswith(name + ".") for other in self.modules)


def weights_of(rows: RowMap, module, row: int):
    """(info, weight tensor) of a convolution row; InterpretError naming the conv rows if
    row `row` is not one."""
    info = rows.info(row)
    if info.layer.kind not in CONV_KINDS:
        convs = ", ".join(f"{i.index} ({i.layer})" for i in rows.conv_rows()) or "none"
        raise WrongChoice(f"row {row} of {rows.report.name} is {info.layer}, not a convolution",
                             f"convolution rows: {convs}")
    name = rows.module_name(info.node.id)
    return info, module.get_submodule(name).weight.detach()


def row_values(rows: RowMap, module, x, wanted: list[int]) -> dict[int, object]:
    """The outputs of rows `wanted` (row numbers) for the batch `x` (PyTorch layout), in
    one forward pass of `module` in eval mode, keyed by row."""
    import torch

    infos = {r: rows.info(r) for r in wanted}
    graph = rows.report.model.graph
    hooked: dict[int, str] = {}                 # node → submodule name
    order: list[int] = []                       # module-less nodes, inputs first

    def need(node: int) -> None:
        if node == 0 or node in hooked or node in order:
            return
        name = rows.module_name(node)
        if name is not None:
            hooked[node] = name
            return
        for src in graph[node].inputs:
            need(src)
        order.append(node)

    for info in infos.values():
        need(info.node.id)
    seen: dict[int, object] = {0: x}
    handles = []
    for node, name in hooked.items():
        def hook(_mod, _inp, out, node=node):
            seen[node] = out
        handles.append(module.get_submodule(name).register_forward_hook(hook))
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            module(x)
            for node, name in hooked.items():        # a layer's module: add post steps and act
                if not rows.is_block(name):
                    seen[node] = _finish(rows.report.infos[node], seen[node])
            for node in order:
                seen[node] = _apply(rows.report.infos[node], [seen[i] for i in graph[node].inputs])
    finally:
        for h in handles:
            h.remove()
        module.train(was_training)
    return {r: seen[info.node.id] for r, info in infos.items()}


def _finish(info: LayerInfo, module_out):
    """A layer's module output → the row's output: the backend's crop and activation."""
    code = info.layer.torch(info.inputs, info.out)
    return _eval(replace(code, pre=None), [module_out], module_out)


def _apply(info: LayerInfo, inputs: list):
    """A module-less row (activation, flatten, join) applied to its input values."""
    return _eval(info.layer.torch(info.inputs, info.out), inputs, None)


def _eval(code, inputs: list, module_out):
    # The expression is the line the PyTorch backend writes for this layer: archlang's own
    # tables and numbers, never spec text (see archlang/layers/torch_code.py), so evaluating
    # it is as safe as running the generated module.
    import types

    import torch
    import torch.nn.functional as F
    from ..backends.torch.classes import item_expr
    from ..backends.torch.occurrences import Item

    names = [f"v{i}" for i in range(len(inputs))]
    expr = item_expr(Item(0, tuple(range(len(inputs))), attr="m", code=code), names)
    scope = {"torch": torch, "F": F, "self": types.SimpleNamespace(m=lambda *_: module_out)}
    scope.update(zip(names, inputs))
    return eval(expr, scope)  # noqa: S307
