"""A function or method call of a traced forward → an archlang layer (or a join, or nothing),
read in the layout its input is in (layout.py)."""
from __future__ import annotations

import operator

import torch
import torch.nn.functional as F
from torch import fx

from ..layers import REGISTRY
from .layout import CF, CL, has_layout, permute_meaning, reshape_meaning, spec_dim_of, transpose_perm
from .recognise import (ACTIVATION_FUNCTIONS, JOIN_NAMES, JOINS, Layer, Num, Unsupported, activation,
                        computes_nothing, layer_of_module, reshape_layer, zero_pad)


class Join(str):
    """A join of values: "+", "*", "cat" (along the channels), or "cat" along spec dim `dims`
    (graph bodies only: `cat(a, b; dims=1)`)."""
    dims: int | None = None


def join(op: str, dims: int | None = None) -> Join:
    j = Join(op)
    j.dims = dims
    return j


def shape(n) -> tuple:
    return n.meta["shape"]


def arg(node, i, key, default=None):
    if len(node.args) > i:
        return node.args[i]
    return node.kwargs.get(key, default)


def spatial_dims(ins_shape, dims, layout) -> bool:
    """`dims` (PyTorch's, batch first) are every spatial dim of the input."""
    rank = len(ins_shape)
    dims = dims if isinstance(dims, (tuple, list)) else (dims,)
    want = list(range(2, rank)) if layout != CL else list(range(1, rank - 1))
    return sorted(d % rank for d in dims) == want


def _perm_args(node, ndims: int) -> tuple[int, ...] | None:
    """The permutation of a permute / transpose / swapaxes / movedim call, batch first."""
    name = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", "")
    rest = node.args[1:]
    if name == "permute":
        dims = rest[0] if len(rest) == 1 and isinstance(rest[0], (tuple, list)) else rest
        dims = dims or node.kwargs.get("dims")
        return tuple(d % ndims for d in dims)
    if name in ("transpose", "swapaxes", "swapdims"):
        a, b = rest[:2] if len(rest) >= 2 else (node.kwargs.get("dim0"), node.kwargs.get("dim1"))
        return transpose_perm(ndims, a, b)
    return None


def _move(layout: str, perm: tuple[int, ...], chosen: str | None):
    """A permute as a layout change (None) or a permutedims, and the result's layout."""
    out, spec = permute_meaning(perm, layout, chosen)
    if spec is None:
        return None, out
    return Layer("permutedims", [["(" + ", ".join(map(str, spec)) + ")"]]), out


def _index(node, ins_shape, layout, where):
    """`x[:, 0]`, `x[..., 2:5]`: Select / Slice along one spec dim."""
    index = node.args[1]
    index = index if isinstance(index, tuple) else (index,)
    ndims = len(ins_shape) - 1
    if Ellipsis in index:
        at = index.index(Ellipsis)
        index = index[:at] + (slice(None),) * (len(ins_shape) - len(index) + 1) + index[at + 1:]
    picked = [(t, i) for t, i in enumerate(index) if i != slice(None)]
    if len(picked) != 1 or picked[0][0] == 0:
        raise Unsupported(where, "getitem", f"an index {node.args[1]!r} of more than one dimension")
    t, i = picked[0]
    d = spec_dim_of(ndims, t, layout) if has_layout(ins_shape) else 1
    n = ins_shape[t]
    kw = [("dims", [str(d)])] if d != 1 else []
    if isinstance(i, int):
        return Layer("Select", [[str(i % n + 1)]], kw=kw)
    if isinstance(i, slice) and i.step in (None, 1):
        lo, hi, _ = i.indices(n)
        if hi > lo:
            return Layer("Slice", [[Num(lo + 1, "n")], [Num(hi, "n")]], kw=kw)
    raise Unsupported(where, "getitem", f"an index {node.args[1]!r} (archlang selects one element "
                      "or a range)")


