"""Operations that move a tensor's elements without weights: `permutedims` (Julia's, PyTorch's
`permute`), `circshift` (PyTorch's `torch.roll`), and the window partition of windowed
attention, `Windows` and its inverse `MergeWindows` (Swin's windows, MaxViT's grid).

Dims are the spec's: 1-based, W×H×C order, the last dim the channels. Each kind works in
either PyTorch layout (layers/layout.py): its code names PyTorch's dims through `torch_dim`,
so that a transformer's channels-last tokens are permuted as they are, with no transpose to
channels first and back. After `permutedims` the last spec dim *is* the channel dim of the
value: MLP-Mixer's `permutedims((2, 1))` turns L×C into C×L, whose L "channels" a per-token
Dense then mixes.
"""
from __future__ import annotations

from fractions import Fraction
from math import prod

from . import args as A
from ..records import dataclass
from .base import ArgProblem, Layer, Param, Resampling, ShapeProblem, register, tup
from .layout import CHANNELS_LAST, EITHER, torch_dim, torch_order
from .shape import DTYPES, Shape, dim_letters, fmt_dims
from .torch_code import X, Call, Method, TorchCode


def torch_permutation(perm: tuple[int, ...], layout: str) -> tuple[int, ...]:
    """The `x.permute(...)` dims (N first) that compute `permutedims(x, perm)` of a value with
    len(perm) spec dims, its input and its output both in `layout`.

    Output spec dim s is input spec dim perm[s]; PyTorch dim t of the output holds the spec
    dim s with torch_dim(s) = t, read from input PyTorch dim torch_dim(perm[s])."""
    n = len(perm)
    spec_of = {torch_dim(n, s, layout): s for s in range(1, n + 1)}
    return (0, *(torch_dim(n, perm[spec_of[t] - 1], layout) for t in range(1, n + 1)))


def permute_code(perm: tuple[int, ...], layout: str) -> Method:
    """`x.transpose(a, b)` where the permutation swaps two PyTorch dims (it reads like timm's
    MLP-Mixer), `x.permute(...)` otherwise."""
    dims = torch_permutation(perm, layout)
    moved = [t for t, d in enumerate(dims) if t != d]
    if len(moved) == 2:
        return Method("transpose", tuple(moved))
    return Method("permute", dims)


def rearranged(split: tuple[int, ...], perm: tuple[int, ...], merged: tuple[int, ...],
               layout: str) -> TorchCode:
    """reshape(split) → permutedims(perm) → reshape(merged), all in spec order, as PyTorch code
    in `layout`. Every step keeps the channels (the last spec dim) whole, so a reshape is the
    same in both layouts once written in the layout's order (layers/layout.py)."""
    return TorchCode(call=Method("reshape", (-1, *torch_order(split, layout))),
                     post=(permute_code(perm, layout),
                           Method("reshape", (-1, *torch_order(merged, layout)))))


def _dim_names(x: Shape) -> str:
    """'1 is W, 2 is H, 3 is C' for the help of a wrong dimension."""
    if x.is_vector:
        return "a vector has only dimension 1"
    return ", ".join(f"{i} is {a}" for i, a in enumerate(dim_letters(x), 1))


@dataclass(frozen=True)
class _Moves(Layer):
    """What these kinds share: no weights, any dtype kept, code for either layout, and
    Julia's value-first call in graph bodies (`circshift(h, (-3, -3))`)."""

    family = "reshape"
    layout = EITHER
    dtypes, passes_dtype = DTYPES, True
    value_first = True


def _sizes_text(sizes: tuple[int, ...]) -> str:
    """7 for (7,); (7, 4) otherwise."""
    return str(sizes[0]) if len(sizes) == 1 else tup(sizes)


# ---- permutedims -------------------------------------------------------------------------
def _permutation(arg: A.Arg) -> tuple[int, ...]:
    items = arg.value if isinstance(arg.value, tuple) else (arg,)
    dims = tuple(A.whole(a, "a dimension", minimum=0) for a in items)
    if sorted(dims) != list(range(1, len(dims) + 1)):
        torch_style = 0 in dims
        raise ArgProblem(f"{tup(dims)} is not a permutation of 1 … {len(dims)}", arg.span,
                         code="E0202", label="not a permutation",
                         help="dims count from 1 in the spec's order (W×H×C), without the batch: "
                              "PyTorch's x.permute(0, 2, 1) of an N×L×C sequence is "
                              "permutedims((2, 1))" if torch_style else
                              f"give each of 1 … {len(dims)} once: (2, 1) swaps an L×C "
                              "sequence's tokens and channels")
    return dims


