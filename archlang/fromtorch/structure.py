"""A traced forward → a series-parallel expression: Chain of layers, Parallel joins and
SkipConnections, submodule calls left for the writer. A graph that is not series-parallel
(a value used after a join) or an operation without an archlang layer is Unsupported."""
from __future__ import annotations

import operator
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import fx

from .recognise import (ACTIVATION_FUNCTIONS, JOIN_NAMES, JOINS, Layer, Unsupported, activation,
                        computes_nothing, flattens, is_torch_module, layer_of_module)
from .patterns import LAYER
from .trace import Traced


@dataclass
class Sub:
    """A call of a submodule that is no single layer: a block, or an nn.Sequential."""
    path: str       # qualified in the root
    attr: str       # the attribute in its parent


@dataclass
class Seq:
    items: list = field(default_factory=list)


@dataclass
class Par:
    op: str                    # "+", "*", "cat"
    branches: list             # Seq each; an empty Seq is the input itself


def _tensor(n) -> bool:
    return isinstance(n, fx.Node) and "shape" in n.meta


def _shape(n) -> tuple:
    return n.meta["shape"]


def tensor_inputs(node: fx.Node) -> list[fx.Node]:
    found = []
    fx.node.map_arg((node.args, node.kwargs), lambda a: found.append(a) if _tensor(a) else None)
    return found


def _arg(node, i, key, default=None):
    if len(node.args) > i:
        return node.args[i]
    return node.kwargs.get(key, default)


def _spatial_dims(node, dims) -> bool:
    """`dims` names every spatial dimension of the node's input (N×C×…)."""
    rank = len(_shape(tensor_inputs(node)[0]))
    dims = dims if isinstance(dims, (tuple, list)) else (dims,)
    return sorted(d % rank for d in dims) == list(range(2, rank))


