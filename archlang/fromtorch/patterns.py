"""Several torch operations that are one archlang layer, or none, recognised in a traced graph
before its structure is read (structure.py): each pattern rewrites the graph in place so that
one node stands for the layer, its Layer in `node.meta[LAYER]` (None: the step computes
nothing in a spec, as a layout change).

- a channel shuffle written with view / transpose / view (ShuffleNet v2) → ChannelShuffle;
- `x.chunk(n, dim=1)[i]` and `x.narrow(1, …)` of an n-th of the channels → Chunk(n, i + 1);
- a Parameter of C×1×…×1 times the value (ConvNeXt's `layer_scale * x`) → Scale(C; bias=false),
  keyed by the Parameter's name;
- a call of a module that is one layer up to a layout change (torchvision's LayerNorm2d:
  permute, F.layer_norm, permute back) → that layer; of a module whose forward only moves the
  channels last or first (torchvision's Permute) → a `Layout` change (layout.py pairs them);
  of a module without weights whose forward computes nothing in eval mode (StochasticDepth)
  → nothing.
"""
from __future__ import annotations

import operator

import torch
import torch.nn.functional as F
from torch import fx, nn

from .recognise import Layer, Num, Unsupported, computes_nothing, is_torch_module, layer_of_module, real32
from .trace import Traced

LAYER = "layer"
"""node.meta key: the Layer a pattern made of the node (None: nothing)."""


class Layout:
    """A permute that only moves the channels last (`last`) or back first: archlang's layers
    take their layout themselves, so a spec writes nothing for it (layout.py checks that what
    lies between a pair works per position)."""

    def __init__(self, last: bool, where: str):
        self.last, self.where = last, where

    def __repr__(self) -> str:
        return f"Layout(last={self.last})"


def recognised(x, *rest):
    """The target of a node a pattern stands for (never called: the graph is only read)."""
    return x


def rewrite(traced: dict[str, Traced]) -> None:
    """Every pattern, in every traced graph (in place)."""
    for t in traced.values():
        where = t.path or type(t.module).__name__
        _channel_shuffles(t.graph, where)
        _chunks(t.graph)
        _layer_scales(t, where)
        _layout_permutes(t.graph, where)
        for node in t.graph.nodes:
            if node.op == "call_module":
                path = f"{t.path}.{node.target}" if t.path else node.target
                found, layer = module_layer(traced, path, t.module.get_submodule(node.target))
                if found:
                    node.meta[LAYER] = layer
    _dead(traced)


# ---- whole modules --------------------------------------------------------------------------
def module_layer(traced: dict[str, Traced], path: str, m: nn.Module) -> tuple[bool, object]:
    """(True, what) when the module at `path` is one layer (a Layer), a layout change (a
    Layout) or nothing (None); (False, None) when it is a block to write."""
    if is_torch_module(m) or path not in traced:
        return False, None
    nodes = [n for n in traced[path].graph.nodes if n.op not in ("placeholder", "output", "get_attr")]
    if all(computes_nothing(n) for n in nodes) and not any(True for _ in m.state_dict()):
        return True, None                          # StochasticDepth in eval mode, an Identity
    if len(nodes) == 1 and _layout(nodes[0]) is not None and not any(True for _ in m.state_dict()):
        return True, Layout(_layout(nodes[0]), path)
    if isinstance(m, nn.LayerNorm) and _wrapped_layernorm(nodes, m):
        return True, layer_of_module(m, path, any_class=True)
    return False, None


def _wrapped_layernorm(nodes: list, m: nn.LayerNorm) -> bool:
    """permute to channels last, F.layer_norm with the module's own weight, bias and eps,
    permute back: torchvision's LayerNorm2d."""
    if len(nodes) != 3 or _layout(nodes[0]) is not True or _layout(nodes[2]) is not False:
        return False
    ln = nodes[1]
    if ln.target is not F.layer_norm or ln.args[0] is not nodes[0] or nodes[2].args[0] is not ln:
        return False
    kw = dict(zip(("input", "normalized_shape", "weight", "bias", "eps"), ln.args)) | dict(ln.kwargs)
    own = {k: getattr(kw.get(k), "target", None) for k in ("weight", "bias")}
    return own == {"weight": "weight", "bias": "bias"} and tuple(kw["normalized_shape"]) == \
        tuple(m.normalized_shape) and kw.get("eps", 1e-5) == m.eps


# ---- layout changes -------------------------------------------------------------------------
def _layout(node: fx.Node) -> bool | None:
    """True: `node` moves an N×C×… value's channels last; False: back first; None: neither
    (any other op, or a permute of other dims)."""
    if node.target is torch.permute or (node.op == "call_method" and node.target == "permute"):
        dims = node.args[1:] if node.op == "call_method" else (node.args[1],)
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        dims, rank = tuple(dims), len(dims)
        if rank < 3 or not all(isinstance(d, int) for d in dims):
            return None
        if dims == (0, *range(2, rank), 1):
            return True
        if dims == (0, rank - 1, *range(1, rank - 1)):
            return False
    return None


def _layout_permutes(graph: fx.Graph, where: str) -> None:
    for node in graph.nodes:
        last = _layout(node) if node.op in ("call_function", "call_method") else None
        if last is not None:
            node.meta[LAYER] = Layout(last, where)


