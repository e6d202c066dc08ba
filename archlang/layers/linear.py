"""Dense (fully connected) layers."""
from __future__ import annotations

from . import args as A
from ..records import dataclass
from .base import Layer, Param, ShapeProblem, register
from .shape import Shape
from .layout import CHANNELS_LAST
from .torch_code import Call, TorchCode, kw


@register
@dataclass(frozen=True)
class Dense(Layer):
    c_in: int | None
    c_out: int
    act: str = "identity"
    bias: bool = True
    init: str = "default"

    kind = "Dense"
    layout = CHANNELS_LAST
    names = ("Linear",)
    family = "dense"
    summary = "fully connected layer on a vector; per token or pixel on a sequence or image"
    schema = (
        Param("channels", A.channels_pair, doc="inputs => outputs (or two numbers); `_` infers the input", shown="in => out"),
        Param("act", A.activation, default="identity"),
        Param("bias", A.boolean, default=True, positional=False),
        Param("init", A.init, default="default", positional=False),
    )

    @classmethod
    def prepare(cls, positional, keywords):
        # Dense(784, 200, relu) is Flux's older form of Dense(784 => 200, relu).
        if len(positional) >= 2 and not isinstance(positional[0].value, A.Pair):
            first, second, *rest = positional
            pair = A.Arg(A.Pair(first, second), first.span.to(second.span))
            return [pair, *rest], keywords
        return positional, keywords

    @classmethod
    def from_bound(cls, bound, spans, alias):
        c_in, c_out = bound.pop("channels")
        return cls(c_in=c_in, c_out=c_out, **bound)

    def resolve(self, inputs):
        x = inputs[0]
        if self.c_in is None and x.rank <= 1:
            return self.replace(c_in=x[-1])      # a vector's length, a sequence's channels
        return self

    def infer(self, inputs):
        x = inputs[0]
        if x.rank == 1:
            return self._per_token(x)
        if not x.is_vector:
            if self.c_in == x.channels:
                return Shape((*x[:-1], self.c_out))     # per pixel: nn.Linear channels last
            raise ShapeProblem(
                "E0303", f"Dense applied to {x.describe()}", label="expects a vector",
                help=f"add `flatten` before it: {x} flattens to {x.numel:,}; for the same linear "
                     f"map at every pixel write Dense({x.channels} => {self.c_out})",
                blame_input=True)
        if self.c_in != x[0]:
            raise ShapeProblem(
                "E0301", f"Dense expects {self.c_in:,} inputs but receives {x[0]:,}",
                label=f"expects {self.c_in:,}", arg="channels.left", blame_input=True,
                output=Shape((self.c_out,)))
        return Shape((self.c_out,))

    def _per_token(self, x: Shape) -> Shape:
        """On an L×C sequence Dense is PyTorch's nn.Linear on the last dim: per token."""
        length, c = x
        if self.c_in == c:
            return Shape((length, self.c_out))
        if self.c_in == x.numel:
            raise ShapeProblem(
                "E0303", f"Dense({self.c_in:,} => {self.c_out}) applied to {x.describe()}: on a "
                f"sequence Dense acts per token", arg="channels.left", blame_input=True,
                label=f"{self.c_in:,} = {length} × {c}",
                help=f"add `flatten` before it for one output from the whole sequence, or write "
                     f"Dense({c} => {self.c_out}) to map each token")
        raise ShapeProblem(
            "E0301", f"Dense expects {self.c_in:,} inputs per token but the sequence {x} has "
                     f"{c:,} channels", label=f"expects {self.c_in:,}", arg="channels.left",
            blame_input=True, output=Shape((length, self.c_out)),
            help=f"write Dense({c} => {self.c_out}) (per token), or `flatten` first "
                 f"({x.numel:,} inputs)")

    def params(self) -> int:
        return self.c_in * self.c_out + (self.c_out if self.bias else 0)

    def weight_shape(self):
        return (self.c_out, self.c_in)             # nn.Linear's weight: out × in

    def macs(self, inputs, out) -> int:
        x = inputs[0] if inputs else None
        positions = x.numel // x.channels if x is not None and not x.is_vector else 1
        return positions * self.c_in * self.c_out

    def elementwise(self, inputs, out) -> int:
        return out.numel * ((1 if self.bias else 0) + (self.act != "identity"))

    def torch(self, inputs, out) -> TorchCode:
        module = Call("nn.Linear", (self.c_in, self.c_out), kw(bias=False if not self.bias else None))
        # On a sequence or image it is per position: nn.Linear on the last dim of N×L×C or
        # N×H×W×C (channels last).
        return TorchCode(module, act=self.act, init=self.init)

    def args_text(self):
        c_in = "_" if self.c_in is None else self.c_in
        out = [f"{c_in} => {self.c_out}"]
        if self.act != "identity":
            out.append(self.act)
        if not self.bias:
            out.append("bias=false")
        if self.init != "default":
            out.append(f'init="{self.init}"')
        return out
