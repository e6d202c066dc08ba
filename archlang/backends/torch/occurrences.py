"""One class body per block call (an occurrence): the items of its forward and their nodes."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...check import ModelReport
from ...ir.groups import Group, GroupKind
from ...layers.torch_code import X, Call, Template, TorchCode
from .tables import ACT_MODULES, SHORT_NAMES
from .layout import Layouts, act_dim, shape_of, torch_code
from .names import safe_identifier, snake
from .text import filled, fmt


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
    chain: list = field(default_factory=list)    # a named Chain: its layers' (node, code)
    members: list = field(default_factory=list)  # a named Chain of blocks, layers and inner
                                                 # Chains: Occurrence | (node, code) | list
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

    def shapes(self, item: Item) -> tuple[int, ...]:
        return shape_of(self.report, self.layouts, item.out)

    def key(self) -> tuple:
        """What two calls must share to share a class: everything but constructor numbers."""
        parts = []
        for it in self.items:
            parts.append((it.attr, tuple(it.inputs_rel), self.ctor_skeleton(it), self.forward_skeleton(it)))
        return (self.group.name, tuple(parts))

    def ctor(self, it: Item):
        if it.code is not None:
            return it.code.module
        if it.chain:
            return sequential(it.chain)
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
        if it.chain:
            return fmt(sequential(it.chain), lambda v: "#")
        if it.members:
            return fmt(nested(it.members, skeleton=True), lambda v: "#")
        return fmt(filled(it.code.module), lambda v: "#") if it.code.module is not None else ""

    def forward_skeleton(self, it: Item) -> str:
        c = it.code
        if c is None:
            return ""
        return repr((c.pre, c.call, c.post, c.act, c.init, it.converts, it.act_dim))

    def instance(self) -> Call:
        return Call(self.cls.name, tuple(self.args), tuple(self.kwargs))


def sequential(chain: list) -> Call:
    """A named Chain's nn.Sequential: each layer's module, then its activation's module."""
    mods = []
    for _, code in chain:
        if code.module is not None:
            mods.append(code.module)
        if code.act != "identity":
            mods.append(ACT_MODULES[code.act])
    return Call("nn.Sequential", tuple(mods))


def nested(members: list, skeleton: bool = False) -> Call:
    """A named Chain's nn.Sequential of block instances, layers (then their activation's
    module) and inner Chains (an nn.Sequential each), in order: keys `name.0.…`, `name.1.0.…`."""
    mods = []
    for m in members:
        if isinstance(m, list):
            mods.append(nested(m, skeleton))
        elif isinstance(m, tuple):
            mods += sequential([m]).args
        else:
            mods.append(Call(f"<{id(m.cls)}>") if skeleton else m.instance())
    return Call("nn.Sequential", tuple(mods))


def _plain(c: int, report: ModelReport, layouts: Layouts, entry, prev) -> TorchCode | None:
    """The code of a layer an nn.Sequential can hold: a module applied as it is (or an
    activation with a module), its input in the layout it takes; None otherwise."""
    graph = report.model.graph
    node = graph[c]
    if len(node.inputs) != 1 or (prev is not None and node.inputs[0] != prev):
        return None
    code = torch_code(report, layouts, c)
    plain = code.module is not None or code.call is X
    if not plain or code.pre is not None or code.post or isinstance(code.call, Template) \
            or code.act not in ACT_MODULES or code.init != "default":
        return None
    take, came = layouts.takes.get(c), entry.get(node.inputs[0], layouts.of.get(node.inputs[0]))
    if prev is not None and take and came and take != came:
        return None
    return code