@register
@dataclass(frozen=True)
class PermuteDims(_Moves):
    """Julia's `permutedims(x, perm)`: output dim i is input dim perm[i]."""

    perm: tuple[int, ...]

    kind = "permutedims"
    names = ("PermuteDims", "permute")
    summary = "reorders the dims (Julia's permutedims, spec order): (2, 1) makes L×C into C×L"
    schema = (Param("perm", _permutation, doc="a permutation of 1 … n in the spec's order; the "
                                              "last dim of the result is its channels"),)

    @classmethod
    def prepare(cls, positional, keywords):
        return A.one_tuple(positional), keywords       # permutedims(2, 1) is permutedims((2, 1))

    def infer(self, inputs):
        x = inputs[0]
        if len(self.perm) != len(x):
            raise ShapeProblem("E0303", f"permutedims({tup(self.perm)}) of {x.describe()}, which "
                               f"has {len(x)} dim{'s' if len(x) != 1 else ''}", arg="perm",
                               label=f"expected a permutation of 1 … {len(x)}", blame_input=True,
                               help=f"name every dim once ({_dim_names(x)})")
        return Shape(tuple(x[p - 1] for p in self.perm))

    def resampling(self, inputs):
        # Fields are followed per dimension: only the identity keeps them (the docs say so).
        if self.perm == tuple(range(1, len(self.perm) + 1)):
            return Resampling.identity(inputs[0].rank)
        return None

    def torch(self, inputs, out, layout) -> TorchCode:
        return TorchCode(call=permute_code(self.perm, layout))

    def args_text(self):
        return [tup(self.perm)]


# ---- circshift ---------------------------------------------------------------------------
def _shifts(arg: A.Arg) -> tuple[int, ...]:
    items = arg.value if isinstance(arg.value, tuple) else (arg,)
    return tuple(A.whole(a, "a shift", minimum=-A.MAX_SIZE) for a in items)


@register
@dataclass(frozen=True)
class CircShift(_Moves):
    """Julia's `circshift(x, shifts)`: output index i is input index i − shift, wrapping
    around (PyTorch's `torch.roll`). Shifts apply to dims 1, 2, … unless `dims` names them."""

    shifts: tuple[int, ...]
    dims: tuple[int, ...] | None = None

    kind = "circshift"
    names = ("roll", "CircShift")
    summary = "rotates the elements along dims, wrapping around (Julia's circshift, torch.roll)"
    schema = (Param("shifts", _shifts, doc="a shift per dim (an int: dim 1); positive moves "
                                           "elements to higher indices"),
              Param("dims", lambda a: A.sizes(a, "a dimension"), default=None, positional=False,
                    aliases=("dim",), doc="the dims shifted, 1-based in the spec's order "
                                          "(default: 1, 2, … as many as shifts)"))

    @classmethod
    def from_bound(cls, bound, spans, alias):
        shifts, dims = bound["shifts"], bound["dims"]
        if dims is not None:
            if len(dims) != len(shifts):
                raise ArgProblem(f"{len(shifts)} shift{'s' if len(shifts) != 1 else ''} for "
                                 f"{len(dims)} dim{'s' if len(dims) != 1 else ''}", spans.get("dims"),
                                 code="E0102", label=f"expected {len(shifts)}",
                                 help="give one shift per dim: circshift((-3, -3); dims=(1, 2))")
            if len(set(dims)) != len(dims):
                raise ArgProblem(f"dims {tup(dims)} names a dim twice", spans.get("dims"),
                                 code="E0202", label="repeated dim",
                                 help="shift each dim once, by the sum of its shifts")
        return cls(shifts=shifts, dims=dims)

    @property
    def axes(self) -> tuple[int, ...]:
        """The 1-based spec dims shifted."""
        return self.dims if self.dims is not None else tuple(range(1, len(self.shifts) + 1))

    def infer(self, inputs):
        x = inputs[0]
        if max(self.axes) > len(x):
            raise ShapeProblem("E0202", f"{self} shifts dim {max(self.axes)} of {x.describe()}, "
                               f"which has {len(x)}",
                               arg="dims" if self.dims is not None else "shifts",
                               label=f"at most {len(x)} dim{'s' if len(x) != 1 else ''}",
                               blame_input=True, help=f"dims count from 1 ({_dim_names(x)})")
        return x

    def resampling(self, inputs):
        """Positions stay where they are when only the channels turn (or a shift is a whole
        turn); otherwise None: output n reads input (n − s) mod N, and the outputs by the seam
        read both ends of the input, which no interval describes, so the receptive-field
        analysis reports the whole input (an upper bound; docs/analysis.md)."""
        x = inputs[0]
        if all(d == len(x) or s % x[d - 1] == 0 for d, s in zip(self.axes, self.shifts)):
            return Resampling.identity(x.rank)
        return None

    def torch(self, inputs, out, layout) -> TorchCode:
        n = len(inputs[0])
        dims = tuple(torch_dim(n, d, layout) for d in self.axes)
        one = len(dims) == 1
        return TorchCode(call=Call("torch.roll", (X, self.shifts[0] if one else self.shifts),
                                   (("dims", dims[0] if one else dims),)))

    def args_text(self):
        shifts = _sizes_text(self.shifts)
        return [shifts] if self.dims is None else [shifts, f"dims={_sizes_text(self.dims)}"]


