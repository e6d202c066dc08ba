"""One class body per block call (an occurrence): the items of its forward and their nodes."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...check import ModelReport
from ...ir.groups import Group, GroupKind
from ...layers.layout import CHANNELS_FIRST, CHANNELS_LAST, conversion, has_layout, torch_order
from ...layers.torch_code import X, Call, Method, Raw, Template, TorchCode
from ...records import replace
from .tables import ACT_MODULES, SHORT_NAMES
from .layout import Layouts, act_dim, torch_code
from .names import safe_identifier, snake
from .text import Keyed, filled, fmt


if TYPE_CHECKING:  # a class holds its occurrences and each occurrence its class
    from .classes import ClassDef

# ---- one class body per block call (an occurrence) -------------------------------------------
@dataclass(eq=False)
class Item:
    """One line of a forward: a layer, a block instance, or a Sequential of block instances."""

    out: int
    inputs: tuple[int, ...]
    attr: str | None = None
    code: TorchCode | None = None           # a layer
    child: Occurrence | None = None         # a block instance
    copies: list = field(default_factory=list)   # a Sequential's block instances
    times: int = 0                          # a folded repeat: its count (`copies` holds one)
    group: Group | None = None              # the block or repeat this attribute compiles
    inputs_rel: tuple = ()                  # inputs as positions in the body (-1: its input)
    members: list = field(default_factory=list)  # a named Chain compiled as one nn.Sequential:
                                                 # its Members (blocks, layers, inner Chains)
    converts: tuple = ()                    # per input, (the layout it is moved to, its
                                            # spec dims' count), or None: used as it comes
    act_dim: int = 1                        # where softmax finds the output's channels


@dataclass(eq=False)
class Occurrence:
    group: Group
    report: ModelReport
    layouts: Layouts
    items: list[Item]
    input: int
    output: int
    cls: ClassDef | None = None
    inputs: list = field(default_factory=list)    # a model's input nodes (several: a graph body)
    outputs: list = field(default_factory=list)   # a model's (name, node) outputs, return order
    args: list = field(default_factory=list)      # the instance's constructor ints, in order
    kwargs: list = field(default_factory=list)    # ((name, int), ...) for extra arguments
    moved: dict = field(default_factory=dict)     # node → the layout its value is held in
                                                  # here, where not layouts.of's: the output of
                                                  # an nn.Sequential that changes layout inside

    def layout(self, node: int) -> str | None:
        """The layout this body's forward holds `node`'s value in."""
        return self.moved.get(node, self.layouts.of.get(node))

    @property
    def gives(self) -> str | None:
        """The layout this body returns its output in."""
        return self.layout(self.output)

    def shapes(self, item: Item) -> tuple[int, ...]:
        return torch_order(self.report.infos[item.out].out, self.layout(item.out) or CHANNELS_FIRST)

    def key(self) -> tuple:
        """What two calls must share to share a class: everything but constructor numbers."""
        parts = []
        for it in self.items:
            parts.append((it.attr, tuple(it.inputs_rel), self.ctor_skeleton(it), self.forward_skeleton(it)))
        return (self.group.name, tuple(parts))

    def ctor(self, it: Item):
        if it.code is not None:
            return it.code.module
        if it.members:
            return nested(it.members)
        if it.child is not None:
            return it.child.instance()
        return Call("nn.Sequential", tuple(c.instance() for c in it.copies))

    def ctor_skeleton(self, it: Item) -> str:
        if it.child is not None:
            return f"<{id(it.child.cls)}>"
        if it.copies:
            return "[" + ", ".join(f"<{id(c.cls)}>" for c in it.copies) + "]"
        if it.members:
            return fmt(nested(it.members, skeleton=True), lambda v: "#")
        return fmt(filled(it.code.module), lambda v: "#") if it.code.module is not None else ""

    def forward_skeleton(self, it: Item) -> str:
        c = it.code
        if c is None:
            return repr(it.converts) if it.members else ""
        return repr((c.pre, c.call, c.post, c.act, c.init, it.converts, it.act_dim))

    def instance(self) -> Call:
        return Call(self.cls.name, tuple(self.args), tuple(self.kwargs))


@dataclass(eq=False)
class Member:
    """One element of a named Chain compiled as one nn.Sequential: a layer (its node and
    code), a block call, an inner Chain (an nn.Sequential in its place), or a Permute that
    archlang adds where the layout changes. `name` is its key (the spec's `name=`); an
    unnamed one is keyed by its position, as nn.Sequential numbers its modules."""

    name: str = ""
    node: int | None = None
    code: TorchCode | None = None
    occ: Occurrence | None = None
    inner: list | None = None
    group: Group | None = None           # a block call's or inner Chain's group
    permute: tuple | None = None         # a layout change: the permute dims (N first), of
                                         # the value of `node`
    gives: str | None = None             # the layout its output is in


def keyed(members: list[Member]) -> list[tuple[str, Member, str]]:
    """The nn.Sequential's modules in order, as (key, member, role): role "layer" (the
    layer's module), "act" (its activation's module), "block", "inner" or "permute". A named
    member's first module takes its name, every other module its position (a name is never
    all digits: ir/names.py), so that a layer's activation keeps the place nn.Sequential
    gives it."""
    out, k = [], 0
    for m in members:
        if m.permute is not None:
            roles = ["permute"]
        elif m.occ is not None:
            roles = ["block"]
        elif m.inner is not None:
            roles = ["inner"]
        else:
            roles = (["layer"] if m.code.module is not None else []) + \
                (["act"] if m.code.act != "identity" else [])
        for i, role in enumerate(roles):
            out.append((m.name if m.name and i == 0 else str(k), m, role))
            k += 1
    return out


def nested(members: list[Member], skeleton: bool = False) -> Call:
    """A named Chain's nn.Sequential: block instances, layers (then their activation's
    module), inner Chains (an nn.Sequential each) and Permutes, in order: keys `name.0.…`,
    `name.1.0.…`, or the spec's names (`nn.Sequential(OrderedDict([("conv0", …), …]))`)."""
    entries = []
    for key, m, role in keyed(members):
        if role == "permute":
            value = Call("Permute", (Raw(repr(m.permute)),))
        elif role == "block":
            value = Call(f"<{id(m.occ.cls)}>") if skeleton else m.occ.instance()
        elif role == "inner":
            value = nested(m.inner, skeleton)
        elif role == "layer":
            value = m.code.module
        else:
            value = ACT_MODULES[m.code.act]
        entries.append((key, value))
    if any(m.name for m in members):
        return Call("nn.Sequential", (Keyed(tuple(entries)),))
    return Call("nn.Sequential", tuple(v for _, v in entries))


