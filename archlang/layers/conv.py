"""Convolutions: Conv (1-D/2-D/3-D by kernel rank), ConvTranspose, DepthwiseConv."""
from __future__ import annotations

from math import prod

from . import args as A
from ..records import dataclass
from .base import ArgProblem, Layer, Param, ShapeProblem, Window, register, tup
from .shape import Shape
from .torch_code import Call, Crop, TorchCode, dims, kw, pad_call, rev
from .window import check_rank, dims_text, pad_text, per_dim, resolve_pad, sliding

_RANK_OF_ALIAS = {"Conv1d": 1, "Conv2d": 2, "Conv3d": 3, "ConvTranspose1d": 1,
                  "ConvTranspose2d": 2, "ConvTranspose3d": 3}

CONV_SCHEMA = (
    Param("kernel", A.sizes, doc="window size per spatial dimension, W first: (k_w, k_h)"),
    Param("channels", A.channels_pair, doc="input => output channels; `_` infers the input", shown="in => out"),
    Param("act", A.activation, default="identity", doc="activation applied to the output"),
    Param("stride", A.sizes, default=(1,), positional=False),
    Param("pad", A.padding, default=(0,), positional=False, aliases=("padding",)),
    Param("dilation", A.sizes, default=(1,), positional=False),
    Param("groups", A.size, default=1, positional=False),
    Param("bias", A.boolean, default=True, positional=False),
    Param("init", A.init, default="default", positional=False),
)