# ---- zero padding ------------------------------------------------------------------------------
@register
@dataclass(frozen=True)
class ZeroPad(_Moves):
    """Zeros around the positions: `ZeroPad((0, 6, 0, 6))` makes 56×56×C into 62×62×C, the
    padding before and after each spatial dim in the W, H, D order of a convolution's uneven
    `pad` (PyTorch's nn.ZeroPad2d: left, right, top, bottom). torchvision's Swin pads its map
    to a multiple of the window so; `Slice(…; dims)` crops it back."""

    pad: tuple[int, ...]

    kind = "ZeroPad"
    names = ("ZeroPad1d", "ZeroPad2d", "ZeroPad3d")
    summary = "zeros before and after each position dim: (w_lo, w_hi, h_lo, h_hi), PyTorch's ZeroPad2d"
    schema = (Param("pad", A.nonneg_sizes, doc="one number for every side, one per spatial dim, "
                                               "or (lo, hi) per spatial dim, W first"),)

    def sides(self, x: Shape) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(before, after) per spatial dim of input x, spec order."""
        if x.is_vector:
            raise ShapeProblem("E0303", f"ZeroPad applied to {x.describe()}", blame_input=True,
                               label="pads positions", help="a vector has only channels: reshape it first")
        n, pad = x.rank, self.pad
        if len(pad) == 1:
            return pad * n, pad * n
        if len(pad) == n:
            return pad, pad
        if len(pad) == 2 * n:
            return pad[0::2], pad[1::2]
        raise ShapeProblem("E0303", f"ZeroPad of {len(pad)} numbers for {x.describe()}", arg="pad",
                           label=f"1, {n} or {2 * n} numbers" if n > 1 else "1 or 2 numbers",
                           blame_input=True,
                           help="one number for every side, one per spatial dim, or (before, after) "
                                "per spatial dim, W first: ZeroPad((0, 6, 0, 6))")

    def infer(self, inputs):
        x = inputs[0]
        lo, hi = self.sides(x)
        return x.with_spatial(tuple(d + a + b for d, a, b in zip(x.spatial, lo, hi)))

    def resampling(self, inputs):
        lo, _ = self.sides(inputs[0])
        # Output n reads input n − before (the padding reads nothing of the input).
        shift = tuple(Fraction(-a) for a in lo)
        return Resampling((Fraction(1),) * len(lo), shift, shift)

    def torch(self, inputs, out, layout) -> TorchCode:
        x = inputs[0]
        lo, hi = self.sides(x)
        # F.pad's pairs start at PyTorch's last dim: the channels (not padded) channels last,
        # then W, H, D — the spec's order.
        flat = tuple(v for pair in zip(lo, hi) for v in pair)
        flat = ((0, 0) + flat) if layout == CHANNELS_LAST and len(x) > 1 else flat
        return TorchCode(call=Call("F.pad", (X, flat)))

    def args_text(self):
        return [str(self.pad[0]) if len(self.pad) == 1 else tup(self.pad)]


# ---- window partition ----------------------------------------------------------------------
def _window_sizes(window: tuple[int, ...], rank: int, span_arg: str, x: Shape) -> tuple[int, ...]:
    if len(window) == 1:
        return window * rank
    if len(window) != rank:
        raise ShapeProblem("E0303", f"a window of {len(window)} sizes for {x.describe()}",
                           arg=span_arg, label=f"expected 1 or {rank} sizes", blame_input=True)
    return window


def _split(spatial, window, grid: bool) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """(split, perm, merged) in spec order for the partition of `spatial` (channels apart).

    Each spatial size n splits, column-major, into (inner, outer): a window's position and
    the window's index (ws, n/ws), or for a grid a cell's offset and the grid position
    (n/g, g). A window's tokens are the positions within it (for a grid, the grid positions),
    gathered first, then the windows' indices, then the channels."""
    split, tokens, groups = [], [], []
    for i, (n, w) in enumerate(zip(spatial, window)):
        split += [n // w, w] if grid else [w, n // w]
        inner, outer = 2 * i + 1, 2 * i + 2
        tokens.append(outer if grid else inner)
        groups.append(inner if grid else outer)
    c = len(split) + 1
    return tuple(split), (*tokens, *groups, c), (prod(window), prod(spatial) // prod(window))


def _partition_problem(x: Shape, window, arg: str) -> None:
    for d, (n, w) in enumerate(zip(x.spatial, window)):
        if n % w:
            axis = ("length",) if x.rank == 1 else ("width", "height", "depth")
            raise ShapeProblem("E0305", f"a {axis[d]} of {n} cannot be split into windows of {w}",
                               arg=arg, label=f"{n} is not a multiple of {w}", blame_input=True,
                               help="torchvision's Swin pads the image to a multiple of the window; "
                                    "here the window must divide the size: choose a window that "
                                    "does, or pad or crop the image first")


def _partitioned_rank(x: Shape, kind: str) -> None:
    if x.is_vector or x.rank > 3:
        raise ShapeProblem("E0303", f"{kind} applied to {x.describe()}",
                           label="expects L×C, W×H×C or W×H×D×C", blame_input=True,
                           help="windows partition the positions of a sequence, image or volume")


@register
@dataclass(frozen=True)
class Windows(_Moves):
    """Partition W×H×C into non-overlapping windows: (ws·ws) × nW × C, tokens by windows
    (torchvision's Swin `x.view(B, H/ws, ws, W/ws, ws, C).permute(0, 1, 3, 2, 4, 5)`). With
    `grid=true`, MaxViT's grid: window k holds the positions spaced n/g apart."""

    size: tuple[int, ...]
    grid: bool = False

    kind = "Windows"
    summary = "partitions W×H×C into windows: (ws·ws) × windows × C (Swin; grid=true: MaxViT)"
    schema = (Param("size", lambda a: A.sizes(a, "a window size"),
                    doc="the window (grid) size per spatial dim, W first; one number: square"),
              Param("grid", A.boolean, default=False, positional=False,
                    doc="MaxViT's grid: each window takes positions spaced n/size apart"))

    def windows(self, x: Shape) -> tuple[int, ...]:
        _partitioned_rank(x, self.kind)
        window = _window_sizes(self.size, x.rank, "size", x)
        _partition_problem(x, window, "size")
        return window

    def infer(self, inputs):
        x = inputs[0]
        window = self.windows(x)
        return Shape((prod(window), x.numel // x.channels // prod(window), x.channels))

    def torch(self, inputs, out, layout) -> TorchCode:
        x = inputs[0]
        split, perm, merged = _split(x.spatial, self.windows(x), self.grid)
        return rearranged((*split, x.channels), perm, (*merged, x.channels), layout)

    def args_text(self):
        return [_sizes_text(self.size)] + (["grid=true"] if self.grid else [])


@register
@dataclass(frozen=True)
class MergeWindows(_Moves):
    """The inverse of `Windows(size)`: (ws·ws) × nW × C back to the image of spatial size `out`."""

    size: tuple[int, ...]
    out: tuple[int, ...]
    grid: bool = False

    kind = "MergeWindows"
    summary = "merges (ws·ws) × windows × C back into the image (the inverse of Windows)"
    schema = (Param("size", lambda a: A.sizes(a, "a window size"), doc="the window size, as given to Windows"),
              Param("out", lambda a: A.sizes(a, "a size"),
                    doc="the merged image's spatial size, W first: (56, 56)"),
              Param("grid", A.boolean, default=False, positional=False))

    def image(self, x: Shape) -> tuple[tuple[int, ...], Shape]:
        """(window, the merged shape) of input x, or a ShapeProblem."""
        out = Shape((*self.out, x.channels))
        if len(self.out) > 3:
            raise ShapeProblem("E0303", f"MergeWindows into {len(self.out)} spatial dims",
                               arg="out", label="at most 3", help="windows come from L×C, W×H×C or W×H×D×C")
        window = _window_sizes(self.size, len(self.out), "size", out)
        _partition_problem(out, window, "out")
        want = (prod(window), prod(self.out) // prod(window), x.channels)
        if len(x) != 3 or tuple(x) != want:
            raise ShapeProblem("E0307", f"{self} expects "
                               f"{fmt_dims(want)} (tokens × windows × channels), receives "
                               f"{x.describe()}", arg="out", label=f"expects {fmt_dims(want)}",
                               blame_input=True, output=out,
                               help="give the window and the image size the windows were made from")
        return window, out

    def infer(self, inputs):
        return self.image(inputs[0])[1]

    def torch(self, inputs, out, layout) -> TorchCode:
        x = inputs[0]
        window, image = self.image(x)
        split, perm, merged = _split(image.spatial, window, self.grid)
        # The partition's inverse: the permuted split, the inverse permutation, the image.
        permuted = tuple(split[p - 1] for p in perm[:-1])
        inverse = tuple(perm.index(d) + 1 for d in range(1, len(perm) + 1))
        return rearranged((*permuted, x.channels), inverse, tuple(image), layout)

    def args_text(self):
        return [_sizes_text(self.size), tup(self.out)] + (["grid=true"] if self.grid else [])
