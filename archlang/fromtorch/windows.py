"""Window partitions read back: a run of reshapes and permutations that is archlang's
`Windows` or `MergeWindows` becomes that layer.

A compiled spec writes `Windows(7)` as reshape → permute → reshape (layers/tensor.py), and
torchvision's MaxViT writes its grid as reshape → permute → reshape → swapaxes. Read one op at
a time they are `reshape(…)`, `permutedims(…)`; here each run of them is compared, element by
element, with the partitions it could be (square windows that divide the map, plain or grid),
and one that moves every element the same way takes its place. So a spec converted from a
module and from its own compiled module read the same (the fixed point).
"""
from __future__ import annotations

import re
from math import prod

import numpy as np

from ..layers.tensor import _split
from .recognise import Layer, Num

MOVES = ("reshape", "permutedims")


def windows_layer(wh: int, ww: int, grid: bool = False) -> Layer:
    """`Windows(7)`, `Windows((w, h))`, with `grid=true` for MaxViT's grid."""
    return Layer("Windows", [window_text(wh, ww)], kw=[("grid", ["true"])] if grid else [])


def merge_layer(wh: int, ww: int, w: int, h: int, grid: bool = False) -> Layer:
    """`MergeWindows(7, (56, 56))`: back to a w×h map."""
    return Layer("MergeWindows", [window_text(wh, ww), ["(", Num(w, "n"), ", ", Num(h, "n"), ")"]],
                 kw=[("grid", ["true"])] if grid else [])


def window_text(h: int, w: int) -> list:
    """A window of h rows and w columns as the spec writes it: 7, or (w, h)."""
    return [Num(w, "k")] if w == h else ["(", Num(w, "k"), ", ", Num(h, "k"), ")"]


def _dims(layer: Layer) -> tuple[int, ...]:
    """A reshape's dims or a permutedims' permutation, as written."""
    if layer.head == "reshape":
        return tuple(f.value for arg in layer.pos for f in arg if isinstance(f, Num))
    return tuple(int(v) for v in re.findall(r"\d+", "".join(str(f) for f in layer.pos[0])))


def _shape_after(layer: Layer, shape: tuple) -> tuple:
    dims = _dims(layer)
    return dims if layer.head == "reshape" else tuple(shape[p - 1] for p in dims)


def _moved(ops: list, shape: tuple) -> np.ndarray:
    """Where each element goes: the ops on the spec's (column-major) indices."""
    a = np.arange(prod(shape)).reshape(shape, order="F")
    for head, dims in ops:
        a = a.reshape(dims, order="F") if head == "reshape" else np.transpose(a, [p - 1 for p in dims])
    return a


def _partition_ops(spatial: tuple, window: tuple, grid: bool, c: int, merge: bool) -> list:
    """Windows (or MergeWindows) as reshape, permutedims, reshape: layers/tensor.py's rule."""
    split, perm, merged = _split(spatial, window, grid)
    if not merge:
        return [("reshape", (*split, c)), ("permutedims", perm), ("reshape", (*merged, c))]
    permuted = tuple(split[p - 1] for p in perm[:-1])
    inverse = tuple(perm.index(d) + 1 for d in range(1, len(perm) + 1))
    return [("reshape", (*permuted, c)), ("permutedims", inverse), ("reshape", (*spatial, c))]


def _candidates(shape_in: tuple, shape_out: tuple, merge_first: bool):
    """(layer, its ops) of each partition of a map into square windows (plain or MaxViT's
    grid) that maps shape_in to shape_out: Windows, or MergeWindows back (first, after a
    Windows: a 2×2 grid of 2×2 windows has the shape of its map, and the same moves)."""
    c = shape_in[-1]
    if shape_out[-1] != c:
        return
    ways = ((False, shape_in[:-1], shape_out), (True, shape_out[:-1], shape_in))
    for merge, spatial, windowed in (reversed(ways) if merge_first else ways):
        if len(windowed) != 3 or len(spatial) != 2:
            continue
        tokens = windowed[0]
        w = round(tokens ** 0.5)
        if w * w != tokens or any(n % w for n in spatial) or windowed[1] * tokens != prod(spatial):
            continue
        width, height = spatial
        for grid in (False, True):
            layer = merge_layer(w, w, width, height, grid) if merge else windows_layer(w, w, grid)
            yield layer, _partition_ops(spatial, (w, w), grid, c, merge)


def fold(items: list) -> list:
    """`items` with each run of reshapes and permutations that is a window partition (or
    its inverse) replaced by Windows (MergeWindows)."""
    def moves(it) -> bool:
        return isinstance(it, Layer) and it.head in MOVES

    for k in range(1, len(items)):          # the dims entering each op of a run
        if moves(items[k]) and items[k].spec_in is None and moves(items[k - 1]) \
                and items[k - 1].spec_in is not None:
            items[k].spec_in = _shape_after(items[k - 1], tuple(items[k - 1].spec_in))
    out, i, windowed = [], 0, False
    while i < len(items):
        if not (moves(items[i]) and items[i].spec_in is not None):
            out.append(items[i])
            i += 1
            continue
        j = i
        while j < len(items) and moves(items[j]) and items[j].spec_in is not None:
            j += 1
        start, found = tuple(items[i].spec_in), None
        for end in range(j, i + 1, -1):                   # the longest run first
            last = items[end - 1]
            for layer, ops in _candidates(start, _shape_after(last, tuple(last.spec_in)), windowed):
                run = [(m.head, _dims(m)) for m in items[i:end]]
                if np.array_equal(_moved(run, start), _moved(ops, start)):
                    found = (layer, end)
                    break
            if found:
                break
        if found:
            out.append(found[0])
            i = found[1]
            windowed = found[0].head == "Windows"
        else:
            out.append(items[i])
            i += 1
    return out
