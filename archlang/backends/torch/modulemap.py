"""Which part of the compiled module is each row of `archlang check`: the one map from a model
as written (check's rows, its group tree) to the generated classes' attributes.

`generate` builds it (`Generated.maps`) from the occurrences it writes the code from, so the
two cannot disagree. It is read by `check --columns name` (table.py), `train --freeze` (through
api.layer_rows), `archlang show` (interpret/rows.py) and the language server's hover. Attribute
names are chosen in occurrences.py alone; this map only records them, so naming them otherwise
changes that one place. Pure data: building it imports no torch.
"""
from __future__ import annotations

from dataclasses import dataclass

from ...check import ModelReport
from ...ir.groups import Group, GroupKind
from ...layers.layout import CHANNELS_FIRST, torch_order
from .classes import forward_lines
from .occurrences import Occurrence, _last_node, keyed


@dataclass(frozen=True)
class Place:
    """Where the running module holds a node's value: in local `variable` of the forward of
    submodule `owner` ("" for the model itself) when that forward reaches its line `line`
    (0: the first statement after `def forward`; the last is its `return`)."""

    owner: str
    line: int
    variable: str


@dataclass(eq=False)
class ModuleMap:
    """One checked model ↔ its compiled module. Paths are attribute paths, as
    `nn.Module.get_submodule` and `named_modules()` spell them (`basic_blocks4.0.conv1`)."""

    model: str
    rows: dict[int, int]                      # check's row number → node id
    layers: dict[int, str]                    # node id → path of the module holding its layer
                                              # (none for relu, flatten, joins)
    groups: dict[Group, str]                  # block, repeat (and its copies' blocks) → path
    submodules: dict[str, tuple[int, tuple | None]]
    # path → (node whose value it returns, its PyTorch output shape without N when a later
    # step of the same line changes it, else None); named_modules() order, Parameters left out
    places: dict[int, Place]                  # node id → where the forward holds its value
    layouts: dict[int, str | None] = None     # node id → its value's PyTorch layout
                                              # (layers/layout.py; None: no channel dim)

    def node(self, row: int) -> int | None:
        """The node of check's row `row`, or None if there is no such row."""
        return self.rows.get(row)

    outputs: dict[int, str | None] = None     # output node id → the layout it is returned in

    def torch_shape(self, node: int, shape, returned: bool = False) -> tuple[int, ...]:
        """Node `node`'s value of spec shape `shape` as the running module holds it (as the
        model returns it, if `returned`: images channels first), without N."""
        layout = self.outputs.get(node, self.layouts.get(node)) if returned else self.layouts.get(node)
        return torch_order(shape, layout or CHANNELS_FIRST)

    def path(self, row: int) -> str | None:
        """The attribute path of the module holding row `row`'s weights, or None."""
        node = self.rows.get(row)
        return None if node is None else self.layers.get(node)


def module_map(report: ModelReport, root: Occurrence) -> ModuleMap:
    """The map of the compiled model whose class body is `root` (after `generate` chose every
    class, so that each occurrence's class and its forward lines are final)."""
    m = ModuleMap(report.name, {i.index: i.node.id for i in report.layers}, {}, {}, {}, {},
                  dict(root.layouts.of), {n: root.layouts.output(n) for n in root.layouts.of})
    seen: set[int] = set()
    held_by: dict[int, list] = {}             # id(class) → its forward's (line, variable) per item

    def walk(occ: Occurrence, owner: str) -> None:
        prefix = owner + "." if owner else ""
        if id(occ) not in seen:           # values its forward holds in another layout
            seen.add(id(occ))
            m.layouts.update(occ.moved)
        held = held_by.get(id(occ.cls))
        if held is None:
            held = held_by[id(occ.cls)] = []
            forward_lines(occ.cls.first, held)
        for it, (line, variable) in zip(occ.items, held):
            path = prefix + it.attr if it.attr is not None else None
            if it.code is not None:
                if path is not None:
                    m.layers[it.out] = path
                    if it.code.module.fn != "nn.Parameter":   # a tensor, not a submodule
                        m.submodules[path] = (it.out, it.code.raw_out)
            elif it.members:
                m.groups[it.group] = path
                m.submodules[path] = (it.out, None)
                members(it.members, path)
            elif it.child is not None:
                m.groups[it.child.group] = path
                m.submodules[path] = (it.out, None)
                walk(it.child, path)
            else:
                m.groups[it.group] = path
                m.submodules[path] = (it.out, None)
                for k, copy in enumerate(it.copies):
                    # A folded repeat's copies are all alike: the first stands for them.
                    m.groups[copy.group] = f"{path}.{k}"
                    m.submodules[f"{path}.{k}"] = (copy.output, None)
                    walk(copy, f"{path}.{k}")
            m.places[it.out] = Place(owner, line, variable)   # after the inner ones: outermost

    def members(items: list, path: str) -> None:
        """A named Chain's nn.Sequential: its submodules keyed as it holds them, each output
        in the layout the Sequential holds it in (a Permute's, a LayerNorm2d's)."""
        for key, member, role in keyed(items):
            here = f"{path}.{key}"
            node = member.node if member.group is None else _last_node(member.group)
            held = torch_order(report.infos[node].out, member.gives or CHANNELS_FIRST)
            if role == "inner":
                m.submodules[here] = (node, held)
                members(member.inner, here)
            elif role == "block":
                m.groups[member.group] = here
                m.submodules[here] = (member.occ.output, held)
                walk(member.occ, here)
            elif role == "layer":
                m.layers[node] = here
                m.submodules[here] = (node, member.code.raw_out or held)
            else:                              # an activation's module, a Permute
                m.submodules[here] = (node, held)

    walk(root, "")
    return m


def shard_units(m: ModuleMap, tree: Group) -> list[tuple[str, ...]]:
    """The units FSDP shards the compiled module by (the wrap policy FSDP2 leaves to its
    user): every block call and every copy of a repeat's body, innermost first, as tuples of
    attribute paths. A group with a submodule of its own is that path; a copy written inline
    (`repeat(2, Dense(16 => 16, relu))`) is the layers it holds, together. A folded repeat's
    one copy stands for all of its copies, `path.0` … `path.{n-1}`. The root is left to the
    caller (sharded last, it takes what no unit holds)."""
    units: list[tuple[str, ...]] = []
    taken: set[str] = set()

    def covered(path: str) -> bool:
        return any(path == t or path.startswith(t + ".") for t in taken)

    def walk(group: Group) -> None:
        first = len(units)
        for child in group.children:
            if isinstance(child, Group):
                walk(child)
        if group.kind in (GroupKind.BLOCK, GroupKind.COPY):
            path = m.groups.get(group)
            unit = (path,) if path else tuple(dict.fromkeys(
                p for n in group.node_ids() if (p := m.layers.get(n)) and not covered(p)))
            if unit and not covered(unit[0]):
                units.append(unit)
                taken.update(unit)
        if group.folded and m.groups.get(group):
            copy0 = m.groups[group] + ".0"
            inside = units[first:]
            for k in range(1, group.times):
                for unit in inside:
                    units.append(tuple(copy0[:-1] + str(k) + p[len(copy0):]
                                       if p == copy0 or p.startswith(copy0 + ".") else p
                                       for p in unit))

    walk(tree)
    return units
