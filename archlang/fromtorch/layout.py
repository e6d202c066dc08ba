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
"""
from __future__ import annotations

from .patterns import Layout
from .recognise import ACTIVATION, Layer, Unsupported

PER_POSITION = ("LayerNorm", "Dense", "Dropout", ACTIVATION)
"""Layers that compute the same on channels-last values: per position, over the channels."""
CHANNELS_LAST = ("LayerNorm", "Dense")


def paired(items: list, where: str, sequential: bool = False) -> list:
    """`items` without their Layout changes, once checked: each move to channels last has
    its move back, and only per-position layers lie between (in an nn.Sequential, at least
    two that take channels last, as the compiled module writes them)."""
    if sequential:
        _alone(items, where)
    out, open_, between = [], None, []
    for it in items:
        if isinstance(it, Layout):
            if it.last == (open_ is not None):
                raise Unsupported(it.where, "permute", "the channels are moved " + (
                    "last twice" if it.last else "first without having been moved last"))
            if not it.last and sequential and sum(
                    isinstance(b, Layer) and b.head in CHANNELS_LAST for b in between) < 2:
                raise Unsupported(it.where, "permute", "a permute pair around fewer than two "
                                  "layers that take channels last inside an nn.Sequential (the "
                                  "compiled module would hold them at other positions)")
            open_, between = (it if it.last else None), []
            continue
        if open_ is not None:
            if not (isinstance(it, Layer) and it.head in PER_POSITION):
                what = it.head if isinstance(it, Layer) else "a module that is no single layer"
                raise Unsupported(open_.where, "permute", f"{what} on channels-last values (only "
                                  "per-position layers: LayerNorm, Linear, activations, Dropout)")
            between.append(it)
        out.append(it)
    if open_ is not None:
        raise Unsupported(open_.where, "permute", "the channels are moved last and not back")
    return out


def _alone(items: list, where: str) -> None:
    """A LayerNorm outside a permute pair (torchvision's LayerNorm2d) compiles to one module
    only when no layer that takes channels last is its nearest neighbour (activations and
    Dropout skipped); else the compiled module would put permutes around it."""
    inside = False
    for i, it in enumerate(items):
        if isinstance(it, Layout):
            inside = it.last
        elif not inside and isinstance(it, Layer) and it.head == "LayerNorm":
            for side in (reversed(items[:i]), items[i + 1:]):
                near = next((n for n in side if not (isinstance(n, Layer) and n.head in (ACTIVATION, "Dropout"))), None)
                if isinstance(near, Layout) or (isinstance(near, Layer) and near.head in CHANNELS_LAST):
                    raise Unsupported(where, "LayerNorm", "a LayerNorm over the "
                                      "channels of channels-first values next to layers that take "
                                      "channels last inside an nn.Sequential")
