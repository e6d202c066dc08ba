"""Normalisation and regularisation: BatchNorm, LayerNorm, Dropout."""
from __future__ import annotations

from . import args as A
from ..records import dataclass
from .base import Layer, Param, ShapeProblem, register
from .layout import ANY, CHANNELS_LAST
from .torch_code import Call, TorchCode, kw
from .window import at_most_3d


class PerChannel:
    """The shape rule of a layer with one weight per channel (a field `c`, `_` inferred):
    it keeps its input's shape and must get `c` channels (a vector: `c` values)."""

    def resolve(self, inputs):
        return self.replace(c=inputs[0].channels) if self.c is None else self

    def infer(self, inputs):
        x = inputs[0]
        if self.c != x.channels:
            what = "inputs" if x.is_vector else "channels"
            raise ShapeProblem("E0300", f"{self.kind}({self.c}) receives {x.channels} {what}",
                               arg="c", label=f"declares {self.c}", blame_input=True,
                               help=f"write {self.kind}({x.channels})", output=x)
        return x


@dataclass(frozen=True)
class _ChannelNorm(PerChannel, Layer):
    c: int | None
    act: str = "identity"
    eps: float = 1e-5

    family = "norm"
    schema = (
        Param("c", A.size_or_infer, doc="channels (a vector's length); `_` infers it"),
        Param("act", A.activation, default="identity"),
        Param("eps", A.positive_number, default=1e-5, positional=False),
    )

    def params(self) -> int:
        return 2 * self.c      # scale γ and shift β per channel

    def elementwise(self, inputs, out) -> int:
        return out.numel * (2 + (self.act != "identity"))

    def args_text(self):
        out = ["_" if self.c is None else str(self.c)]
        if self.act != "identity":
            out.append(self.act)
        if self.eps != 1e-5:
            out.append(f"eps={self.eps:g}")
        return out


@register
@dataclass(frozen=True)
class BatchNorm(_ChannelNorm):
    momentum: float = 0.1

    kind = "BatchNorm"
    names = ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d")
    summary = "batch normalisation per channel; running mean and variance are state, not parameters"
    schema = _ChannelNorm.schema + (Param("momentum", A.probability, default=0.1, positional=False),)

    def infer(self, inputs):
        at_most_3d(self.kind, inputs[0])          # nn.BatchNorm1d … 3d
        return super().infer(inputs)

    def state(self) -> int:
        return 2 * self.c      # running mean and variance (buffers)

    def args_text(self):
        out = super().args_text()
        if self.momentum != 0.1:
            out.append(f"momentum={self.momentum:g}")
        return out

    def torch(self, inputs, out) -> TorchCode:
        # A vector (N×F) and a sequence (N×C×L) both take BatchNorm1d. `momentum` has
        # PyTorch's (and Flux's) meaning: the weight of the new batch in the running average.
        module = Call(f"nn.BatchNorm{max(1, inputs[0].rank)}d", (self.c,),
                      kw(eps=self.eps if self.eps != 1e-5 else None,
                         momentum=self.momentum if self.momentum != 0.1 else None))
        return TorchCode(module, act=self.act)


@register
@dataclass(frozen=True)
class LayerNorm(_ChannelNorm):
    kind = "LayerNorm"
    summary = "layer normalisation over the channels at each position"

    layout = CHANNELS_LAST

    def torch(self, inputs, out) -> TorchCode:
        # nn.LayerNorm normalises the last dim: the channels, channels last (N×L×C, N×H×W×C).
        eps = kw(eps=self.eps if self.eps != 1e-5 else None)
        return TorchCode(Call("nn.LayerNorm", (self.c,), eps), act=self.act)


@register
@dataclass(frozen=True)
class Dropout(Layer):
    p: float

    kind = "Dropout"
    family = "regularize"
    layout = ANY
    summary = "zeroes each element with probability p while training"
    schema = (Param("p", A.probability),)

    def infer(self, inputs):
        return inputs[0]

    def args_text(self):
        return [f"{self.p:g}"]

    def torch(self, inputs, out) -> TorchCode:
        return TorchCode(Call("nn.Dropout", (self.p,)))