@dataclass(frozen=True)
class _ConvBase(Layer):
    kernel: tuple[int, ...]
    c_in: int | None
    c_out: int
    act: str = "identity"
    stride: tuple[int, ...] = (1,)
    pad: object = (0,)
    dilation: tuple[int, ...] = (1,)
    groups: int = 1
    bias: bool = True
    init: str = "default"
    pad_lo: tuple[int, ...] = ()
    pad_hi: tuple[int, ...] = ()

    family = "conv"
    schema = CONV_SCHEMA

    @classmethod
    def prepare(cls, positional, keywords):
        # `Conv2d(1, 8, 5)`: PyTorch's order (in, out, kernel). Say so, with the archlang form,
        # rather than "expected channels `in => out`, found the number 8".
        first = positional[:3]
        if len(first) == 3 and all(type(a.value) is int for a in first):
            c_in, c_out, k = (a.value for a in first)
            raise ArgProblem(
                f"`{c_in}, {c_out}, {k}` is PyTorch's argument order (in, out, kernel)",
                first[0].span.to(first[2].span), label="archlang writes the kernel first",
                help=f"the kernel comes first, then the channels as a pair: "
                     f"`{cls.kind}(({k}, {k}), {c_in} => {c_out})`")
        return positional, keywords

    @classmethod
    def from_bound(cls, bound, spans, alias):
        kernel = bound["kernel"]
        rank = len(kernel)
        want = _RANK_OF_ALIAS.get(alias)
        if want is not None and rank != want:
            raise ArgProblem(f"`{alias}` takes a {want}-D kernel, found {tup(kernel)}",
                             spans.get("kernel"), label=f"{rank}-D kernel",
                             help=f"write a {want}-element kernel tuple, or use `{cls.kind}`")
        if rank > 3:
            raise ArgProblem(f"kernels have 1 to 3 dimensions, found {rank}", spans.get("kernel"))
        c_in, c_out = bound.pop("channels")
        stride = per_dim(bound["stride"], rank, "stride", spans.get("stride"))
        dilation = per_dim(bound["dilation"], rank, "dilation", spans.get("dilation"))
        lo, hi = resolve_pad(bound["pad"], kernel, dilation, spans.get("pad"))
        layer = cls(kernel=kernel, c_in=c_in, c_out=c_out, act=bound["act"], stride=stride,
                    pad=bound["pad"], dilation=dilation, groups=bound["groups"],
                    bias=bound["bias"], init=bound["init"], pad_lo=lo, pad_hi=hi)
        layer.check_groups(spans)
        return layer

    def check_groups(self, spans) -> None:
        g = self.groups
        if self.c_out % g:
            raise ArgProblem(f"{self.c_out} output channels cannot be split into {g} groups",
                             spans.get("groups"), code="E0305", label=f"{self.c_out} is not a multiple of {g}",
                             help="`groups` must divide both the input and the output channels")
        if self.c_in is not None and self.c_in % g:
            raise ArgProblem(f"{self.c_in} input channels cannot be split into {g} groups",
                             spans.get("groups"), code="E0305", label=f"{self.c_in} is not a multiple of {g}",
                             help="`groups` must divide both the input and the output channels")

    @property
    def rank(self) -> int:
        return len(self.kernel)

    def resolve(self, inputs):
        x = inputs[0]
        if self.c_in is None and not x.is_vector and x.rank == self.rank:
            return self.replace(c_in=x.channels)
        return self

    def check_input(self, x: Shape, out: Shape | None = None) -> None:
        """Channels and groups; `out` is what checking goes on with after a channel mismatch."""
        if self.c_in != x.channels:
            raise ShapeProblem(
                "E0300", f"{self.kind} declares {self.c_in} input channels but receives {x.channels}",
                label=f"declares {self.c_in}", arg="channels.left", blame_input=True,
                help=f"write `{x.channels} => {self.c_out}` (or `_ => {self.c_out}` to infer it)",
                output=out)
        if x.channels % self.groups:
            raise ShapeProblem("E0305", f"{x.channels} input channels cannot be split into "
                               f"{self.groups} groups", arg="groups",
                               label=f"{x.channels} is not a multiple of {self.groups}")

    def window(self) -> Window:
        return Window(self.kernel, self.stride, self.pad_lo, self.dilation)

    def torch_kwargs(self, padding) -> tuple:
        return kw(kernel_size=dims(self.kernel),
                  stride=dims(self.stride) if any(s != 1 for s in self.stride) else None,
                  padding=padding,
                  dilation=dims(self.dilation) if any(d != 1 for d in self.dilation) else None,
                  groups=self.groups if self.groups != 1 else None,
                  bias=False if not self.bias else None)

    def torch(self, inputs, out) -> TorchCode:
        # PyTorch pads both sides alike; uneven padding (SamePad's odd pixel goes low, as in
        # Flux) is an explicit zero F.pad before the convolution.
        even = self.pad_lo == self.pad_hi
        padding = dims(self.pad_lo) if even and any(self.pad_lo) else None
        module = Call(f"nn.Conv{self.rank}d", (self.c_in, self.c_out), self.torch_kwargs(padding))
        return TorchCode(module, pre=None if even else pad_call(self.pad_lo, self.pad_hi),
                         act=self.act, init=self.init)

    def args_text(self) -> list[str]:
        c_in = "_" if self.c_in is None else self.c_in
        out = [tup(self.kernel), f"{c_in} => {self.c_out}"]
        if self.act != "identity":
            out.append(self.act)
        for text in (dims_text("stride", self.stride, 1), pad_text(self.pad, self.pad_lo, self.pad_hi),
                     dims_text("dilation", self.dilation, 1),
                     f"groups={self.groups}" if self.groups != 1 else None,
                     "bias=false" if not self.bias else None,
                     f'init="{self.init}"' if self.init != "default" else None):
            if text:
                out.append(text)
        return out