def recognise_call(node: fx.Node, where: str):
    """A function or method call → a Layer, a list of Layers, a join op, or None (no-op)."""
    t = node.target
    name = t if isinstance(t, str) else getattr(t, "__name__", str(t))
    ins = tensor_inputs(node)
    if t in JOINS or (node.op == "call_method" and name in JOIN_NAMES) or t in (torch.add, torch.mul):
        if len(ins) != 2 or len(ins) != len([a for a in node.args if isinstance(a, fx.Node)]) or node.kwargs:
            raise Unsupported(where, name, "a join of a tensor with a number or with alpha=")
        return JOINS.get(t) or JOIN_NAMES.get(name) or ("+" if t is torch.add else "*")
    if t in (torch.cat, torch.concat):
        dim = _arg(node, 1, "dim", 0)
        rank = len(_shape(node))
        if dim % rank != 1:
            raise Unsupported(where, "torch.cat", f"along dim={dim} (archlang joins along the channels)")
        return "cat"
    if name in ACTIVATION_FUNCTIONS and len(ins) == 1:
        return activation(ACTIVATION_FUNCTIONS[name])
    if t is F.gelu:
        return activation("gelu" if node.kwargs.get("approximate", "none") == "tanh" else "gelu_erf")
    if t in (F.softmax, torch.softmax) or (node.op == "call_method" and name == "softmax"):
        if _arg(node, 1, "dim") not in (1, -1):
            raise Unsupported(where, name, "softmax over a dimension other than the channels")
        return activation("softmax")
    if t in (torch.flatten,) or name in ("flatten", "view", "reshape"):
        if flattens(_shape(ins[0]), _shape(node)):
            return Layer("flatten")
        if _shape(ins[0]) == _shape(node):
            return None
        raise Unsupported(where, name, f"a reshape from {_shape(ins[0])} to {_shape(node)}")
    if t in (F.adaptive_avg_pool2d, F.adaptive_avg_pool1d, F.adaptive_avg_pool3d):
        size = _arg(node, 1, "output_size")
        if size in (1, (1, 1), [1, 1], (1, 1, 1), [1, 1, 1], (1,)):
            return Layer("GlobalMeanPool", [])
        raise Unsupported(where, name, f"output size {size}")
    if name == "mean" and node.op == "call_method" or t is torch.mean:
        dims = _arg(node, 1, "dim")
        if dims is not None and _spatial_dims(node, dims):
            keep = _arg(node, 2, "keepdim", False)
            return [Layer("GlobalMeanPool", [])] + ([] if keep else [Layer("flatten")])
        raise Unsupported(where, name, f"a mean over dims {dims}")
    if t in (F.avg_pool2d, F.max_pool2d, F.avg_pool1d, F.max_pool1d):
        # The functional form of a pooling module (Inception v3's branches): the same layer.
        module = (torch.nn.AvgPool2d if t is F.avg_pool2d else torch.nn.MaxPool2d if t is F.max_pool2d
                  else torch.nn.AvgPool1d if t is F.avg_pool1d else torch.nn.MaxPool1d)
        names = (("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override")
                 if "avg" in name else ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"))
        kw = {k: _arg(node, i + 1, k) for i, k in enumerate(names)}
        return layer_of_module(module(**{k: v for k, v in kw.items() if v is not None}), where)
    if computes_nothing(node):
        return None       # F.dropout, torchvision.ops.stochastic_depth in eval mode
    raise Unsupported(where, name, "no archlang layer computes this operation")


class Builder:
    """One traced body → Seq; `where` prefixes names in diagnostics."""

    def __init__(self, traced: Traced):
        self.t = traced
        self.where = traced.path or type(traced.module).__name__
        nodes = list(traced.graph.nodes)
        self.order = {n: i for i, n in enumerate(nodes)}
        self.inputs = [n for n in nodes if n.op == "placeholder"]
        outs = [n for n in nodes if n.op == "output"][0].args[0]
        if len(self.inputs) != 1 or not isinstance(outs, fx.Node):
            raise Unsupported(self.where, "forward", "a forward with several inputs or outputs")
        self.output = outs
        self.users = {n: [u for u in n.users if n in tensor_inputs(u)] for n in nodes if _tensor(n)}

    def item(self, node: fx.Node):
        """The layer(s) one node computes; a join op string for a join; a Layout change."""
        where = f"{self.where}.{node.target}" if node.op == "call_module" else self.where
        if LAYER in node.meta:                  # patterns.py: one layer, a layout change, or none
            found = node.meta[LAYER]
            if isinstance(found, Layer) and found.weighted and node.op == "call_module":
                if not node.target.isidentifier():
                    raise Unsupported(where, found.head, "a submodule reached by index")
                found.name = node.target
            return found
        if node.op == "call_module":
            sub = self.t.module.get_submodule(node.target)
            path = f"{self.t.path}.{node.target}" if self.t.path else node.target
            if is_torch_module(sub):
                layer = layer_of_module(sub, path)
                if layer.weighted:
                    if not node.target.isidentifier():
                        raise Unsupported(path, type(sub).__name__, "a submodule reached by index")
                    layer.name = node.target
                return layer
            if not node.target.isidentifier():
                raise Unsupported(path, type(sub).__name__, "a submodule reached by index")
            return Sub(path, node.target)
        if node.op in ("call_function", "call_method"):
            return recognise_call(node, where)
        raise Unsupported(where, f"{node.op} {node.target}",
                          "a tensor the forward reads itself (archlang has Parameter in graph bodies only)")

    def build(self) -> Seq:
        return Seq(self.chain(self.inputs[0], self.output, None))

    def chain(self, v: fx.Node, end: fx.Node, region: set | None) -> list:
        items = []
        while v is not end:
            users = [u for u in self.users.get(v, []) if region is None or u in region]
            if len(users) == 1 and len(tensor_inputs(users[0])) == 1:
                u = users[0]
                got = self.item(u)
                if isinstance(got, str):
                    raise Unsupported(self.where, u.name, "a join of one value with itself")
                items += got if isinstance(got, list) else [got] if got is not None else []
                v = u
                continue
            join = self.merge(v, region)
            op = self.item(join)
            if not isinstance(op, str):
                raise Unsupported(self.where, join.name, "a layer that takes several inputs")
            branches = []
            for e in tensor_inputs(join):
                branches.append(Seq([] if e is v else self.chain(v, e, self.ancestors(e, v))))
            items.append(Par(op, branches))
            v = join
        return items

    def ancestors(self, e: fx.Node, v: fx.Node) -> set:
        seen, todo = {e}, [e]
        while todo:
            n = todo.pop()
            for i in tensor_inputs(n):
                if i is not v and i not in seen:
                    seen.add(i)
                    todo.append(i)
        return seen

    def merge(self, v: fx.Node, region) -> fx.Node:
        """Where every path from v meets again (its immediate post-dominator)."""
        live = {v: len([u for u in self.users[v] if region is None or u in region])}
        for n in sorted(self.users, key=self.order.get):
            if self.order[n] <= self.order[v] or (region is not None and n not in region):
                continue
            ins = tensor_inputs(n)
            used = [i for i in ins if i in live]
            if not used:
                continue
            if len(used) != len(ins):
                raise Unsupported(self.where, n.name, "a value used after the branches it feeds join "
                                  "(not a chain of branches and joins)")
            for i in used:
                live[i] -= 1
                if live[i] == 0:
                    del live[i]
            live[n] = len([u for u in self.users[n] if region is None or u in region])
            if len(live) == 1 and n in live:
                return n
        raise Unsupported(self.where, v.name, "branches that never join")


def body(traced: Traced) -> Seq:
    return Builder(traced).build()
