"""A traced forward → a series-parallel expression: Chain of layers, Parallel joins and
SkipConnections, submodule calls left for the writer; or, for the model itself when its data
does not flow so (ViT's class token joined to the patches), a graph body of named values.

Each value's PyTorch layout is followed from the input (layout.py): a permute that moves the
channels is a layout change, not a layer, and where a layer needs the other layout than the
one chosen, the permute before it is read the other way (MLP-Mixer's transpose between two
per-token layers is a `permutedims`, Swin's `Permute([0, 2, 3, 1])` before LayerNorm is no
operation). A graph that is not series-parallel (in a block), an operation without an
archlang layer, or a layer on a layout it cannot take is Unsupported."""
from __future__ import annotations

from dataclasses import dataclass, field

from torch import fx, nn

from .attention import attention, is_attention
from .calls import Join, layer_layout, recognise_call, shape
from .layout import CF, CL, has_layout, spec_dims
from .patterns import LAYER, Layout
from .recognise import Layer, Num, Unsupported, is_torch_module, layer_of_module
from .trace import Traced


@dataclass
class Sub:
    """A call of a submodule that is no single layer: a block, or an nn.Sequential."""
    path: str       # qualified in the root
    attr: str       # the attribute in its parent


@dataclass
class Listed:
    """A call of element `index` of an nn.ModuleList (`for block in self.blocks: x = block(x)`
    reaches `blocks.0`, `blocks.1`, …); the calls of all of them in order are one Sub, the
    list written as a named Chain (an nn.Sequential has the same keys)."""
    path: str       # the element's, qualified in the root
    attr: str       # the list's attribute
    index: int


@dataclass
class Seq:
    items: list = field(default_factory=list)


@dataclass
class Par:
    op: str                    # "+", "*", "cat"
    branches: list             # Seq each; an empty Seq is the input itself


# ---- graph bodies ------------------------------------------------------------------------------
@dataclass
class Ref:
    """A value by name: the input, or a statement's."""
    name: str


@dataclass
class Apply:
    """Layers applied to a value: `Chain(…)(v)`."""
    items: list
    arg: object


@dataclass
class JoinOf:
    """`a + b`, `a * b`, `cat(a, b; dims=d)`."""
    op: Join
    args: list


@dataclass
class Body:
    """A model's graph body: statements (name, expression or Parameter layer), and the
    returned expression."""
    statements: list
    output: object


class Conflict(Exception):
    """A layer (`node`) that takes one layout met a value (`start`) in the other: `wants` the
    one it takes. A join of values in two layouts may also be mended on its other side:
    `others`, more (start, wants)."""

    def __init__(self, node, wants: str, start, others: tuple = ()):
        super().__init__(f"{node} wants {wants}")
        self.node, self.wants, self.start = node, wants, start
        self.ways = ((start, wants), *others)


class NeedsLayout(Exception):
    """A body whose first layer needs its input in `wants` (the caller revises a permute)."""

    def __init__(self, wants: str):
        super().__init__(wants)
        self.wants = wants


class NotSeriesParallel(Unsupported):
    """A forward whose data does not flow as a nest of branches and joins."""


def _tensor(n) -> bool:
    return isinstance(n, fx.Node) and "shape" in n.meta


def _target_name(n) -> str:
    return n.target if isinstance(n.target, str) else getattr(n.target, "__name__", "")


def _is_permute(n) -> bool:
    """A permute call: read here, in the layout its input is in (patterns.py marks those that
    move the channels without knowing which layout that is)."""
    name = n.target if isinstance(n.target, str) else getattr(n.target, "__name__", "")
    return n.op in ("call_function", "call_method") and name in MOVES


LAYOUT_WORDS = {CF: "channels first (N×C×H×W)", CL: "channels last (N×H×W×C)"}
MOVES = ("permute", "transpose", "swapaxes", "swapdims")