@register
@dataclass(frozen=True)
class Conv(_ConvBase):
    kind = "Conv"
    names = ("Conv1d", "Conv2d", "Conv3d", "CrossCor")
    summary = "convolution; 1-D, 2-D or 3-D by the kernel's rank"

    def infer(self, inputs):
        x = inputs[0]
        check_rank(self.kind, self.rank, x, "convolution")
        out = Shape((*sliding(x, self.kernel, self.stride, self.dilation, self.pad_lo, self.pad_hi,
                              "window"), self.c_out))
        self.check_input(x, out)
        return out

    def params(self) -> int:
        # k_w·k_h·(c_in/groups) weights per output channel, plus one bias each (book §5.4.3).
        return prod(self.kernel) * (self.c_in // self.groups) * self.c_out + (self.c_out if self.bias else 0)

    def macs(self, inputs, out) -> int:
        return prod(self.kernel) * (self.c_in // self.groups) * out.numel

    def elementwise(self, inputs, out) -> int:
        return out.numel * ((1 if self.bias else 0) + (self.act != "identity"))


@register
@dataclass(frozen=True)
class DepthwiseConv(Conv):
    """Flux's DepthwiseConv: one group per input channel (c_out a multiple of c_in)."""

    kind = "DepthwiseConv"
    names = ()
    summary = "depthwise convolution (groups = input channels)"

    @classmethod
    def from_bound(cls, bound, spans, alias):
        c_in, c_out = bound["channels"]
        if c_in is None:
            raise ArgProblem("DepthwiseConv needs its input channels", spans.get("channels"),
                             help="write them: `DepthwiseConv((3, 3), 32 => 32)`")
        bound["groups"] = c_in
        return super().from_bound(bound, spans, alias)

    def args_text(self):
        return [t for t in super().args_text() if not t.startswith("groups=")]


@register
@dataclass(frozen=True)
class ConvTranspose(_ConvBase):
    kind = "ConvTranspose"
    names = ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
    summary = "transposed convolution (learned upsampling)"

    @classmethod
    def from_bound(cls, bound, spans, alias):
        if bound["pad"] is A.SAME:
            raise ArgProblem("SamePad() is not defined for ConvTranspose", spans.get("pad"),
                             help="give the padding explicitly, e.g. pad=1 with kernel 4 and stride 2 doubles the size")
        return super().from_bound(bound, spans, alias)

    def infer(self, inputs):
        x = inputs[0]
        check_rank(self.kind, self.rank, x, "convolution")
        self.check_input(x)
        # PyTorch's ConvTranspose: out = (n − 1)·s − p_lo − p_hi + d(k − 1) + 1.
        out = tuple((n - 1) * s - a - b + d * (k - 1) + 1 for n, s, a, b, d, k in
                    zip(x.spatial, self.stride, self.pad_lo, self.pad_hi, self.dilation, self.kernel))
        if any(o < 1 for o in out):
            raise ShapeProblem("E0306", f"the padding removes the whole output ({'×'.join(map(str, out))})",
                               arg="pad", label="too much padding")
        return Shape((*out, self.c_out))

    def params(self) -> int:
        return prod(self.kernel) * self.c_in * (self.c_out // self.groups) + (self.c_out if self.bias else 0)

    def macs(self, inputs, out) -> int:
        # Every input element is scattered through k·(c_out/groups) weights.
        return prod(self.kernel) * (self.c_out // self.groups) * inputs[0].numel

    def window(self):
        return None  # a transposed convolution upsamples; the RF recurrence does not apply

    def torch(self, inputs, out) -> TorchCode:
        # PyTorch crops `padding` from both ends of the full output; uneven padding crops the
        # common part there and the rest by slicing.
        common = tuple(min(a, b) for a, b in zip(self.pad_lo, self.pad_hi))
        module = Call(f"nn.ConvTranspose{self.rank}d", (self.c_in, self.c_out),
                      self.torch_kwargs(dims(common) if any(common) else None))
        lo = tuple(a - c for a, c in zip(self.pad_lo, common))
        hi = tuple(b - c for b, c in zip(self.pad_hi, common))
        if not any(lo) and not any(hi):
            return TorchCode(module, act=self.act, init=self.init)
        raw = tuple(n + a + b for n, a, b in zip(out.spatial, lo, hi))
        return TorchCode(module, post=(Crop(rev(lo), rev(hi)),), act=self.act, init=self.init,
                         raw_out=(self.c_out, *rev(raw)))