FLATTEN = Method("flatten", (1,))
SELF_CALL = Template("{self}({0})")
OTHER = "other"
"""A block call or inner Chain in a Sequential: it moves its input itself."""


def _plain(c: int, report: ModelReport, layouts: Layouts) -> TorchCode | None:
    """The code of a layer an nn.Sequential can hold: a module applied as it is (or an
    activation with a module); None otherwise."""
    node = report.model.graph[c]
    if len(node.inputs) != 1:
        return None
    code = torch_code(report, layouts, c)
    if code.module is None and code.call == FLATTEN and not code.post:
        code = replace(code, module=Call("nn.Flatten"), call=None)     # torchvision's classifiers
    if code.module is not None and code.call == SELF_CALL:
        code = replace(code, call=None)          # attention on one input: the module applied
    plain = code.module is not None or code.call is X
    if not plain or code.pre is not None or code.post or isinstance(code.call, Template) \
            or code.act not in ACT_MODULES or code.init != "default":
        return None
    return code


def _needs(c: int, report: ModelReport) -> str | None:
    """The layout layer `c` must get its input in inside an nn.Sequential (None: any)."""
    info = report.infos[c]
    layout = info.layer.layout
    fixed = layout in (CHANNELS_FIRST, CHANNELS_LAST)
    return layout if fixed and has_layout(report.infos[info.node.inputs[0]].out) else None


