"""Scale: a learned factor (and shift) per channel, Flux's Scale; ConvNeXt's layer scale."""
from __future__ import annotations

import re

from . import args as A
from ..records import dataclass
from .base import Layer, Param, Resampling, register
from .norm import PerChannel
from .torch_code import Call, Template, TorchCode, kw


@register
@dataclass(frozen=True)
class Scale(PerChannel, Layer):
    c: int | None
    act: str = "identity"
    bias: bool = True
    init: float = 1.0

    kind = "Scale"
    family = "scale"
    summary = "y = γ ⊙ x + β per channel (Flux's Scale; ConvNeXt's layer scale without β)"
    schema = (
        Param("c", A.size_or_infer, doc="channels (a vector's length); `_` infers it"),
        Param("act", A.activation, default="identity"),
        Param("bias", A.boolean, default=True, positional=False, doc="learn a shift β too"),
        Param("init", A.number, default=1.0, positional=False, doc="the starting value of every γ"),
    )


    def params(self) -> int:
        return self.c * (2 if self.bias else 1)          # γ, and β with bias=true

    def elementwise(self, inputs, out) -> int:
        return out.numel * (1 + self.bias + (self.act != "identity"))

    def resampling(self, inputs):
        return Resampling.identity(inputs[0].rank)

    def torch(self, inputs, out) -> TorchCode:
        # γ is C×1×…×1 (C×1×1 for an image, the shape of torchvision's CNBlock.layer_scale),
        # channels first. Without β it is the Parameter itself, so that its key is the
        # layer's attribute (`layer_scale`, as torchvision's); with β, ChannelScale
        # (tables.HELPERS) holds both (`scale1.weight`, `scale1.bias`).
        rank = inputs[0].rank
        if not self.bias:
            shape = (self.c,) + (1,) * rank
            return TorchCode(Call("nn.Parameter", (Call("torch.full", (shape, float(self.init))),)),
                             call=Template("{self} * {0}"), act=self.act)
        return TorchCode(Call("ChannelScale", (self.c,), kw(
            spatial_dims=rank if rank != 2 else None,
            init=float(self.init) if self.init != 1 else None)), act=self.act)

    def args_text(self):
        out = ["_" if self.c is None else str(self.c)]
        if self.act != "identity":
            out.append(self.act)
        if not self.bias:
            out.append("bias=false")
        if self.init != 1:
            # 1e-06 as a spec writes it: 1e-6.
            out.append("init=" + re.sub(r"e([+-])0*(\d)", r"e\1\2", f"{self.init:g}"))
        return out
