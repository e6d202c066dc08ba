"""Expressions → the spec's text: each module class becomes a block (one per structure),
whose whole numbers that differ between its calls become parameters; every layer with
weights keeps its attribute's name (`name="conv1"`) so the compiled module has the
original state_dict keys."""
from __future__ import annotations

from dataclasses import dataclass, field

from torch import nn

from ..backends.torch.docstrings import spec_block_name
from . import dense, patterns
from .attention import attention, is_attention
from .calls import layer_layout
from .layout import CF, CL, has_layout, paired
from .patterns import Layout, module_layer
from .recognise import (ACTIVATION, Layer, Num, Unsupported, is_sequential, is_torch_module, key_name,
                        layer_of_module, quoted)
from .structure import Apply, Body, JoinOf, NeedsLayout, Par, Ref, Seq, Sub, body
from .trace import Traced
from .windows import fold


@dataclass(frozen=True)
class CallFrag:
    """A call of the block made of the module at `path`."""
    path: str
    name: str | None


@dataclass(frozen=True)
class SeqFrag:
    """An nn.Sequential: its attribute (None inside another) and its elements, each a
    CallFrag, a SeqFrag or a layer's fragments (a tuple)."""
    attr: str | None
    children: tuple


def parts(element) -> list:
    """An element of a SeqFrag as a list of fragments."""
    return [element] if isinstance(element, (CallFrag, SeqFrag)) else list(element)


@dataclass
class Group:
    """A block: the instances (paths) of one class with one structure."""
    cls: str
    skeleton: tuple
    paths: list = field(default_factory=list)
    name: str = ""
    params: list = field(default_factory=list)      # names
    slots: list = field(default_factory=list)       # per slot: param name or None (a literal)


def is_container(m) -> bool:
    """An nn.Sequential, or an nn.ModuleList whose elements the forward calls in order
    (structure.Listed): a Chain whose elements keep their keys."""
    return is_sequential(m) or isinstance(m, nn.ModuleList)