class Builder:
    """One traced body, its input in `layout_in`; `subs(path, module, layout)` gives the
    layout a block's or Sequential's output is in (converting it)."""

    def __init__(self, traced: Traced, layout_in: str | None, subs):
        self.t = traced
        self.where = traced.path or type(traced.module).__name__
        self.nodes = list(traced.graph.nodes)
        self.order = {n: i for i, n in enumerate(self.nodes)}
        # Inputs that are no tensors (MaxViT's WindowPartition(x, p)) are numbers the caller
        # passes: the shapes they give are read from the graph.
        self.inputs = [n for n in self.nodes if n.op == "placeholder" and _tensor(n)]
        outs = [n for n in self.nodes if n.op == "output"][0].args[0]
        if len(self.inputs) != 1 or not isinstance(outs, fx.Node):
            raise Unsupported(self.where, "forward", "a forward with several inputs or outputs")
        self.output = outs
        self.layout_in, self.subs = layout_in, subs
        self.chosen: dict = {}           # permute node → the layout it is read to give
        for _ in range(1 + len(self.nodes)):
            try:
                self._recognise()
                break
            except Conflict as c:
                self._revise(c)
        else:
            raise Unsupported(self.where, "permute", "no reading of its permutes gives every layer "
                              "the layout it takes")
        self.users = {n: [u for u in n.users if u in self.items and n in self.deps(u)]
                      for n in self.nodes if n in self.layout}

    # ---- recognition, in order, with layouts --------------------------------------------------
    def deps(self, n) -> list:
        """The values a node computes from (not learned tensors), each once."""
        found: list = []
        fx.node.map_arg((n.args, n.kwargs),
                        lambda a: found.append(a) if _tensor(a) and a not in self.free and a not in found else None)
        return found

    def frees(self, n) -> list:
        found: list = []
        fx.node.map_arg((n.args, n.kwargs),
                        lambda a: found.append(a) if a in self.free and a not in found else None)
        return found

    def _recognise(self) -> None:
        self.items: dict = {}
        self.layout: dict = {}
        self.free: set = set()
        self.attr_of: dict = {}          # a learned tensor's value → its get_attr node
        for n in self.nodes:
            if n.op == "placeholder" and _tensor(n):
                self.layout[n] = self.layout_in if has_layout(shape(n)) else None
            elif n.op == "output" or not _tensor(n):
                continue
            elif n.op == "get_attr":
                self.free.add(n)
                self.attr_of[n] = n
            elif not self.deps(n):
                self._free_op(n)
            else:
                self.items[n], self.layout[n] = self._item(n)

    def _free_op(self, n) -> None:
        """An operation on learned tensors alone: spread over the batch (`expand`), no more."""
        name = n.target if isinstance(n.target, str) else getattr(n.target, "__name__", "")
        (src,) = self.frees(n) or [None]
        if name in ("expand", "expand_as", "contiguous", "clone") and src is not None and \
                shape(n)[1:] == shape(src)[1:]:
            self.free.add(n)
            self.attr_of[n] = self.attr_of[src]
            return
        raise Unsupported(self.where, name, "an operation on a learned tensor the forward reads "
                          "(archlang's Parameter is joined as it is)")

    def _item(self, n):
        deps = self.deps(n)
        lay = self.layout[deps[0]]
        x = shape(deps[0])
        if has_layout(shape(n)) or has_layout(x):
            for d in deps[1:]:
                if has_layout(shape(d)) and self.layout[d] != lay:
                    raise Conflict(n, lay, d, ((deps[0], self.layout[d]),))
        if LAYER in n.meta and not _is_permute(n):
            return self._pattern(n, n.meta[LAYER], lay, x)
        if n.op == "call_module":
            return self._module(n, deps, lay, x)
        if n.op not in ("call_function", "call_method"):
            raise Unsupported(self.where, f"{n.op} {n.target}", "an operation archlang does not read")
        item, out = recognise_call(n, self.where, lay, deps, self.chosen.get(n))
        for layer in item if isinstance(item, list) else [item]:
            # A mean over the positions (`x.mean((2, 3))`, `x.mean(1)` of N×L×C) names its
            # dims: whichever layout they are in.
            if isinstance(layer, Layer) and not _target_name(n) == "mean":
                self._check(n, layer, lay, x)
        first = item[0] if isinstance(item, list) and item else item
        if isinstance(first, Layer) and first.head in ("reshape", "permutedims"):
            first.spec_in = spec_dims(x, lay)       # windows.py reads runs of these
        return item, out

    def _pattern(self, n, found, lay, x):
        """What patterns.py made of a node: a layer on channels-first values (LayerNorm2d, a
        channel shuffle, a chunk, a layer scale; its layout kept), a module that only moves
        the channels (torchvision's Permute, the compiled module's), or nothing."""
        where = f"{self.where}.{n.target}" if n.op == "call_module" else self.where
        if isinstance(found, Layout):
            want = CL if found.last else CF
            if has_layout(x) and lay == want:
                raise Unsupported(where, "permute", "channels moved " + ("last" if found.last else "first")
                                  + " that are there already")
            return None, want
        if isinstance(found, Layer):
            if has_layout(x) and lay != CF:
                raise Conflict(n, CF, self.deps(n)[0])
            if found.weighted and n.op == "call_module":
                found.name = self._attr(n, found, where)
        return found, lay

    def _check(self, n, layer: Layer, lay, x) -> None:
        """A layer that takes one layout, given a value in the other: a Conflict."""
        want = layer_layout(layer)
        if not want or not has_layout(x) or lay == want:
            return
        if layer.head == "reshape":
            return               # read in the layout it came in (calls.py, layout.reshape_meaning)
        if layer.head == "flatten" and all(d == 1 for d in x[1:-1]):
            return
        raise Conflict(n, want, self.deps(n)[0])

    def _module(self, n, deps, lay, x):
        sub = self.t.module.get_submodule(n.target)
        path = f"{self.t.path}.{n.target}" if self.t.path else n.target
        if is_attention(sub):
            if has_layout(x) and lay != CL:
                raise Conflict(n, CL, deps[0])
            layers = attention(sub, path, n.args, n.kwargs, x)
            for layer in layers:
                if layer.weighted:
                    layer.name = self._attr(n, sub, path)
            return layers, CL
        if is_torch_module(sub):
            layer = layer_of_module(sub, path)
            self._check(n, layer, lay, x)
            if layer.weighted:
                layer.name = self._attr(n, sub, path)
            want = layer_layout(layer)
            return layer, ((want or lay) if has_layout(shape(n)) else None)
        listed = _list_element(self.t.module, n.target)
        if listed is None:
            self._attr(n, sub, path)
        try:
            out = self.subs(path, sub, lay)
        except NeedsLayout as need:
            raise Conflict(n, need.wants, deps[0]) from None
        if listed is not None:
            return Listed(path, *listed), out
        return Sub(path, n.target), out

    def _attr(self, n, sub, path) -> str:
        if not n.target.isidentifier():
            what = sub.head if isinstance(sub, Layer) else type(sub).__name__
            raise Unsupported(path, what, "a submodule reached by index")
        return n.target

    def _revise(self, c: Conflict) -> None:
        """Read the permute that made `c.start` (through operations that keep the layout) the
        other way, or say which layout this body's input must be in."""
        for start, wants in c.ways:
            v = start
            while True:
                if v.op == "placeholder":
                    if self.t.path and len(c.ways) == 1:
                        raise NeedsLayout(wants)
                    break
                if _target_name(v) in MOVES:
                    if v in self.chosen:
                        break
                    self.chosen[v] = wants
                    return
                item, deps = self.items.get(v), self.deps(v)
                passes = item is None or (isinstance(item, Layer) and layer_layout(item) is None
                                          and item.head != "reshape")
                if not passes or len(deps) != 1:
                    break
                v = deps[0]
        layer = self.items.get(c.node)
        layer = layer[0] if isinstance(layer, list) and layer else layer
        what = (layer.head if isinstance(layer, Layer) else
                type(self.t.module.get_submodule(c.node.target)).__name__ if c.node.op == "call_module"
                else c.node.name)
        raise Unsupported(self.where, what, f"it takes its input {LAYOUT_WORDS[c.wants]}, and the "
                          "tensor it gets is in the other layout")

    # ---- learned tensors -----------------------------------------------------------------------
    def parameter(self, free_node, layout) -> Layer:
        """`Parameter(197×768; name="pos_embedding")`: a learned tensor as a join takes it."""
        src = self.attr_of[free_node]
        target = src.target
        where = f"{self.t.path}.{target}" if self.t.path else target
        if not target.isidentifier():
            raise Unsupported(where, "get_attr", "a tensor of a submodule read by its parent")
        tensor = self.t.module.get_parameter(target) if target in dict(self.t.module.named_parameters()) \
            else None
        if tensor is None:
            raise Unsupported(where, "get_attr", "a buffer read by the forward (archlang's learned "
                              "tensors are parameters)")
        torch_shape = tuple(tensor.shape)
        if len(torch_shape) < 2 or torch_shape[0] != 1:
            raise Unsupported(where, "Parameter", f"a learned tensor of shape {torch_shape}: archlang's "
                              "Parameter is one sample's tensor with a batch dim of 1 (1×…)")
        dims = spec_dims(torch_shape, layout if has_layout(torch_shape) else None)
        text: list = []
        for i, d in enumerate(dims):
            text += (["×"] if i else []) + [Num(d, "c" if i == len(dims) - 1 else "n")]
        layer = Layer("Parameter", [text], weighted=True, name=target)
        init = _init(tensor)
        if init != "zeros":
            layer.kw.append(("init", [f'"{init}"']))
        return layer

    # ---- a Chain of branches and joins -------------------------------------------------------
    def build(self) -> Seq:
        return _lists(Seq(self.chain(self.inputs[0], self.output, None)), self)

    def step(self, u):
        """The layer(s) one node computes in a chain; a Join for a join of several values."""
        item = self.items[u]
        if isinstance(item, Join):
            frees = self.frees(u)
            if len(self.deps(u)) == 1 and frees:
                if item not in ("+", "*") or item.dims is not None:
                    raise NotSeriesParallel(self.where, "cat", "a concatenation with a learned tensor "
                                            "(a graph body's cat(t, h; dims=…))")
                # x + a learned tensor: SkipConnection(Parameter(…), +) (the order of a sum or
                # a product does not change it)
                params = [Seq([self.parameter(f, self.layout[u])]) for f in frees]
                return Par(str(item), params + [Seq([])])
            if len(self.deps(u)) == 1:
                raise NotSeriesParallel(self.where, u.name, "a join of a value with itself")
        return item

    def chain(self, v: fx.Node, end: fx.Node, region: set | None) -> list:
        items = []
        while v is not end:
            users = [u for u in self.users.get(v, []) if region is None or u in region]
            if len(users) == 1 and len(self.deps(users[0])) == 1:
                u = users[0]
                got = self.step(u)
                items += got if isinstance(got, list) else [got] if got is not None else []
                v = u
                continue
            join = self.merge(v, region)
            op = self.items[join]
            if not isinstance(op, Join) or self.frees(join):
                raise NotSeriesParallel(self.where, join.name, "a layer that takes several inputs")
            if op.dims is not None:
                raise NotSeriesParallel(self.where, "cat", f"a concatenation along dimension {op.dims} "
                                        "(a graph body's cat(a, b; dims=…); a Parallel joins channels)")
            branches = []
            for e in self.deps(join):
                branches.append(Seq([] if e is v else self.chain(v, e, self.ancestors(e, v))))
            items.append(Par(str(op), branches))
            v = join
        return items

    def ancestors(self, e: fx.Node, v: fx.Node) -> set:
        seen, todo = {e}, [e]
        while todo:
            n = todo.pop()
            for i in self.deps(n):
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
            ins = self.deps(n)
            used = [i for i in ins if i in live]
            if not used:
                continue
            if len(used) != len(ins):
                raise NotSeriesParallel(self.where, n.name, "a value used after the branches it feeds "
                                        "join (not a chain of branches and joins)")
            for i in used:
                live[i] -= 1
                if live[i] == 0:
                    del live[i]
            live[n] = len([u for u in self.users[n] if region is None or u in region])
            if len(live) == 1 and n in live:
                return n
        raise NotSeriesParallel(self.where, v.name, "branches that never join")

    # ---- a graph body ----------------------------------------------------------------------------
    def graph(self) -> Body:
        """The forward as named values (the model's own body): learned tensors are statements
        named by their attribute, a value used twice gets a name (h1, h2, …), chains of layers
        are applied to the value they start from."""
        uses: dict = {}
        for u in self.items:
            for i in self.deps(u) + self.frees(u):
                uses[i] = uses.get(i, 0) + 1
        uses[self.output] = uses.get(self.output, 0) + 1
        names: dict = {self.inputs[0]: "x"}
        statements: list = []
        free_layout: dict = {}
        for u, item in self.items.items():
            for f in self.frees(u):
                src = self.attr_of[f]
                if free_layout.setdefault(src, self.layout[u]) != self.layout[u]:
                    raise Unsupported(self.where, src.target, "a learned tensor used in two layouts")

        def value(n):
            if n in names:
                return Ref(names[n])
            if n in self.free:
                src = self.attr_of[n]
                if src not in names:
                    layer = self.parameter(n, free_layout[src])
                    statement, layer.name = layer.name, None      # the statement names it
                    statements.append((statement, layer))
                    names[src] = statement
                return Ref(names[src])
            item = self.items[n]
            if isinstance(item, Join):
                # Joins and what they join are named values (`h2 = cat(class_token, h1;
                # dims=1)`): a spec reads as a list of steps, not one nested expression.
                args = [value(a) for a in _join_args(n)]
                e = JoinOf(item, [a if isinstance(a, Ref) else value_named(None, a) for a in args])
                return e if n is self.output else value_named(n, e)
            else:
                chain, m = [item], n
                while True:
                    (d,) = self.deps(m)
                    if d in names or d in self.free or uses.get(d, 0) > 1 or \
                            isinstance(self.items.get(d), Join):
                        break
                    chain.append(self.items[d])
                    m = d
                items = []
                for it in reversed(chain):
                    items += it if isinstance(it, list) else [it] if it is not None else []
                items = _lists(Seq(items), self).items
                e = Apply(items, value(d)) if items else value(d)
            if uses.get(n, 0) > 1 and n is not self.output:
                return value_named(n, e)
            return e

        def value_named(n, e):
            name = f"h{sum(1 for s in statements if not isinstance(s[1], Layer)) + 1}"
            statements.append((name, e))
            if n is not None:
                names[n] = name
            return Ref(name)

        out = value(self.output)
        return Body(statements, out)


