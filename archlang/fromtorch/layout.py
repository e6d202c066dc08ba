"""Layout changes in a module's forward or an nn.Sequential: a permute that moves the
channels last, per-position layers, a permute that moves them back. archlang's layers take
the layout themselves (layers/layout.py), so a spec writes the layers between and nothing for
the permutes; what lies between must work per position (LayerNorm, Dense, activations,
Dropout), and each permute must have its pair in the same forward or Sequential.

In an nn.Sequential the keys are positions, and the compiled module puts its own Permute
modules where the layout changes (backends/torch/occurrences.py): a pair around two layers
or more that take channels last, or a LayerNorm on an image alone between layers that take
channels first (torchvision's LayerNorm2d). A Sequential whose permutes fall elsewhere would
compile to other keys, and is refused.

Reading a forward (structure.py), each tensor's layout is followed from the input (channels
first) through the layers: a convolution takes channels first, nn.Linear and LayerNorm
channels last, element-wise operations keep what they get. So a permute is one of:

- a **layout change** (`x.permute(0, 2, 3, 1)` of N×C×H×W, `x.transpose(1, 2)` of N×C×L):
  the same spec value, no operation of the spec (torchvision's Swin `Permute([0, 2, 3, 1])`,
  which its model undoes only at the end, ViT's `x.permute(0, 2, 1)` after its patch
  embedding, the compiled module's own transposes);
- a `permutedims` of the spec, in whichever layout the channels end up in.

`permute_meaning` chooses: the result keeps the input's channels as its channels when it
can (channels first → last is a layout change); structure.py revises that choice where a
later layer needs the other layout. `reshape_meaning` and `spec_dim_of` read reshapes and
indices the same way.
"""
from __future__ import annotations

from math import prod

from ..layers import REGISTRY
from ..layers.layout import CHANNELS_FIRST as CF, CHANNELS_LAST as CL, spec_order, torch_dim
from .patterns import Layout
from .recognise import ACTIVATION, Layer, Unsupported

PER_POSITION = ("LayerNorm", "Dense", "Dropout", ACTIVATION)
"""Layers that compute the same on channels-last values: per position, over the channels."""
CHANNELS_LAST = ("LayerNorm", "Dense")


def paired(items: list, where: str, sequential: bool = False, came: str | None = None) -> list:
    """`items` without their Layout changes, once checked: each move to channels last has
    its move back (in a forward), and the compiled module would write the same: in an
    nn.Sequential (its input arriving in `came`), a pair of moves around at least two layers
    that take channels last, no layer that takes channels first between, and a LayerNorm on
    channels-first values alone between such layers (LayerNorm2d). A move last that the
    Sequential does not undo (torchvision's Swin stem: Conv2d, Permute, LayerNorm, whose
    blocks take channels last) or a move back at its very end hold no weights and move no
    key (backends/torch/occurrences.py writes the same)."""
    if sequential:
        _alone(items, where, came)
    out, inside, opened, between = [], came == CL, None, []
    for i, it in enumerate(items):
        if isinstance(it, Layout):
            if it.last == inside:
                raise Unsupported(it.where, "permute", "the channels are moved " + (
                    "last twice" if it.last else "first without having been moved last"))
            if not it.last and sequential and opened is not None and i < len(items) - 1 and sum(
                    isinstance(b, Layer) and b.head in CHANNELS_LAST for b in between) < 2:
                raise Unsupported(it.where, "permute", "a permute pair around fewer than two "
                                  "layers that take channels last inside an nn.Sequential (the "
                                  "compiled module would hold them at other positions)")
            inside, opened, between = it.last, (it if it.last else None), []
            continue
        if inside:
            if isinstance(it, Layer) and _takes(it) == CF:
                raise Unsupported(getattr(opened, "where", where), it.head, "a layer that takes "
                                  "channels first among channels-last values inside an nn.Sequential")
            between.append(it)
        out.append(it)
    if opened is not None and not sequential:
        raise Unsupported(opened.where, "permute", "the channels are moved last and not back")
    return out


def _takes(layer: Layer) -> str | None:
    cls = REGISTRY.get(layer.head)
    return getattr(cls, "layout", None)