def _last_node(group: Group) -> int:
    """The node whose value a group gives (an inner Chain records none)."""
    if group.output is not None:
        return group.output
    last = group.children[-1]
    return last if isinstance(last, int) else _last_node(last)


def _sequence(group: Group, report: ModelReport, layouts: Layouts, all_occ: list, entry: dict,
              came: str | None) -> tuple[list[Member], str | None, str | None] | None:
    """A named Chain's Members when one nn.Sequential computes it (block calls, plain layers
    in a line, inner Chains), the layout it starts in and the one it ends in; None otherwise
    (it is then written layer by layer). `came`: the layout its input arrives in.

    Layouts, as torchvision writes ConvNeXt and Swin: the Sequential starts in the layout its
    first layer takes (its input is moved before it, if need be); where a layer needs the
    other layout, a `Permute` module moves it there; a LayerNorm on an image alone between
    channels-first neighbours is torchvision's LayerNorm2d instead (one module, one key);
    the Sequential ends in the layout its last layer gives (Swin's stem, Conv2d, Permute,
    LayerNorm, hands its blocks channels last), its consumers moving it if they need to."""
    graph, infos = report.model.graph, report.infos
    parts: list[tuple[Member, str | None]] = []     # member, its need: a layout, None, OTHER
    for c in group.children:
        if isinstance(c, int):
            code = _plain(c, report, layouts)
            if code is None:
                return None
            parts.append((Member(graph[c].attr, node=c, code=code), _needs(c, report)))
        elif c.is_block or (c.kind is GroupKind.CHAIN and c.children):
            parts.append((Member(c.attr, group=c), OTHER))
        else:
            return None
    if not parts:
        return None
    after = _consumers_take(group, report)
    for i, (m, need) in enumerate(parts):
        if need == CHANNELS_LAST and infos[m.node].layer.kind == "LayerNorm" \
                and len(infos[m.node].out) == 3 and _alone(parts, i, came, after):
            m.code = replace(m.code, module=Call("LayerNorm2d", m.code.module.args, m.code.module.kwargs))
            parts[i] = (m, CHANNELS_FIRST)
    first = parts[0][1]
    start = first if first in (CHANNELS_FIRST, CHANNELS_LAST) else came
    cur, out = start, []
    for m, need in parts:
        if m.group is not None and m.group.is_block:
            ext = external_input(m.group, report)
            m.occ = occurrence(m.group, report, layouts, all_occ, {**entry, ext: cur})
            cur = m.gives = m.occ.gives
        elif m.group is not None:                  # an inner Chain: an nn.Sequential inside
            ext = external_input(m.group, report)
            inner = _sequence(m.group, report, layouts, all_occ, entry, cur)
            if inner is None:
                return None
            m.inner, begins, ends = inner
            out += _moved(report, ext, cur, begins)
            cur = m.gives = ends if ends is not None else begins if begins is not None else cur
        else:
            if need in (CHANNELS_FIRST, CHANNELS_LAST):
                out += _moved(report, graph[m.node].inputs[0], cur, need)
                cur = need
            m.gives = cur
        out.append(m)
    return out, start, cur


def _alone(parts: list, i: int, came: str | None, after: str) -> bool:
    """Whether the layer at `i` has no channels-last neighbour: the nearest members before
    and after it that take a layout (activations take either), or the Chain's ends (its
    input's layout before, the layout its consumers take after)."""
    def side(seq, end):
        for _, need in seq:
            if need == OTHER:
                return CHANNELS_FIRST
            if need is not None:
                return need
        return end
    return CHANNELS_LAST not in (side(reversed(parts[:i]), came), side(parts[i + 1:], after))


