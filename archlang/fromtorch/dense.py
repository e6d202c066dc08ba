"""A dense block (DenseNet): each layer reads the concatenation of the block's input and every
earlier layer's output, and the block gives them all concatenated.

torchvision writes it with a list: `features = [x]`, then for each layer `new =
layer(features)` (its forward begins with `torch.cat(features, 1)`) and `features.append(new)`,
and finally `torch.cat(features, 1)`. Concatenation being associative, the same is a chain of
`y_k = cat(y_{k-1}, layer_k(y_{k-1}))`: each layer a `Parallel(cat, identity, …)` of its
input and its new features, as archlang's own DenseLayer (std/densenet.arch) writes it. The
graphs are rewritten so: the block calls each layer on the value so far, and each layer's
graph takes that value, drops the cat of its list and ends with `cat([input, new], 1)`. The
keys do not move (`denseblock1.denselayer1.norm1.weight`).
"""
from __future__ import annotations

import torch
from torch import fx

from .trace import Traced


def rewrite(traced: dict[str, Traced]) -> None:
    for t in list(traced.values()):
        calls = [n for n in t.graph.nodes if n.op == "call_module" and _listed(n)]
        if calls:
            _block(t, calls, traced)


def _listed(node: fx.Node):
    """The tensors of a module call on one list of tensors, else None."""
    if len(node.args) == 1 and not node.kwargs and isinstance(node.args[0], (list, tuple)) \
            and all(isinstance(a, fx.Node) for a in node.args[0]):
        return list(node.args[0])
    return None


def _block(t: Traced, calls: list[fx.Node], traced: dict[str, Traced]) -> None:
    """Rewrite when the calls form a dense block: call k gets [x, out_1, …, out_{k-1}], a
    cat of [x, out_1, …, out_n] along the channels ends it, and each layer's forward begins
    by concatenating its list. Anything else is left for structure.py to report."""
    x = _listed(calls[0])
    if len(x) != 1:
        return
    x = x[0]
    for k, call in enumerate(calls):
        if _listed(call) != [x, *calls[:k]]:
            return
    ends = [u for u in calls[-1].users if u.op == "call_function" and u.target in (torch.cat, torch.concat)]
    if len(ends) != 1:
        return
    end = ends[0]
    if list(end.args[0]) != [x, *calls] or _dim(end) != 1:
        return
    layers = [traced.get(f"{t.path}.{c.target}" if t.path else c.target) for c in calls]
    if any(layer is None or _first_cat(layer) is None for layer in layers):
        return
    y = x
    for call, layer in zip(calls, layers):
        _takes_a_tensor(layer)
        call.args = (y,)
        call.meta["shape"] = _joined(y.meta["shape"], call.meta["shape"])
        y = call
    end.replace_all_uses_with(y)
    t.graph.erase_node(end)


def _dim(node: fx.Node):
    return node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)


def _first_cat(layer: Traced) -> fx.Node | None:
    """The `torch.cat(input, 1)` of a layer's list input, its only use."""
    (p,) = [n for n in layer.graph.nodes if n.op == "placeholder"] or [None]
    if p is None or len(p.users) != 1:
        return None
    (cat,) = p.users
    if cat.op != "call_function" or cat.target not in (torch.cat, torch.concat) or cat.args[0] is not p \
            or _dim(cat) != 1:
        return None
    return cat


def _takes_a_tensor(layer: Traced) -> None:
    """The layer's graph on the concatenated value: its input is that value, and it returns
    the input with its new features after it."""
    graph = layer.graph
    cat = _first_cat(layer)
    p = cat.args[0]
    p.meta["shape"] = cat.meta["shape"]
    cat.replace_all_uses_with(p)
    graph.erase_node(cat)
    out = next(n for n in graph.nodes if n.op == "output")
    new = out.args[0]
    with graph.inserting_before(out):
        joined = graph.call_function(torch.cat, ([p, new], 1))
    joined.meta["shape"] = _joined(p.meta["shape"], new.meta["shape"])
    out.args = (joined,)


def _joined(a: tuple, b: tuple) -> tuple:
    return (a[0], a[1] + b[1], *a[2:])