def _alone(items: list, where: str, came: str | None = None) -> None:
    """A LayerNorm outside a permute pair (torchvision's LayerNorm2d) compiles to one module
    only when no layer that takes channels last is its nearest neighbour (activations and
    Dropout skipped); else the compiled module would put permutes around it."""
    inside = came == CL
    for i, it in enumerate(items):
        if isinstance(it, Layout):
            inside = it.last
        elif not inside and isinstance(it, Layer) and it.head == "LayerNorm" and \
                not (it.spec_in is not None and len(it.spec_in) == 1):          # not of a vector
            for side in (reversed(items[:i]), items[i + 1:]):
                near = next((n for n in side if not (isinstance(n, Layer) and n.head in (ACTIVATION, "Dropout"))), None)
                if isinstance(near, Layout) or (isinstance(near, Layer) and near.head in CHANNELS_LAST):
                    raise Unsupported(where, "LayerNorm", "a LayerNorm over the "
                                      "channels of channels-first values next to layers that take "
                                      "channels last inside an nn.Sequential")


# ---- following a value's layout -----------------------------------------------------------------
def has_layout(shape) -> bool:
    """A tensor (batch first) whose layout matters: a channel dim besides positions."""
    return len(shape) >= 3


def spec_dims(shape, layout: str | None) -> tuple[int, ...]:
    """A PyTorch shape (batch first) → the spec's dims in `layout` (None: a vector)."""
    return spec_order(shape[1:], layout or CF)


def other(layout: str) -> str:
    return CL if layout == CF else CF


def spec_dim_of(ndims: int, t: int, layout: str) -> int:
    """PyTorch dim t (batch is 0; negative counts from the end) → spec dim (1-based)."""
    t = t % (ndims + 1)
    return next(d for d in range(1, ndims + 1) if torch_dim(ndims, d, layout) == t)


def permute_meaning(perm: tuple[int, ...], layout: str, out_layout: str | None = None
                    ) -> tuple[str, tuple[int, ...] | None]:
    """(the result's layout, the spec's permutation or None for a layout change) of
    `x.permute(*perm)` on a value in `layout`. The result is channels last when the input's
    channels go last, channels first when they go to dim 1, else in the input's layout, unless
    `out_layout` says which (structure.py revises the choice where a later layer needs it)."""
    n = len(perm) - 1
    channel = perm.index(torch_dim(n, n, layout))
    if out_layout is None:
        out_layout = CL if channel == n and n > 1 else CF if channel == 1 else layout
    # Output spec dim s sits at PyTorch dim torch_dim(s, out_layout) and is read from input
    # PyTorch dim perm[that]: the input's spec dim there.
    spec = tuple(spec_dim_of(n, perm[torch_dim(n, s, out_layout)], layout) for s in range(1, n + 1))
    return out_layout, (None if spec == tuple(range(1, n + 1)) else spec)


def transpose_perm(ndims: int, a: int, b: int) -> tuple[int, ...]:
    """`x.transpose(a, b)` (dims of an N-first tensor of `ndims` dims) as a permute."""
    perm = list(range(ndims))
    a, b = a % ndims, b % ndims
    perm[a], perm[b] = perm[b], perm[a]
    return tuple(perm)


def reshape_meaning(shape_in, shape_out, layout: str | None) -> tuple[str | None, tuple[int, ...]] | None:
    """(the result's layout, its spec dims) of a reshape that keeps the batch, or None where no
    spec reshape computes it. Channels first, PyTorch's row-major order is the spec's
    column-major one; channels last too, as long as the channels stay the last dim whole."""
    if shape_out[0] != shape_in[0] or prod(shape_out) != prod(shape_in):
        return None
    if not has_layout(shape_in) or layout == CF:
        out = CF if has_layout(shape_out) else None
        return out, spec_dims(shape_out, out)
    if has_layout(shape_out) and shape_out[-1] == shape_in[-1]:
        return CL, spec_dims(shape_out, CL)
    if all(d == 1 for d in shape_in[1:-1]):       # positions of size 1: the same order
        out = CF if has_layout(shape_out) else None
        return out, spec_dims(shape_out, out)
    return None
