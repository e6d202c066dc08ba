"""Which PyTorch layout each value of a compiled model takes, and where it changes.

The rule for one layout (which PyTorch dim is which spec dim) is layers/layout.py's; this
module chooses, per value, channels first (N×C×H×W, N×C×L) or channels last (N×H×W×C,
N×L×C), so that the generated forward reads like a hand-written one: a convolution net stays
channels first, a transformer channels last, and a value is transposed only where a layer
that takes one layout meets a value in the other (a ViT's patches entering its encoder, a
text CNN's embeddings entering a convolution). Vectors and token ids (no channel dim) have
no layout.

The choice, over the model's graph in topological order:
1. Each layer that fixes a layout (`Layer.layout` CHANNELS_FIRST or CHANNELS_LAST) takes its
   inputs and gives its output in it.
2. A layer that works in either (ANY, EITHER) keeps the layout its inputs come in; where they
   differ it takes the one its consumers prefer (the first layout fixed downstream of it),
   so that `pos + tokens` in a transformer is added channels last.
3. A value with no input (a Parameter) is made in the layout its consumers prefer.
4. A model's inputs are channels first (the layout of data loaders and of `archlang train`'s
   data). Its image and volume outputs are returned channels first too (as torchvision's
   dense-prediction models return them); a sequence output stays in the layout of the layer
   that made it: N×L×C from a transformer, a language model's head or a recurrent layer,
   N×C×L from a convolution. The generated class's docstring states each.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ...check import ModelReport
from ...layers.layout import (ANY, CHANNELS_FIRST, CHANNELS_LAST, EITHER, channel_dim, conversion,
                              has_layout, torch_order)
from ...layers.shape import BOOL, INT
from ...layers.structural import Input
from ...layers.torch_code import TorchCode
from ...symbolic import dim_text

FIXED = (CHANNELS_FIRST, CHANNELS_LAST)


@dataclass
class Layouts:
    """The layouts of one model's values: `of[node]` its value's (None: it has no channels),
    `takes[node]` the layout its inputs are given in (None: as they come)."""

    of: dict[int, str | None] = field(default_factory=dict)
    takes: dict[int, str | None] = field(default_factory=dict)
    returned: dict[int, str] = field(default_factory=dict)    # output → its layout, if moved

    def output(self, node: int) -> str | None:
        """The layout a model's output `node` is returned in."""
        return self.returned.get(node, self.of.get(node))

    def code_layout(self, node: int) -> str:
        """The layout an EITHER layer's PyTorch code is written for."""
        return self.takes.get(node) or self.of.get(node) or CHANNELS_FIRST


def assign(report: ModelReport) -> Layouts:
    infos, graph = report.infos, report.model.graph
    has = [i.out is not None and has_layout(i.out) for i in infos]
    consumers: dict[int, list[int]] = {}
    for node in graph.nodes:
        for i in node.inputs:
            consumers.setdefault(i, []).append(node.id)

    def fixed(n: int) -> str | None:
        layer = infos[n].layer
        return layer.layout if layer is not None and layer.layout in FIXED else None

    # Backward: the layout the consumers of each value prefer (the first fixed downstream).
    prefer: dict[int, str | None] = {}
    for node in reversed(graph.nodes):
        n = node.id
        own = fixed(n) if has[n] else None
        if own is None:
            own = next((w for c in consumers.get(n, ()) if (w := fixed(c) or prefer.get(c))), None)
        prefer[n] = own

    out = Layouts()
    for node in graph.nodes:
        n, layer = node.id, infos[node.id].layer
        ins = [i for i in node.inputs if has[i]]
        if isinstance(layer, Input):
            out.of[n] = CHANNELS_FIRST if has[n] else None
            continue
        if fixed(n):
            take = fixed(n)
        else:
            coming = [out.of[i] for i in ins]
            take = prefer[n] if prefer[n] in coming else coming[0] if coming else \
                prefer[n] or CHANNELS_FIRST
        out.takes[n] = take if ins else None
        out.of[n] = take if has[n] else None
    for _, n in report.model.outputs or [("out", report.model.output)]:
        if has[n] and len(infos[n].out) > 2 and out.of[n] != CHANNELS_FIRST:
            out.returned[n] = CHANNELS_FIRST
    return out


def torch_code(report: ModelReport, layouts: Layouts, node: int) -> TorchCode:
    """A layer's PyTorch code, told the layout where it works in either."""
    info = report.infos[node]
    if info.layer.layout == EITHER:
        return info.layer.torch(info.inputs, info.out, layouts.code_layout(node))
    return info.layer.torch(info.inputs, info.out)


def converted(value: str, ndims: int, to: str) -> str:
    """`value` moved to layout `to` from the other: `x.transpose(1, 2)` for a sequence,
    `x.permute(0, 2, 3, 1)` for an image (views, no copies)."""
    if ndims == 2:
        return f"{value}.transpose(1, 2)"
    return f"{value}.permute({', '.join(map(str, conversion(ndims, to)))})"


def shape_of(report: ModelReport, layouts: Layouts, node: int, returned: bool = False) -> tuple[int, ...]:
    """A node's value as PyTorch holds it (as the model returns it, if `returned`), no N."""
    layout = layouts.output(node) if returned else layouts.of.get(node)
    return torch_order(report.infos[node].out, layout or CHANNELS_FIRST)


def dims_text(report: ModelReport, layouts: Layouts, node: int, returned: bool = False) -> list[str]:
    """`shape_of` as text: a size that is a formula of the model's named input sizes reads as
    the formula (`⌊H/2⌋`, `(⌊(H − 1)/4⌋ + 1)`), a number as the number."""
    layout = layouts.output(node) if returned else layouts.of.get(node)
    dims = report.infos[node].out
    order = torch_order(tuple(range(1, len(dims) + 1)), layout or CHANNELS_FIRST)  # positions
    return [dim_text(dims[i - 1]) for i in order]


def act_dim(report: ModelReport, layouts: Layouts, node: int) -> int:
    """Where softmax finds a value's channels."""
    return channel_dim(len(report.infos[node].out), layouts.of.get(node) or CHANNELS_FIRST)


def example_input(shape, batch: int = 1, generator=None):
    """A batch of a model input (channels first): standard normal floats, token id 0 (a
    valid index of every embedding), or a mask that masks nothing (all true: attention's
    `mask=` is true where a key is attended)."""
    import torch
    size = (batch, *torch_order(shape))
    if shape.dtype == INT:
        return torch.zeros(size, dtype=torch.long)
    if shape.dtype == BOOL:
        return torch.ones(size, dtype=torch.bool)
    return torch.randn(size, generator=generator)


__all__ = ["ANY", "CHANNELS_FIRST", "CHANNELS_LAST", "EITHER", "Layouts", "act_dim", "assign",
           "converted", "example_input", "shape_of", "torch_code"]
