"""Channel operations without weights: ChannelShuffle, and taking a Chunk or a Slice of one
dimension (the channels unless `dims` says otherwise; ShuffleNetV2's split)."""
from __future__ import annotations

from fractions import Fraction

from . import args as A
from ..records import dataclass
from .base import ArgProblem, Layer, Param, Resampling, ShapeProblem, register
from .layout import EITHER, torch_dim
from .shape import DTYPES, Shape, dim_letters
from .torch_code import Call, Index, Method, TorchCode

_AXES = {1: ("length",), 2: ("width", "height"), 3: ("width", "height", "depth")}
DIMS = Param("dims", A.size, default=None, positional=False,
             doc="Julia's 1-based dimension in the spec's order (W×H×C: 1 = W, 2 = H, 3 = C); "
                 "default: the channels")


def axis_of(dims: int | None, x: Shape) -> int:
    """The 0-based index into the spec's shape that `dims` (1-based; None: channels) names."""
    if dims is None:
        return len(x) - 1
    if not 1 <= dims <= len(x):
        order = ", ".join(f"{i} is {a}" for i, a in enumerate(dim_letters(x), 1)) \
            if not x.is_vector else "a vector has only dimension 1"
        raise ShapeProblem("E0202", f"dims={dims} is not a dimension of {x.describe()}", arg="dims",
                           label=f"expected 1 to {len(x)}", blame_input=True,
                           help=f"dims counts from 1 in the spec's order ({order})")
    return dims - 1


def axis_phrase(axis: int, x: Shape) -> str:
    """'16 channels', '784 elements', 'a width of 28'."""
    size = x[axis]
    if x.is_vector or axis == len(x) - 1:
        noun = "element" if x.is_vector else "channel"
        return f"{size} {noun}{'s' if size != 1 else ''}"
    names = _AXES.get(x.rank)
    return f"a {names[axis]} of {size}" if names else f"{size} along dimension {axis + 1}"


def shifted(axis: int, offset: int, x: Shape) -> Resampling:
    """Positions along `axis` move by `offset`; a channel axis moves nothing."""
    r = Resampling.identity(x.rank)
    if axis == len(x) - 1 or not offset:
        return r
    lo = tuple(Fraction(offset) if d == axis else v for d, v in enumerate(r.lo))
    return Resampling(r.ratio, lo, lo)


def _dims_text(dims: int | None) -> list[str]:
    return [] if dims is None else [f"dims={dims}"]


@register
@dataclass(frozen=True)
class ChannelShuffle(Layer):
    groups: int

    kind = "ChannelShuffle"
    family = "channel"
    summary = "interleaves the channels of `groups` groups (ShuffleNet; PyTorch's nn.ChannelShuffle)"
    schema = (Param("groups", A.size, doc="how many groups the channels form"),)

    def infer(self, inputs):
        x = inputs[0]
        if x.is_vector:
            raise ShapeProblem("E0303", f"ChannelShuffle applied to {x.describe()}",
                               label="needs channels beside spatial dimensions", blame_input=True,
                               help="as PyTorch's nn.ChannelShuffle, it takes L×C, W×H×C or W×H×D×C")
        if x.channels % self.groups:
            raise ShapeProblem("E0305", f"{axis_phrase(len(x) - 1, x)} cannot be split into "
                               f"{self.groups} groups",
                               arg="groups", label=f"{x.channels} is not a multiple of {self.groups}",
                               blame_input=True, output=x)
        return x

    def resampling(self, inputs):
        return Resampling.identity(inputs[0].rank)

    def torch(self, inputs, out) -> TorchCode:
        # Channel g·(C/G) + k goes to k·G + g: view N×G×(C/G)×…, swap, flatten (ShuffleNetV2).
        return TorchCode(Call("nn.ChannelShuffle", (self.groups,)))

    def args_text(self):
        return [str(self.groups)]