def _members(group: Group, report: ModelReport, layouts: Layouts, all_occ: list, entry) -> list | None:
    """A named Chain's members when one nn.Sequential (nested for inner Chains) computes it:
    block calls, plain layers and unnamed inner Chains of the same, in a line. None otherwise."""
    out = []
    for c in group.children:
        if isinstance(c, int):
            code = _plain(c, report, layouts, entry, None)
            if code is None:
                return None
            out.append((c, code))
        elif c.is_block:
            out.append(occurrence(c, report, layouts, all_occ, entry))
        elif c.kind is GroupKind.CHAIN and not c.attr and c.children:
            inner = _members(c, report, layouts, all_occ, entry)
            if inner is None:
                return None
            out.append(inner)
        else:
            return None
    return out or None


def _sequential_chain(group: Group, report: ModelReport, layouts: Layouts, entry) -> list | None:
    """A named Chain's layers as (node, code), when one nn.Sequential computes it: layers in
    a line, each a module applied as it is (or an activation with a module), none needing its
    input moved to another layout. None otherwise: its layers are then written one by one."""
    chain, prev = [], None
    for c in group.children:
        if not isinstance(c, int) or (code := _plain(c, report, layouts, entry, prev)) is None:
            return None
        chain.append((c, code))
        prev = c
    return chain or None


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
    entry = entry or {}

    def arriving(i: int) -> str | None:
        return entry.get(i, layouts.of.get(i))

    def moves(ins, target) -> tuple:
        return tuple((target, len(infos[i].out)) if target and arriving(i) and arriving(i) != target
                     else None for i in ins)

    def walk(children):
        for c in children:
            if isinstance(c, int):
                code = torch_code(report, layouts, c)
                items.append(Item(c, graph[c].inputs, code=code,
                                  converts=moves(graph[c].inputs, layouts.takes.get(c)),
                                  act_dim=act_dim(report, layouts, c)))
            elif c.is_block:
                child = occurrence(c, report, layouts, all_occ, entry)
                items.append(Item(c.output, (child.input,), child=child, group=c))
            elif c.folded:
                # Folded: one copy was built; its class is instantiated `times` times, so
                # each copy takes its input in the layout the copy gives its output in.
                body = c.repeated_body
                start = external_input(body, report)
                loop = layouts.of.get(body.output)
                child = occurrence(body, report, layouts, all_occ, {**entry, start: loop})
                items.append(Item(c.output, (child.input,), copies=[child], times=c.times, group=c,
                                  converts=moves((start,), loop)))
            elif c.copied_blocks is not None:
                copies = [occurrence(b, report, layouts, all_occ, entry) for b in c.copied_blocks]
                items.append(Item(c.output, (copies[0].input,), copies=copies, group=c))
            elif c.kind is GroupKind.CHAIN and c.attr and c.children \
                    and all(not isinstance(b, int) and b.is_block for b in c.children):
                # A named Chain of block calls is an nn.Sequential of their instances, as a
                # repeat's copies are: its keys are `name.0.…`, `name.1.…` (torchvision's
                # `layer2` of a BasicBlock with a downsample and one without).
                copies = [occurrence(b, report, layouts, all_occ, entry) for b in c.children]
                items.append(Item(c.output, (copies[0].input,), copies=copies, group=c))
            elif c.kind is GroupKind.CHAIN and (chain := _sequential_chain(c, report, layouts, entry)):
                first = graph[chain[0][0]].inputs
                items.append(Item(c.output, first, chain=chain, group=c,
                                  converts=moves(first, layouts.takes.get(chain[0][0]))))
            elif c.kind is GroupKind.CHAIN and c.attr and not c.is_model \
                    and (members := _members(c, report, layouts, all_occ, entry)):
                # Layers, blocks and inner Chains mixed (torchvision's `features`): nested
                # nn.Sequentials, keys `features.0.0.weight`, `features.1.conv.0.weight`.
                items.append(Item(c.output, (external_input(c, report),), members=members, group=c))
            else:
                walk(c.children)

    walk(group.children)
    model = report.model
    inp = model.inputs[0] if group.is_model else external_input(group, report)
    occ = Occurrence(group, report, layouts, items, inp, group.output)
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
        elif it.chain or it.members:
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