def _consumers_take(group: Group, report: ModelReport) -> str:
    """The layout the first layer after a Chain takes, of those that fix one and are no
    LayerNorm (which may itself be a LayerNorm2d): channels last for Swin's stem (Conv2d,
    Permute, LayerNorm, then blocks whose LayerNorm is followed by attention), channels first
    (the default) for ConvNeXt's (its LayerNorm2d, then a convolution or a downsampling
    LayerNorm2d and convolution)."""
    graph, infos = report.model.graph, report.infos
    node = _last_node(group)
    for _ in range(64):                           # the first successors, one after another
        after = graph.successors(node)
        if not after:
            break
        node = after[0]
        layer = infos[node].layer
        if layer is not None and layer.layout in (CHANNELS_FIRST, CHANNELS_LAST) \
                and layer.kind != "LayerNorm":
            return layer.layout
    return CHANNELS_FIRST


def _moved(report: ModelReport, node: int, cur: str | None, to: str | None) -> list[Member]:
    """A Permute member moving the value of `node` from layout `cur` to `to`, if needed."""
    dims = report.infos[node].out
    if cur is None or to is None or cur == to or not has_layout(dims):
        return []
    return [Member(node=node, permute=conversion(len(dims), to), gives=to)]


def external_input(group: Group, report: ModelReport) -> int:
    nodes = set(group.node_ids())
    ext = {i for n in nodes for i in report.model.graph[n].inputs if i not in nodes}
    assert len(ext) == 1, f"a block with {len(ext)} inputs"
    return ext.pop()


def occurrence(group: Group, report: ModelReport, layouts: Layouts, all_occ: list,
               entry: dict[int, str] | None = None) -> Occurrence:
    """Items of a model or block body; nested block calls become their own occurrences.
    `entry` gives the layout a value from outside the body arrives in, where it is not its
    own (the body of a folded repeat gets the previous copy's output)."""
    items: list[Item] = []
    graph, infos = report.model.graph, report.infos
    here = dict(entry or {})       # entry, and the values this body holds in another layout
    moved: dict[int, str] = {}

    def arriving(i: int) -> str | None:
        return here.get(i, layouts.of.get(i))

    def moves(ins, target) -> tuple:
        return tuple((target, len(infos[i].out)) if target and arriving(i) and arriving(i) != target
                     else None for i in ins)

    def held(node: int, layout: str | None) -> None:
        """The forward holds `node`'s value in `layout` (its consumers move it from there)."""
        if layout != layouts.of.get(node):
            here[node] = moved[node] = layout

    def chained(blocks: list[Group]) -> list[Occurrence]:
        """Block calls one after another, each taking its input as the previous gives it."""
        out = []
        for b in blocks:
            start = external_input(b, report)
            out.append(occurrence(b, report, layouts, all_occ, {**here, start: arriving(start)}))
            held(b.output, out[-1].gives)
        return out

    def walk(children):
        for c in children:
            if isinstance(c, int):
                code = torch_code(report, layouts, c)
                items.append(Item(c, graph[c].inputs, code=code,
                                  converts=moves(graph[c].inputs, layouts.takes.get(c)),
                                  act_dim=act_dim(report, layouts, c)))
            elif c.is_block:
                (child,) = chained([c])
                items.append(Item(c.output, (child.input,), child=child, group=c))
            elif c.folded:
                # Folded: one copy was built; its class is instantiated `times` times, so
                # each copy takes its input in the layout the copy gives its output in.
                body = c.repeated_body
                start = external_input(body, report)
                loop = layouts.of.get(body.output)
                built = len(all_occ)
                child = occurrence(body, report, layouts, all_occ, {**here, start: loop})
                if child.gives != loop:           # it gives another layout than it was built for
                    del all_occ[built:]
                    loop = child.gives
                    child = occurrence(body, report, layouts, all_occ, {**here, start: loop})
                items.append(Item(c.output, (child.input,), copies=[child], times=c.times, group=c,
                                  converts=moves((start,), loop)))
                held(c.output, child.gives)
            elif c.copied_blocks is not None:
                copies = chained(c.copied_blocks)
                items.append(Item(c.output, (copies[0].input,), copies=copies, group=c))
            elif c.kind is GroupKind.CHAIN and c.attr and c.children \
                    and all(not isinstance(b, int) and b.is_block and not b.attr for b in c.children):
                # A named Chain of block calls is an nn.Sequential of their instances, as a
                # repeat's copies are: its keys are `name.0.…`, `name.1.…` (torchvision's
                # `layer2` of a BasicBlock with a downsample and one without).
                copies = chained(c.children)
                items.append(Item(c.output, (copies[0].input,), copies=copies, group=c))
            elif c.kind is GroupKind.CHAIN and c.children and (seq := sequence(c)):
                # Layers, blocks and inner Chains (torchvision's `features`): nested
                # nn.Sequentials, keys `features.0.0.weight`, `features.1.conv.0.weight`, or the
                # names the spec gives them (`features.conv0.weight`).
                members, start, end = seq
                ext = external_input(c, report)
                out = _last_node(c)
                items.append(Item(out, (ext,), members=members, group=c, converts=moves((ext,), start)))
                held(out, end if has_layout(infos[out].out) else layouts.of.get(out))
            else:
                walk(c.children)

    def sequence(c: Group):
        built = len(all_occ)
        seq = _sequence(c, report, layouts, all_occ, here, arriving(external_input(c, report)))
        if seq is None:
            del all_occ[built:]           # block calls built before a part that cannot be held
        return seq

    walk(group.children)
    model = report.model
    inp = model.inputs[0] if group.is_model else external_input(group, report)
    occ = Occurrence(group, report, layouts, items, inp, group.output, moved=moved)
    if group.is_model:
        occ.inputs, occ.outputs = list(model.inputs), list(model.outputs)
    local = {i: -1 - k for k, i in enumerate(occ.inputs or [inp])}
    for pos, it in enumerate(items, 1):
        it.inputs_rel = tuple(local.get(i, i) for i in it.inputs)
        local[it.out] = pos - 1
    _attribute_names(items, infos, graph)
    if group.is_model:
        _value_names(group, items, graph)
    all_occ.append(occ)
    return occ