def recognise_call(node: fx.Node, where: str, layout: str | None, ins: list, chosen: str | None = None):
    """(item, the result's layout) of a function or method call on `ins` (the values it
    depends on); `chosen` revises a permute's layout (structure.py). The item is a Layer, a
    list of Layers, a Join, or None (no operation: a layout change, dropout in eval mode)."""
    t = node.target
    name = t if isinstance(t, str) else getattr(t, "__name__", str(t))
    x = shape(ins[0])
    out = shape(node)
    keep = layout if has_layout(out) else None
    if t in JOINS or (node.op == "call_method" and name in JOIN_NAMES) or t in (torch.add, torch.mul):
        if len([a for a in node.args if isinstance(a, fx.Node)]) != 2 or node.kwargs:
            raise Unsupported(where, name, "a join of a tensor with a number or with alpha=")
        return join(JOINS.get(t) or JOIN_NAMES.get(name) or ("+" if t is torch.add else "*")), keep
    if t in (torch.cat, torch.concat):
        dim = arg(node, 1, "dim", 0) % len(out)
        d = spec_dim_of(len(out) - 1, dim, layout) if has_layout(out) else 1
        return join("cat", None if d == len(out) - 1 else d), keep
    if node.op == "call_module":
        raise AssertionError(node)
    if name in ACTIVATION_FUNCTIONS and len(ins) == 1:
        return activation(ACTIVATION_FUNCTIONS[name]), keep
    if t is F.gelu:
        return activation("gelu" if node.kwargs.get("approximate", "none") == "tanh" else "gelu_erf"), keep
    if t in (F.softmax, torch.softmax) or (node.op == "call_method" and name == "softmax"):
        dim = arg(node, 1, "dim")
        channels = -1 if layout == CL or not has_layout(x) else 1
        if dim is None or dim % len(x) != channels % len(x):
            raise Unsupported(where, name, "softmax over a dimension other than the channels")
        return activation("softmax"), keep
    perm = _perm_args(node, len(x)) if node.op == "call_method" or t in (torch.permute, torch.transpose, torch.swapaxes, torch.swapdims) \
        else None
    if perm is not None:
        if not has_layout(x):
            raise Unsupported(where, name, "a permutation of a vector")
        return _move(layout, perm, chosen)
    if t is torch.flatten or name in ("flatten", "view", "reshape"):
        if out == x:
            return None, layout
        meaning = reshape_meaning(x, out, layout)
        if meaning is None:
            raise Unsupported(where, name, f"a reshape from {x} to {out} that mixes the channels "
                              "of a channels-last tensor")
        new_layout, dims = meaning
        if new_layout is None and len(dims) == 1:
            return Layer("flatten"), None
        return reshape_layer(dims), new_layout
    if computes_nothing(node):
        return None, layout       # F.dropout, torchvision's stochastic_depth in eval mode
    if name in ("expand", "expand_as", "contiguous", "clone", "detach"):
        if out != x:
            raise Unsupported(where, name, f"an expansion from {x} to {out}")
        return None, layout
    if t is operator.getitem:
        if ins[0].meta.get("tuple") and node.args[1] == 0:
            return None, layout          # nn.MultiheadAttention's output, of (output, weights)
        item = _index(node, x, layout, where)
        return item, keep
    if name == "select" and node.op == "call_method":
        dim, index = arg(node, 1, "dim"), arg(node, 2, "index")
        d = spec_dim_of(len(x) - 1, dim, layout) if has_layout(x) else 1
        return Layer("Select", [[str(index % x[dim] + 1)]], kw=[("dims", [str(d)])] if d != 1 else []), keep
    if t is torch.roll or name == "roll":
        shifts, dims = arg(node, 1, "shifts"), arg(node, 2, "dims")
        shifts = shifts if isinstance(shifts, (tuple, list)) else (shifts,)
        dims = dims if isinstance(dims, (tuple, list)) else (dims,)
        if None in dims or not has_layout(x):
            raise Unsupported(where, "roll", "a roll of the flattened tensor")
        spec = sorted((spec_dim_of(len(x) - 1, d, layout), s) for d, s in zip(dims, shifts))
        values = ["(" + ", ".join(str(s) for _, s in spec) + ")"] if len(spec) > 1 else [str(spec[0][1])]
        if [d for d, _ in spec] == list(range(1, len(spec) + 1)):
            return Layer("circshift", [values]), layout
        return Layer("circshift", [values], kw=[("dims", [
            "(" + ", ".join(str(d) for d, _ in spec) + ")" if len(spec) > 1 else str(spec[0][0])])]), layout
    if t in (F.adaptive_avg_pool2d, F.adaptive_avg_pool1d, F.adaptive_avg_pool3d):
        size = arg(node, 1, "output_size")
        if size in (1, (1, 1), [1, 1], (1, 1, 1), [1, 1, 1], (1,)):
            return Layer("GlobalMeanPool", []), CF
        raise Unsupported(where, name, f"output size {size}")
    if name == "mean" and node.op == "call_method" or t is torch.mean:
        dims = arg(node, 1, "dim")
        if dims is not None and spatial_dims(x, dims, layout):
            keep_dim = arg(node, 2, "keepdim", False)
            return [Layer("GlobalMeanPool", [])] + ([] if keep_dim else [Layer("flatten")]), \
                (layout if keep_dim else None)
        raise Unsupported(where, name, f"a mean over dims {dims}")
    if t in (F.avg_pool2d, F.max_pool2d, F.avg_pool1d, F.max_pool1d):
        # The functional form of a pooling module (Inception v3's branches): the same layer.
        module = (torch.nn.AvgPool2d if t is F.avg_pool2d else torch.nn.MaxPool2d if t is F.max_pool2d
                  else torch.nn.AvgPool1d if t is F.avg_pool1d else torch.nn.MaxPool1d)
        names = (("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override")
                 if "avg" in name else ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"))
        kw = {k: arg(node, i + 1, k) for i, k in enumerate(names)}
        return layer_of_module(module(**{k: v for k, v in kw.items() if v is not None}), where), CF
    if t is F.pad or (node.op == "call_method" and name == "pad"):
        return _zero_pad(node, x, layout, where), layout
    if name == "narrow" and (node.op == "call_method" or t is torch.narrow):
        dim, start, length = (arg(node, i, k) for i, k in ((1, "dim"), (2, "start"), (3, "length")))
        d = spec_dim_of(len(x) - 1, dim, layout) if has_layout(x) else 1
        return Layer("Slice", [[Num(start + 1, "n")], [Num(start + length, "n")]],
                     kw=[("dims", [str(d)])] if d != len(x) - 1 else []), keep
    if name == "_patch_merging_pad":
        return _patch_merging(x, layout, where), CL
    raise Unsupported(where, name, "no archlang layer computes this operation")


def _zero_pad(node, x, layout, where) -> Layer:
    """`F.pad(x, (…))` with zeros, of the positions only: ZeroPad."""
    pads = tuple(arg(node, 1, "pad"))
    if arg(node, 2, "mode", "constant") != "constant" or arg(node, 3, "value", 0) not in (0, 0.0, None):
        raise Unsupported(where, "pad", "padding other than with zeros")
    n = len(x) - 1                                       # spec dims
    lo, hi = [0] * n, [0] * n
    for k in range(len(pads) // 2):
        t = len(x) - 1 - k                               # F.pad's pairs start at the last dim
        if not pads[2 * k] and not pads[2 * k + 1]:
            continue
        d = spec_dim_of(n, t, layout) if has_layout(x) else 1
        if t == 0 or d == n:
            raise Unsupported(where, "pad", "padding of the batch or the channels")
        lo[d - 1], hi[d - 1] = pads[2 * k], pads[2 * k + 1]
    return zero_pad(lo[:n - 1], hi[:n - 1])


def _patch_merging(x, layout, where) -> list[Layer]:
    """torchvision's Swin `_patch_merging_pad` on N×H×W×C: the 2×2 neighbours of each pixel
    side by side in the channels, x0 … x3 at (row, column) offsets (0, 0), (1, 0), (0, 1),
    (1, 1) (specs/zoo/swin_t.arch's PatchMerging): channel c + C·row offset + 2C·column offset."""
    if layout != CL or len(x) != 4:
        raise Unsupported(where, "_patch_merging_pad", "patch merging of a tensor that is not N×H×W×C")
    _, h, w, c = x
    pad = [zero_pad((0, 0), (w % 2, h % 2))] if h % 2 or w % 2 else []    # torchvision pads odd sizes
    w, h = w + w % 2, h + h % 2
    return pad + [reshape_layer((2, w // 2, 2, h // 2, c)), Layer("permutedims", [["(2, 4, 5, 3, 1)"]]),
                  reshape_layer((w // 2, h // 2, 4 * c))]



def layer_layout(item) -> str | None:
    """The layout a recognised layer takes (CF, CL), or None: any (element-wise, moves)."""
    head = item.head if isinstance(item, Layer) else None
    cls = REGISTRY.get(head) if head else None
    want = getattr(cls, "layout", None)
    return want if want in (CF, CL) else None