class Writer:
    def __init__(self, traced: dict[str, Traced]):
        self.traced = traced
        self.shapes = traced[""].shapes          # path → (input shape, output shape) of each call
        self.frags: dict[str, list] = {}
        self.takes: dict[str, str | None] = {}   # path → the layout its body was read for
        self.gives: dict[str, str | None] = {}   # path → the layout its output is in
        self.came: dict[str, str | None] = {}    # an nn.Sequential's path → its input's layout
        self.groups: dict[tuple, Group] = {}
        self.group_of: dict[str, Group] = {}

    # ---- fragments ---------------------------------------------------------------------
    def convert(self, path: str, layout: str | None) -> str | None:
        """Read the forward of the module at `path`, its input in `layout` (structure.py):
        its fragments, and the layout its output is in."""
        if path in self.frags:
            if self.takes[path] != layout:
                raise Unsupported(path, type(self._module(path)).__name__,
                                  "called with its input in two layouts")
            return self.gives[path]
        expression, gives = body(self.traced[path], layout, self.layout_after, graph_ok=path == "")
        if isinstance(expression, Seq):
            unname(expression)
        where = path or "the root module"
        self.frags[path] = self.render_body(expression) if isinstance(expression, Body) else \
            self.render(expression, outer=path == "", where=where)
        self.takes[path], self.gives[path] = layout, gives
        return gives

    def fragments(self, path: str) -> list:
        if path not in self.frags:
            raise Unsupported(path, type(self._module(path)).__name__, "the forward never calls it")
        return self.frags[path]

    def layout_after(self, path: str, m: nn.Module, layout: str | None) -> str | None:
        """The layout the output of the block or nn.Sequential at `path` is in, its input in
        `layout` (converting it: structure.Builder asks this of every submodule call)."""
        if not is_container(m):
            if path not in self.traced:
                raise Unsupported(path, type(m).__name__, "the forward never calls it")
            return self.convert(path, layout)
        self.came[path] = layout
        for i, (key, child) in enumerate(m.named_children()):
            try:
                layout = self._element_layout(f"{path}.{key}", child, layout)
            except NeedsLayout as need:
                if i:
                    got = "channels-last" if need.wants == CF else "channels-first"
                    raise Unsupported(f"{path}.{key}", type(child).__name__,
                                      f"a {type(child).__name__} on {got} values inside an "
                                      "nn.Sequential") from None
                raise
        return layout

    def _element_layout(self, path: str, m: nn.Module, layout: str | None) -> str | None:
        shape_in, shape_out = self.shapes.get(path, ((), ()))
        if is_container(m):
            return self.layout_after(path, m, layout)
        if is_attention(m):
            if has_layout(shape_in) and layout != CL:
                raise NeedsLayout(CL)
            return CL
        if is_torch_module(m):
            layer = layer_of_module(m, path)
            want = layer_layout(layer)
            if want and has_layout(shape_in) and layout != want and not (
                    layer.head == "flatten" and all(d == 1 for d in shape_in[1:-1])):
                raise NeedsLayout(want)
            return (want or layout) if has_layout(shape_out) else None
        found, what = module_layer(self.traced, path, m)
        if found:
            if isinstance(what, Layout):
                return CL if what.last else CF
            if isinstance(what, Layer) and has_layout(shape_in) and layout != CF:
                raise NeedsLayout(CF)
            return layout
        return self.layout_after(path, m, layout)

    def render(self, e, outer: bool = False, where: str = "") -> list:
        if isinstance(e, Seq):
            items = fuse(fold(paired(e.items, where)))
            if not items:
                return ["identity"]
            # A model's body is a Chain even of one element: a named one keeps its name.
            if len(items) == 1 and not outer:
                return self.render(items[0], where=where)
            out = ["Chain("]
            for i, it in enumerate(items):
                out += ([", "] if i else []) + self.render(it, where=where)
            return out + [")"]
        if isinstance(e, Layer):
            return e.fragments() if e.head != ACTIVATION else [e.act]
        if isinstance(e, Par):
            # A branch that computes nothing (torchvision's nn.Identity shortcut) is the input.
            e = Par(e.op, [Seq([]) if all(isinstance(it, Layer) and it.head == ACTIVATION and
                                          it.act == "identity" for it in b.items) else b
                           for b in e.branches])
            rest = [b for b in e.branches if b.items]
            if len(e.branches) == 2 and len(rest) == 1 and (e.branches[1] is not rest[0] or e.op != "cat"):
                return ["SkipConnection("] + self.render(rest[0], where=where) + [f", {e.op})"]
            out = [f"Parallel({e.op}"]
            for b in e.branches:
                out += [", "] + self.render(b, where=where)
            return out + [")"]
        if isinstance(e, Sub):
            return self.sub(e)
        raise AssertionError(e)

    def render_body(self, b: Body) -> list:
        """A graph body: `{ name = value … return value }` (the model's own)."""
        out = ["{\n"]
        for name, value in b.statements:
            out += [f"    {name} = "] + (self.render(value) if isinstance(value, Layer) else self.expr(value)) + ["\n"]
        return out + ["    return "] + self.expr(b.output) + ["\n}"]

    def expr(self, e) -> list:
        if isinstance(e, Ref):
            return [e.name]
        if isinstance(e, JoinOf):
            args = [(["("] + self.expr(a) + [")"]) if isinstance(a, JoinOf) and str(e.op) != "cat"
                    else self.expr(a) for a in e.args]
            if str(e.op) == "cat":
                out = ["cat("]
                for i, a in enumerate(args):
                    out += ([", "] if i else []) + a
                return out + ([f"; dims={e.op.dims})"] if e.op.dims is not None else [")"])
            out = []
            for i, a in enumerate(args):
                out += ([f" {e.op} "] if i else []) + a
            return out
        if isinstance(e, Apply):
            return self.render(Seq(list(e.items))) + ["("] + self.expr(e.arg) + [")"]
        raise AssertionError(e)

    def sub(self, e: Sub) -> list:
        m = self._module(e.path)
        if is_container(m):
            return [self.sequential(e.path, m, e.attr)]
        self.block(e.path)
        return [CallFrag(e.path, e.attr)]

    def sequential(self, path: str, m: nn.Module, attr: str | None) -> SeqFrag:
        """An nn.Sequential: a Chain whose elements keep their keys. A key that is not the
        element's position becomes its `name=` (DenseNet's `conv0`, RegNet's `block1-0`) where
        it keys weights: on a layer with weights, a block call, an inner Sequential."""
        items, later = [], []
        for i, (key, child) in enumerate(m.named_children()):
            items.append((key, i, self.element(f"{path}.{key}", child)))
            later.append(any(True for _ in child.state_dict()))
        paired([obj for _, _, obj in items], path, sequential=True, came=self.came.get(path))
        out = []
        for (key, i, obj), holds in zip(items, later):
            if isinstance(obj, Layout):
                continue
            if obj is None:
                if any(later[i + 1:]):
                    raise Unsupported(f"{path}.{key}", type(m.get_submodule(key)).__name__,
                                      "a module that computes nothing inside an nn.Sequential: "
                                      "the keys after it would move up")
                continue
            name = key_name(f"{path}.{key}", key, i, holds or not isinstance(obj, Layer))
            if isinstance(obj, Layer):
                obj.name = name if obj.weighted else None
                out.append(tuple(self.render(Seq([obj]))))
            elif isinstance(obj, SeqFrag):
                out.append(SeqFrag(name, obj.children))
            else:
                out.append(CallFrag(obj.path, name))
        return SeqFrag(attr, tuple(out))

    def element(self, path: str, m: nn.Module):
        """One element of an nn.Sequential: a Layer (or nothing: None), a Layout change, an
        inner Sequential (SeqFrag) or a block call (CallFrag)."""
        if is_container(m):
            if not len(m):
                raise Unsupported(path, type(m).__name__, "an empty nn.Sequential inside another")
            return self.sequential(path, m, None)
        if is_attention(m):
            (layer,) = attention(m, path, (None,), {}, self.shapes[path][0])
            return layer
        if is_torch_module(m):
            layer = layer_of_module(m, path)
            shape_in = self.shapes.get(path, ((),))[0]
            if len(shape_in) == 2:
                layer.spec_in = tuple(shape_in[1:])      # a vector: no layout (layout._alone)
            return layer
        found, layer = module_layer(self.traced, path, m)
        if found:
            return layer
        self.block(path)
        return CallFrag(path, None)

    def _module(self, path: str) -> nn.Module:
        return self.traced[""].module.get_submodule(path)

    def block(self, path: str) -> Group:
        if path in self.group_of:
            return self.group_of[path]
        if path not in self.traced:
            raise Unsupported(path, type(self._module(path)).__name__, "the forward never calls it")
        frags = self.fragments(path)
        m = self._module(path)
        key = (spec_block_name(type(m)) or type(m).__name__, self.skeleton(frags))
        g = self.groups.setdefault(key, Group(*key))
        g.paths.append(path)
        self.group_of[path] = g
        return g

    def skeleton(self, frags) -> tuple:
        out = []
        for f in frags:
            if isinstance(f, Num):
                out.append("#")
            elif isinstance(f, CallFrag):
                out.append(("call", id(self.group_of[f.path]), f.name))
            elif isinstance(f, SeqFrag):
                out.append(("seq", f.attr, tuple(self.skeleton(parts(c)) for c in f.children)))
            else:
                out.append(f)
        return tuple(out)

    # ---- parameters ----------------------------------------------------------------------
    def numbers(self, frags) -> list[tuple[int, str]]:
        """(value, role) of every number of a body, a called block's arguments included."""
        out = []
        for f in frags:
            if isinstance(f, Num):
                out.append((f.value, f.role))
            elif isinstance(f, CallFrag):
                g = self.parametrised(self.group_of[f.path])
                out += list(zip(self.arguments(f.path), g.params))
            elif isinstance(f, SeqFrag):
                for c in f.children:
                    out += self.numbers(parts(c))
        return out

    def arguments(self, path: str) -> list[int]:
        g = self.parametrised(self.group_of[path])
        values = [v for v, _ in self.numbers(self.frags[path])]
        return [values[g.slots.index(p)] for p in g.params]

    def parametrised(self, g: Group) -> Group:
        if g.slots or g.params:
            return g
        vectors = [self.numbers(self.frags[p]) for p in g.paths]
        columns = list(zip(*[[v for v, _ in vec] for vec in vectors]))
        roles = [r for _, r in vectors[0]] if vectors else []
        names: dict[tuple, str] = {}
        slots = []
        for col, role in zip(columns, roles):
            if len(set(col)) == 1:
                slots.append(None)
                continue
            if col not in names:
                base = role.rstrip("0123456789") or "n"
                taken = set(names.values())
                name = base if base not in taken else next(f"{base}{i}" for i in range(2, 999) if f"{base}{i}" not in taken)
                names[col] = name
            slots.append(names[col])
        g.slots = slots or [None]
        g.params = list(dict.fromkeys(n for n in slots if n))
        return g

    # ---- text ------------------------------------------------------------------------------
    def text(self, frags, slots=None) -> str:
        """The fragments as text, numbers as parameters where `slots` names them."""
        it = iter(slots or [])
        return self._text(frags, it, slots is not None)

    def _text(self, frags, it, params: bool) -> str:
        out = []
        for f in frags:
            if isinstance(f, Num):
                slot = next(it) if params else None
                out.append(slot or str(f.value))
            elif isinstance(f, CallFrag):
                out.append(self._call(f, it, params))
            elif isinstance(f, SeqFrag):
                out.append(self._sequential(f, it, params))
            else:
                out.append(f)
        return "".join(out)

    def _call(self, f: CallFrag, it, params: bool, with_name: bool = True) -> str:
        g = self.parametrised(self.group_of[f.path])
        args = []
        for value in self.arguments(f.path):
            slot = next(it) if params else None
            args.append(slot or str(value))
        name = [f"name={quoted(f.name)}"] if with_name and f.name else []
        inner = ", ".join(args) + (("; " if args else "") + ", ".join(name) if name else "")
        return f"{g.name}({inner})"

    def _sequential(self, f: SeqFrag, it, params: bool) -> str:
        texts = [self._call(c, it, params) if isinstance(c, CallFrag) else self._text(parts(c), it, params)
                 for c in f.children]
        name = f"; name={quoted(f.attr)}" if f.attr else ""
        if not texts:
            return "identity"
        if f.attr and len(texts) > 1 and len(set(texts)) == 1 and all(isinstance(c, CallFrag) for c in f.children):
            return f"repeat({len(texts)}, {texts[0]}{name})"
        return "Chain(" + ", ".join(texts) + f"{name})"


