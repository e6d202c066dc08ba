"""Pooling: MaxPool and MeanPool (windowed), global pools, adaptive pools."""
from __future__ import annotations

from math import prod
from typing import ClassVar

from . import args as A
from ..records import dataclass
from .base import ArgProblem, Layer, Param, ShapeProblem, Window, register, tup
from .torch_code import Call, Raw, TorchCode, dims, kw, pad_call
from .window import at_most_3d, check_rank, dims_text, pad_text, per_dim, resolve_pad, sliding

_RANK_OF_ALIAS = {"MaxPool1d": 1, "MaxPool2d": 2, "MaxPool3d": 3, "AvgPool1d": 1,
                  "AvgPool2d": 2, "AvgPool3d": 3, "AdaptiveAvgPool1d": 1, "AdaptiveAvgPool2d": 2,
                  "AdaptiveAvgPool3d": 3, "AdaptiveMaxPool1d": 1, "AdaptiveMaxPool2d": 2,
                  "AdaptiveMaxPool3d": 3}


@dataclass(frozen=True)
class _Pool(Layer):
    window_: tuple[int, ...]
    stride: tuple[int, ...]
    pad: object = (0,)
    pad_lo: tuple[int, ...] = ()
    pad_hi: tuple[int, ...] = ()
    ceil: bool = False

    family = "pool"
    schema = (
        Param("window", A.sizes, doc="window size per spatial dimension, W first"),
        Param("stride", A.sizes, default=None, positional=False, doc="defaults to the window"),
        Param("pad", A.padding, default=(0,), positional=False, aliases=("padding",)),
        Param("ceil", A.boolean, default=False, positional=False, aliases=("ceil_mode",),
              doc="round the output size up (PyTorch's ceil_mode)"),
    )

    @classmethod
    def from_bound(cls, bound, spans, alias):
        window = bound["window"]
        rank = len(window)
        want = _RANK_OF_ALIAS.get(alias)
        if want is not None and rank != want:
            raise ArgProblem(f"`{alias}` takes a {want}-D window, found {tup(window)}",
                             spans.get("window"), label=f"{rank}-D window",
                             help=f"one size per dimension: PyTorch's `{alias}({window[0]})` is "
                                  f"`{cls.kind}({tup(window[:1] * want)})` here" if rank == 1 else
                                  f"write a {want}-element window tuple, or use `{cls.kind}`")
        # Flux and PyTorch: the stride defaults to the window (non-overlapping pooling).
        stride = window if bound["stride"] is None else per_dim(bound["stride"], rank, "stride", spans.get("stride"))
        lo, hi = resolve_pad(bound["pad"], window, (1,) * rank, spans.get("pad"))
        if bound["ceil"] and not (lo == hi and all(p <= k // 2 for p, k in zip(lo, window))):
            # PyTorch's ceil_mode is defined with its own symmetric padding only.
            raise ArgProblem("ceil=true needs the same padding on both sides, at most half the window",
                             spans.get("pad") or spans.get("ceil"), label="padding ceil mode cannot take",
                             help="use symmetric padding up to k÷2, or write the padding explicitly "
                                  "without ceil")
        cls.check_padding(window, lo, hi, spans.get("pad"))
        return cls(window_=window, stride=stride, pad=bound["pad"], pad_lo=lo, pad_hi=hi,
                   ceil=bound["ceil"])

    @classmethod
    def check_padding(cls, window, lo, hi, span) -> None:
        """Padding the pool refuses whatever its input (ArgProblem): MaxPool's rule, below."""

    def _padding_seen_alone(self, x, out) -> None:
        """E0310 where a window lies wholly in the padding: the first window when a low pad
        reaches a whole window, the last when it starts past the input (the windows between
        overlap the input). MaxPool refuses such padding earlier (check_padding)."""
        for d, (n, k, s, a, o) in enumerate(zip(x.spatial, self.window_, self.stride,
                                                self.pad_lo, out)):
            first, last = a >= k, (o - 1) * s - a >= n
            if first or last:
                axis = ("length",) if x.rank == 1 else ("width", "height", "depth")
                which = "first" if first else "last"
                raise ShapeProblem(
                    "E0310", f"the {which} {k}-pixel window along the {axis[d]} lies wholly in "
                    f"the padding", arg="pad",
                    label=f"{a} pixels of padding before a {k}-pixel window" if first else
                    f"window {o} starts at {(o - 1) * s - a}, past the {n} pixels of the input",
                    notes=(f"{self.kind} counts padding as {self.padding_value}, so that output "
                           f"is {self.padding_value} whatever the input",),
                    help=f"pad less than the window on each side (PyTorch's pools allow at most "
                         f"half of it: {k // 2})", output=x.with_spatial(out))

    def infer(self, inputs):
        x = inputs[0]
        check_rank(self.kind, len(self.window_), x, "pooling")
        out = sliding(x, self.window_, self.stride, (1,) * len(self.window_), self.pad_lo,
                      self.pad_hi, "window", ceil=self.ceil)
        if self.ceil and any(n < k for n, k in zip(x.spatial, self.window_)):
            # PyTorch's 3-D mean pool refuses it; keep ceil mode to inputs that hold a window.
            raise ShapeProblem("E0302", f"with ceil=true a {'×'.join(map(str, self.window_))} "
                               f"window must fit the unpadded {x} input", arg="ceil",
                               label="input smaller than the window", blame_input=True)
        self._padding_seen_alone(x, out)
        return x.with_spatial(out)

    def elementwise(self, inputs, out) -> int:
        return out.numel * prod(self.window_)

    def window(self) -> Window:
        return Window(self.window_, self.stride, self.pad_lo, (1,) * len(self.window_))

    torch_name: ClassVar[str] = ""
    torch_pad_value: ClassVar[object] = None
    padding_value: ClassVar[str] = "0"

    def torch(self, inputs, out) -> TorchCode:
        # PyTorch's pools refuse padding above half the window (pad <= k // 2), pad both
        # sides alike, and the 3-D mean pool wants the unpadded input to hold a window;
        # anything else is an explicit F.pad (−∞ for max, 0 for mean: the mean counts
        # padding, count_include_pad=True, as Flux does).
        lo, hi = self.pad_lo, self.pad_hi
        native = lo == hi and all(p <= k // 2 for p, k in zip(lo, self.window_)) and \
            all(n >= k for n, k in zip(inputs[0].spatial, self.window_))
        padding = dims(lo) if native and any(lo) else None
        stride = None if self.stride == self.window_ else dims(self.stride)
        module = Call(f"nn.{self.torch_name}{len(self.window_)}d", (dims(self.window_),),
                      kw(stride=stride, padding=padding, ceil_mode=True if self.ceil else None))
        pre = None if native else pad_call(lo, hi, self.torch_pad_value)
        return TorchCode(module, pre=pre)

    def args_text(self):
        out = [tup(self.window_)]
        if self.stride != self.window_:
            out.append(dims_text("stride", self.stride, -1))
        p = pad_text(self.pad, self.pad_lo, self.pad_hi)
        if p:
            out.append(p)
        if self.ceil:
            out.append("ceil=true")
        return out


@register
@dataclass(frozen=True)
class MaxPool(_Pool):
    kind = "MaxPool"
    names = ("MaxPool1d", "MaxPool2d", "MaxPool3d")
    summary = "max pooling; padding counts as −∞"
    torch_name = "MaxPool"
    torch_pad_value = Raw('float("-inf")')
    padding_value = "−∞"

    @classmethod
    def check_padding(cls, window, lo, hi, span) -> None:
        """PyTorch's rule for max pooling (`pad should be at most half of effective kernel
        size`, pooling_output_shape): at most k ÷ 2 on each side. More lets a window lie
        wholly in the padding, whose output is −∞ (NaN after a normalization)."""
        for d, k in enumerate(window):
            p = max(lo[d], hi[d])
            if p > k // 2:
                whole = p >= k
                raise ArgProblem(
                    f"max pooling padded by {p} on a side of a {k}-pixel window; at most half "
                    f"of it, {k // 2}, is allowed", span, code="E0310",
                    label="a window can see only padding: its output is −∞" if whole else
                    "more than half the window",
                    help=f"pad at most {k // 2} on each side, as PyTorch's MaxPool requires "
                         f"(`pad should be at most half of effective kernel size`)")


@register
@dataclass(frozen=True)
class MeanPool(_Pool):
    kind = "MeanPool"
    names = ("AvgPool", "MeanPool1d", "AvgPool1d", "AvgPool2d", "AvgPool3d")
    summary = "mean pooling; zero padding is counted in the mean (Flux, PyTorch's default)"
    torch_name = "AvgPool"


@dataclass(frozen=True)
class _GlobalPool(Layer):
    family = "pool"

    def infer(self, inputs):
        x = inputs[0]
        if x.is_vector:
            raise ShapeProblem("E0303", f"{self.kind} applied to {x.describe()}",
                               label="needs spatial dimensions", blame_input=True,
                               help="global pooling reduces W×H×C to 1×1×C; this input has no W or H")
        at_most_3d(self.kind, x)
        return x.with_spatial((1,) * x.rank)

    def elementwise(self, inputs, out) -> int:
        return inputs[0].numel

    def args_text(self):
        return []

    def __str__(self):
        return f"{self.kind}()"

    torch_name: ClassVar[str] = ""

    def torch(self, inputs, out) -> TorchCode:
        # Keeps the singleton spatial dims: N×C×1×1, like torchvision's avgpool.
        return TorchCode(Call(f"nn.{self.torch_name}{inputs[0].rank}d", (1,)))


@register
@dataclass(frozen=True)
class GlobalMaxPool(_GlobalPool):
    kind = "GlobalMaxPool"
    summary = "maximum over all spatial positions: W×H×C → 1×1×C"
    torch_name = "AdaptiveMaxPool"


@register
@dataclass(frozen=True)
class GlobalMeanPool(_GlobalPool):
    kind = "GlobalMeanPool"
    names = ("GlobalAvgPool",)
    summary = "mean over all spatial positions: W×H×C → 1×1×C"
    torch_name = "AdaptiveAvgPool"


@dataclass(frozen=True)
class _AdaptivePool(Layer):
    out: tuple[int, ...]

    family = "pool"
    schema = (Param("out", A.sizes, doc="output size per spatial dimension, W first"),)

    @classmethod
    def from_bound(cls, bound, spans, alias):
        want = _RANK_OF_ALIAS.get(alias)
        if want is not None and len(bound["out"]) not in (1, want):
            raise ArgProblem(f"`{alias}` takes a {want}-D output size, found {tup(bound['out'])}",
                             spans.get("out"))
        return cls(out=bound["out"])

    def infer(self, inputs):
        x = inputs[0]
        if x.is_vector:
            raise ShapeProblem("E0303", f"{self.kind} applied to {x.describe()}",
                               label="needs spatial dimensions", blame_input=True)
        at_most_3d(self.kind, x)
        out = self.out * x.rank if len(self.out) == 1 else self.out
        if len(out) != x.rank:
            raise ShapeProblem("E0303", f"{self.kind} gives a {len(out)}-D output size for {x.describe()}",
                               arg="out", label=f"expected {x.rank} entries")
        return x.with_spatial(out)

    def elementwise(self, inputs, out) -> int:
        return inputs[0].numel

    def args_text(self):
        return [tup(self.out)]

    torch_name: ClassVar[str] = ""

    def torch(self, inputs, out) -> TorchCode:
        return TorchCode(Call(f"nn.{self.torch_name}{inputs[0].rank}d", (dims(out.spatial),)))


@register
@dataclass(frozen=True)
class AdaptiveMeanPool(_AdaptivePool):
    kind = "AdaptiveMeanPool"
    names = ("AdaptiveAvgPool", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d")
    summary = "mean pooling to a fixed output size (PyTorch's bins)"
    torch_name = "AdaptiveAvgPool"


@register
@dataclass(frozen=True)
class AdaptiveMaxPool(_AdaptivePool):
    kind = "AdaptiveMaxPool"
    names = ("AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d")
    summary = "max pooling to a fixed output size (PyTorch's bins)"
    torch_name = "AdaptiveMaxPool"