def _list_element(module, target: str) -> tuple[str, int] | None:
    """(the list's attribute, the index) of a call of an nn.ModuleList's element."""
    prefix, _, index = target.rpartition(".")
    if not prefix.isidentifier() or not index.isdigit():
        return None
    return (prefix, int(index)) if isinstance(module.get_submodule(prefix), nn.ModuleList) else None


def _lists(e, b: Builder):
    """Calls of every element of an nn.ModuleList, in order and one after another, as one
    Sub of the list (keys `blocks.0.…`); any other use of an element is Unsupported."""
    if isinstance(e, Par):
        return Par(e.op, [_lists(x, b) for x in e.branches])
    if not isinstance(e, Seq):
        return e
    out: list = []
    for it in e.items:
        if isinstance(it, Listed):
            run = out[-1] if out and isinstance(out[-1], list) and out[-1][0].attr == it.attr else None
            if run is not None and run[-1].index + 1 == it.index:
                run.append(it)
            else:
                out.append([it])
            continue
        out.append(_lists(it, b))
    items = []
    for it in out:
        if isinstance(it, list):
            size = len(b.t.module.get_submodule(it[0].attr))
            if [x.index for x in it] != list(range(size)):
                raise Unsupported(it[0].path, "ModuleList", "a submodule reached by index (not every "
                                  "element of its list, in order)")
            list_path = it[0].path.rpartition(".")[0]
            items.append(Sub(list_path, it[0].attr))
        else:
            items.append(it)
    return Seq(items)


def _join_args(n) -> list:
    """A join's operands in the order written: `a + b`, `torch.cat([a, b])`."""
    first = n.args[0]
    if isinstance(first, (list, tuple)):
        return list(first)
    return [a for a in n.args if isinstance(a, fx.Node)]


def _init(tensor) -> str:
    """The initialiser a learned tensor looks like it came from: "zeros", "ones", else "normal"
    (its values are loaded anyway; this is what training from scratch would start from)."""
    if not tensor.any():
        return "zeros"
    if bool((tensor == 1).all()):
        return "ones"
    return "normal"


def body(traced: Traced, layout_in, subs, graph_ok: bool = False):
    """The expression of one traced forward: a Seq, or (`graph_ok`, for the model itself) a
    Body where it is no Chain; and the layout of its output."""
    b = Builder(traced, layout_in, subs)
    try:
        expression = b.build()
    except NotSeriesParallel:
        if not graph_ok:
            raise
        expression = b.graph()
    return expression, b.layout.get(b.output)


__all__ = ["Apply", "Body", "Builder", "JoinOf", "NeedsLayout", "Par", "Ref", "Seq", "Sub", "body"]