def unname(expression) -> None:
    """Drop each `name=` that the compiled module would give anyway: unnamed layers are
    numbered per kind in their class (`conv1`, `bn1`, `conv2`; backends/torch/occurrences.py),
    so torchvision's BasicBlock needs no name at all."""
    from ..backends.torch.tables import SHORT_NAMES
    counts: dict[str, int] = {}

    def walk(e):
        if isinstance(e, Seq):
            for it in e.items:
                walk(it)
        elif isinstance(e, Par):
            for b in e.branches:
                walk(b)
        elif isinstance(e, Layer) and e.head in SHORT_NAMES:
            prefix = SHORT_NAMES[e.head]
            auto = f"{prefix}{counts.get(prefix, 0) + 1}"
            if e.name is None or e.name == auto:
                e.name = None
                counts[prefix] = counts.get(prefix, 0) + 1

    walk(expression)


def fuse(items: list) -> list:
    """An activation right after a layer that takes one becomes its argument
    (`BatchNorm(64, relu)`); `identity` disappears."""
    out = []
    for it in items:
        if isinstance(it, Layer) and it.head == ACTIVATION:
            prev = out[-1] if out else None
            if it.act == "identity":
                continue
            if isinstance(prev, Layer) and prev.takes_act and prev.act is None:
                prev.act = it.act
                continue
        out.append(it)
    return out