def _attribute_names(items: list[Item], infos, graph) -> None:
    """Each item's attribute, from the spec's structure rather than running positions: the
    name the spec gave it (`name="fc"`), else its kind's prefix numbered among the items of
    that prefix in this body (`conv1`, `bn1`, `conv2`, …; a block's snake-case name, a
    repeat's plural). A layer without a module (relu, flatten, a join) takes no number, and
    one without parameters (Dropout, a pooling) renumbers only its own kind: inserting one
    renames no key of the state_dict."""
    given = {it: (it.group.attr if it.group is not None else graph[it.out].attr) for it in items}
    taken = {a for a in given.values() if a}
    counts: dict[str, int] = {}
    for it in items:
        if it.code is not None and it.code.module is None:
            continue
        if given[it]:
            it.attr = safe_identifier(given[it], taken - {given[it]})
            continue
        if it.code is not None:
            layer = infos[it.out].layer
            # A plugin kind may name its own prefix (`short_name = "se"`).
            prefix = getattr(layer, "short_name", None) or SHORT_NAMES.get(layer.kind, layer.family)
        elif it.child is not None:
            prefix = snake(it.child.group.name)
        elif it.members:
            prefix = "seq"
        else:
            prefix = f"{snake(it.copies[0].group.name)}s"
        while True:
            counts[prefix] = counts.get(prefix, 0) + 1
            attr = f"{prefix}{counts[prefix]}" if not prefix[-1].isdigit() else f"{prefix}_{counts[prefix]}"
            if attr not in taken:
                break
        it.attr = attr
        taken.add(attr)


def _value_names(model: Group, items: list[Item], graph) -> None:
    """A graph body's one-layer statement names its attribute: `class_token = Parameter(...)`
    becomes `self.class_token` (unless `name=` said otherwise)."""
    named = model.named_layers()
    taken = {it.attr for it in items if it.attr}
    for it in items:
        if it.attr and it.out in named and not graph[it.out].attr:
            taken.discard(it.attr)
            it.attr = safe_identifier(snake(named[it.out]), taken)
            taken.add(it.attr)