# ---- channel shuffle --------------------------------------------------------------------------
def _channel_shuffles(graph: fx.Graph, where: str) -> None:
    """view(N, g, C/g, …) → transpose(1, 2) → [contiguous] → view(N, C, …) of a value x:
    ChannelShuffle(g) of x (the view's size arguments become dead)."""
    for last in list(graph.nodes):
        if not _is_method(last, "view", "reshape") or "shape" not in last.meta:
            continue
        mid = last.args[0]
        if _is_method(mid, "contiguous"):
            mid = mid.args[0]
        if not isinstance(mid, fx.Node) or not (mid.target is torch.transpose or _is_method(mid, "transpose")):
            continue
        first = mid.args[0]
        if not _is_method(first, "view", "reshape") or "shape" not in first.meta:
            continue
        x = first.args[0]
        shape, grouped = x.meta.get("shape"), first.meta["shape"]
        if shape is None or last.meta["shape"] != shape or len(grouped) != len(shape) + 1 \
                or {d % len(grouped) for d in mid.args[1:3]} != {1, 2} \
                or grouped[0] != shape[0] or grouped[1] * grouped[2] != shape[1] or grouped[3:] != shape[2:]:
            continue
        groups = int(grouped[1])
        with graph.inserting_before(last):
            node = graph.call_function(recognised, (x,))
        node.meta.update(shape=shape, **{LAYER: Layer("ChannelShuffle", [[Num(groups, "g")]])})
        last.replace_all_uses_with(node)


def _is_method(node, *names) -> bool:
    return isinstance(node, fx.Node) and node.op == "call_method" and node.target in names


# ---- chunks ------------------------------------------------------------------------------------
def _chunks(graph: fx.Graph) -> None:
    """`x.chunk(n, dim=1)[i]` (or torch.chunk) and `x.narrow(1, i·C/n, C/n)`: Chunk(n, i + 1)."""
    for node in list(graph.nodes):
        if node.op == "call_function" and node.target is operator.getitem and isinstance(node.args[0], fx.Node):
            chunk = node.args[0]
            if not (_is_method(chunk, "chunk") or chunk.target is torch.chunk):
                continue
            x = chunk.args[0]
            n = _argument(chunk, 1, "chunks")
            dim = _argument(chunk, 2, "dim", 0)
            index = node.args[1]
            channels = x.meta.get("shape", (0, 0))[1]
            if dim not in (1,) or not isinstance(n, int) or channels % n or not isinstance(index, int):
                continue
            _as_chunk(graph, node, x, n, index)
        elif _is_method(node, "narrow") or node.target is torch.narrow:
            x, dim, start, length = (_argument(node, i, k) for i, k in
                                     enumerate(("input", "dim", "start", "length")))
            channels = x.meta.get("shape", (0, 0))[1] if isinstance(x, fx.Node) else 0
            if dim != 1 or not length or channels % length or start % length:
                continue
            _as_chunk(graph, node, x, channels // length, start // length)


def _as_chunk(graph, node, x, n: int, index: int) -> None:
    with graph.inserting_before(node):
        new = graph.call_function(recognised, (x,))
    new.meta.update(shape=node.meta["shape"], **{LAYER: Layer("Chunk", [[Num(n, "n")], [str(index + 1)]])})
    node.replace_all_uses_with(new)


def _argument(node: fx.Node, i: int, key: str, default=None):
    if len(node.args) > i:
        return node.args[i]
    return node.kwargs.get(key, default)


# ---- layer scale --------------------------------------------------------------------------------
def _layer_scales(t: Traced, where: str) -> None:
    """`p * x` or `x * p` of a Parameter p of C×1×…×1 (C channels of x, channels first):
    Scale(C; bias=false, init=…), named as the Parameter (torchvision's `layer_scale`)."""
    for node in list(t.graph.nodes):
        if node.op != "call_function" or node.target not in (operator.mul, torch.mul) or len(node.args) != 2:
            continue
        attrs = [a for a in node.args if isinstance(a, fx.Node) and a.op == "get_attr"]
        values = [a for a in node.args if isinstance(a, fx.Node) and a.op != "get_attr"]
        if len(attrs) != 1 or len(values) != 1 or "." in attrs[0].target:
            continue
        try:
            p = t.module.get_parameter(attrs[0].target)
        except AttributeError:                    # a buffer: no layer holds one
            continue
        x = values[0]
        shape = x.meta.get("shape")
        if shape is None or len(shape) < 2 or tuple(p.shape) != (shape[1],) + (1,) * (len(shape) - 2):
            continue
        layer = Layer("Scale", [[Num(int(shape[1]), "c")]], kw=[("bias", ["false"])], weighted=True,
                      name=attrs[0].target)
        first = p.detach().flatten()[0]
        if bool((p == first).all()) and float(first) != 1.0:
            layer.kw.append(("init", [real32(float(first))]))   # as built: all γ alike
        with t.graph.inserting_before(node):
            new = t.graph.call_function(recognised, (x,))
        new.meta.update(shape=node.meta["shape"], **{LAYER: layer})
        node.replace_all_uses_with(new)


def _dead(traced: dict[str, Traced]) -> None:
    """Drop the nodes a rewrite left without users (a shuffle's sizes, a chunk's tuple)."""
    for t in traced.values():
        for node in reversed(list(t.graph.nodes)):
            if node.op in ("call_function", "call_method", "get_attr") and not node.users:
                t.graph.erase_node(node)


__all__ = ["LAYER", "Layout", "module_layer", "rewrite", "Unsupported"]