def _library_blocks(w: Writer, groups: list) -> dict[int, str]:
    """The groups that are a standard library block (renamed to it, their parameters in its
    order), as id → the file to import."""
    from .library import match
    found = {}
    for g in groups:
        if not g.params:
            continue
        hit = match(w.text(w.frags[g.paths[0]], g.slots), g.params)
        if hit is not None:
            found[id(g)], g.name, g.params = hit[0], hit[1], hit[2]
    return found


def _name_blocks(groups, taken: set) -> None:
    from ..vocabulary import builtin
    taken = set(taken)
    for g in groups:
        # The compiled class drops leading underscores (torchvision's `_InvertedResidual`).
        base = g.cls.lstrip("_") if g.cls.lstrip("_").isidentifier() else "Block"
        if builtin(base):
            base = f"{base}Block"
        name, i = base, 2
        while name in taken:
            name, i = f"{base}{i}", i + 1
        g.name = name
        taken.add(name)


def write(traced: dict[str, Traced], dims: tuple[int, ...], model: str) -> str:
    """The spec: blocks in the order of their first use, inner ones first, then the model."""
    from ..syntax.format import format_text
    patterns.rewrite(traced)
    dense.rewrite(traced)
    w = Writer(traced)
    root_in, root_out = traced[""].shapes[""]
    gives = w.convert("", CF if has_layout(root_in) else None)
    if len(root_out) >= 4 and gives != CF:
        # A permute the model never undoes: its output is channels last, where a spec's
        # image (volume) output is returned channels first.
        raise Unsupported(type(traced[""].module).__name__, "permute", "the channels are moved last "
                          "and not back: the model returns N×H×W×C, a spec's image output is "
                          "N×C×H×W")
    root = w.fragments("")
    groups = list(w.groups.values())
    for g in groups:
        w.parametrised(g)
    imported = _library_blocks(w, groups)
    _name_blocks([g for g in groups if id(g) not in imported], {g.name for g in groups if id(g) in imported})
    lines = [f"# Converted from PyTorch by archlang from-torch: {model}", ""]
    lines += [f'import "{f}"' for f in dict.fromkeys(imported.values())] + ([""] if imported else [])
    for g in _inner_first(w, groups):
        if id(g) in imported:
            continue
        params = ", ".join(g.params)
        lines.append(f"block {g.name}({params}) = {w.text(w.frags[g.paths[0]], g.slots if g.params else None)}")
        lines.append("")
    shape = "×".join(map(str, dims))
    ident = model if model.isidentifier() else "converted"
    lines.append(f"model {ident}(x: {shape}) = {w.text(root)}")
    text = "\n".join(lines) + "\n"
    formatted = format_text(text)
    return formatted if isinstance(formatted, str) else text


def _inner_first(w: Writer, groups: list) -> list:
    done, out = set(), []

    def visit(g):
        if id(g) in done:
            return
        done.add(id(g))
        for f in _calls(w.frags[g.paths[0]]):
            visit(w.group_of[f.path])
        out.append(g)

    for g in groups:
        visit(g)
    return out


def _calls(frags):
    for f in frags:
        if isinstance(f, CallFrag):
            yield f
        elif isinstance(f, SeqFrag):
            for c in f.children:
                yield from _calls(parts(c))