@dataclass(frozen=True)
class _Part(Layer):
    """A contiguous part of one dimension: `first … first + length − 1` (0-based)."""

    family = "channel"
    layout = EITHER
    dtypes, passes_dtype = DTYPES, True

    def part(self, size: int, x: Shape, axis: int) -> tuple[int, int]:
        raise NotImplementedError

    def infer(self, inputs):
        x = inputs[0]
        axis = axis_of(self.dims, x)
        _, length = self.part(x[axis], x, axis)
        return Shape(tuple(length if d == axis else n for d, n in enumerate(x)))

    def resampling(self, inputs):
        x = inputs[0]
        axis = axis_of(self.dims, x)
        return shifted(axis, self.part(x[axis], x, axis)[0], x)

    def torch(self, inputs, out, layout) -> TorchCode:
        x = inputs[0]
        axis = axis_of(self.dims, x)
        first, length = self.part(x[axis], x, axis)
        return TorchCode(call=Method("narrow", (torch_dim(len(x), axis + 1, layout), first, length)))


@register
@dataclass(frozen=True)
class Chunk(_Part):
    n: int
    i: int
    dims: int | None = None

    kind = "Chunk"
    summary = "the i-th of n equal parts (1-based) of the channels, or of dimension `dims`"
    schema = (Param("n", A.size, doc="how many equal parts"),
              Param("i", A.size, doc="which part, 1-based"), DIMS)

    @classmethod
    def from_bound(cls, bound, spans, alias):
        if bound["i"] > bound["n"]:
            raise ArgProblem(f"Chunk({bound['n']}, {bound['i']}) asks for part {bound['i']} of "
                             f"{bound['n']}", spans.get("i"), code="E0202",
                             label=f"at most {bound['n']}", help="parts are numbered from 1, as in Julia")
        return cls(**bound)

    def part(self, size, x, axis):
        if size % self.n:
            raise ShapeProblem("E0305", f"{axis_phrase(axis, x)} cannot be split into {self.n} equal parts",
                               arg="n", label=f"{size} is not a multiple of {self.n}", blame_input=True,
                               help="Chunk takes equal parts; Slice(a, b) takes any range")
        k = size // self.n
        return (self.i - 1) * k, k

    def torch(self, inputs, out, layout) -> TorchCode:
        # x.chunk(n, dim)[i − 1], as torchvision's ShuffleNetV2 splits: no size in the code,
        # so the calls of one block on other channel counts share its class.
        x = inputs[0]
        axis = axis_of(self.dims, x)
        self.part(x[axis], x, axis)
        return TorchCode(call=Method("chunk", (self.n, torch_dim(len(x), axis + 1, layout))),
                         post=(Index(self.i - 1),))

    def args_text(self):
        return [str(self.n), str(self.i), *_dims_text(self.dims)]


@register
@dataclass(frozen=True)
class Slice(_Part):
    start: int
    stop: int
    dims: int | None = None

    kind = "Slice"
    summary = "elements start … stop (1-based, inclusive) of the channels, or of dimension `dims`"
    schema = (Param("start", A.size, doc="first element, 1-based"),
              Param("stop", A.size, doc="last element, inclusive (Julia's start:stop)"), DIMS)

    @classmethod
    def from_bound(cls, bound, spans, alias):
        if bound["start"] > bound["stop"]:
            raise ArgProblem(f"Slice({bound['start']}, {bound['stop']}) is empty", spans.get("stop"),
                             code="E0202", label=f"before {bound['start']}",
                             help="start and stop are both included: Slice(1, 3) takes 3 elements")
        return cls(**bound)

    def part(self, size, x, axis):
        if self.stop > size:
            length = self.stop - self.start + 1     # what checking goes on with
            raise ShapeProblem("E0202", f"Slice({self.start}, {self.stop}) reaches past "
                               f"{axis_phrase(axis, x)} ({x.describe()})", arg="stop",
                               label=f"at most {size}",
                               output=Shape(tuple(length if d == axis else n for d, n in enumerate(x))),
                               blame_input=True)
        return self.start - 1, self.stop - self.start + 1

    def args_text(self):
        return [str(self.start), str(self.stop), *_dims_text(self.dims)]
