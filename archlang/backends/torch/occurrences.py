"""One class body per block call (an occurrence): the items of its forward and their nodes."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...check import ModelReport
from ...ir.groups import Group
from ...layers.torch_code import Call, TorchCode
from .tables import SHORT_NAMES
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
        if it.child is not None:
            return it.child.instance()
        return Call("nn.Sequential", tuple(c.instance() for c in it.copies))

    def ctor_skeleton(self, it: Item) -> str:
        if it.child is not None:
            return f"<{id(it.child.cls)}>"
        if it.copies:
            return "[" + ", ".join(f"<{id(c.cls)}>" for c in it.copies) + "]"
        return fmt(filled(it.code.module), lambda v: "#") if it.code.module is not None else ""

    def forward_skeleton(self, it: Item) -> str:
        c = it.code
        if c is None:
            return ""
        return repr((c.pre, c.call, c.post, c.act, c.init, it.converts, it.act_dim))

    def instance(self) -> Call:
        return Call(self.cls.name, tuple(self.args), tuple(self.kwargs))


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
            else:
                walk(c.children)

    walk(group.children)
    model = report.model
    inp = model.inputs[0] if group.is_model else external_input(group, report)
    occ = Occurrence(group, report, layouts, items, inp, group.output)
    if group.is_model:
        occ.inputs, occ.outputs = list(model.inputs), list(model.outputs)
    # Attribute names by position in this body (as `archlang check` numbers a model's layers).
    local = {i: -1 - k for k, i in enumerate(occ.inputs or [inp])}
    for pos, it in enumerate(items, 1):
        it.inputs_rel = tuple(local.get(i, i) for i in it.inputs)
        local[it.out] = pos - 1
        if it.code is not None and it.code.module is not None:
            layer = infos[it.out].layer
            # A plugin kind may name its own prefix (`short_name = "se"`).
            prefix = getattr(layer, "short_name", None) or SHORT_NAMES.get(layer.kind, layer.family)
            it.attr = f"{prefix}{pos}"
        elif it.child is not None:
            it.attr = f"{snake(it.child.group.name)}{pos}"
        elif it.copies:
            it.attr = f"{snake(it.copies[0].group.name)}s{pos}"
    if group.is_model:
        _value_names(group, items)
    all_occ.append(occ)
    return occ


def _value_names(model: Group, items: list[Item]) -> None:
    """A graph body's one-layer statement names its attribute: `class_token = Parameter(...)`
    becomes `self.class_token`."""
    named = model.named_layers()
    taken = {it.attr for it in items if it.attr}
    for it in items:
        if it.attr and it.out in named:
            taken.discard(it.attr)
            it.attr = safe_identifier(snake(named[it.out]), taken)
            taken.add(it.attr)
