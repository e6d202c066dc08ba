"""The tree of groups a model was written as, and the questions asked of it.

A model's graph is flat; its `Group` tree keeps the spec's structure (block calls, repeats and
their copies, skips, branches, a graph body's statements) for tables, drawings and the
compiled module's classes. Each kind is a `GroupKind`, set once by the builder
(archlang/ir/graph.py); every question about the shape of the tree (is this repeat folded?
is this copy one block call?) is answered here, so its readers agree.
"""
from __future__ import annotations

from enum import Enum

from ..records import dataclass, field
from ..source import Span


class GroupKind(Enum):
    MODEL = "model"          # the root: the model's body
    BLOCK = "block"          # a block call, `BasicBlock(64)`
    REPEAT = "repeat"        # `repeat(n, body)`: its children are its copies
    COPY = "copy"            # one copy of a repeat's body (a folded repeat has one, for all n)
    SKIP = "skip"            # `SkipConnection(inner, op)`: inner's nodes, then the join node
    PARALLEL = "parallel"    # `Parallel(op, ...)`: its branches, then the join node
    BRANCH = "branch"        # one branch of a Parallel
    VALUE = "value"          # a graph body's statement (`h = ...`) or returned expression
    CHAIN = "chain"          # a Chain given a name (`Chain(...; name="downsample")`): one
                             # nn.Sequential in the compiled module


@dataclass(eq=False)
class Group:
    """A piece of the spec as written. Children are groups and node ids, in creation order;
    `output` is the node whose value the group gives. Groups compare and hash by identity,
    so they can key maps (the compiled module's attribute of each block)."""

    kind: GroupKind
    label: str
    span: Span
    children: list = field(default_factory=list)     # Group | node id
    output: int | None = None
    name: str = ""          # a block's name ("BasicBlock"), a statement's; a folded body "Repeated"
    args: tuple = ()        # a block's ((parameter, value), ...)
    times: int = 1          # a folded repeat: its count (one copy built)
    attr: str = ""          # the compiled module's attribute the spec named it (`name=`)

    def node_ids(self):
        """The leaves under this group (layer node ids), in creation order. One loop with a
        stack: a generator per level would pass each id up through every level of nesting
        (nodes × depth)."""
        stack = [iter(self.children)]
        while stack:
            for c in stack[-1]:
                if isinstance(c, Group):
                    stack.append(iter(c.children))
                    break
                yield c
            else:
                stack.pop()

    @property
    def is_block(self) -> bool:
        return self.kind is GroupKind.BLOCK

    @property
    def is_repeat(self) -> bool:
        return self.kind is GroupKind.REPEAT

    @property
    def is_copy(self) -> bool:
        return self.kind is GroupKind.COPY

    @property
    def is_value(self) -> bool:
        return self.kind is GroupKind.VALUE

    @property
    def is_model(self) -> bool:
        return self.kind is GroupKind.MODEL

    @property
    def folded(self) -> bool:
        """A repeat built as one copy standing for `times` copies (docs/language.md)."""
        return self.kind is GroupKind.REPEAT and self.times > 1

    @property
    def copies(self) -> int:
        """How many copies a repeat stands for: its count, whether unrolled or folded."""
        return self.times if self.times > 1 else len(self.children)

    @property
    def sole_group(self) -> Group | None:
        """The one child when it is a group (`BasicBlock(64) = SkipConnection(...)`), else None."""
        if len(self.children) == 1 and isinstance(self.children[0], Group):
            return self.children[0]
        return None

    @property
    def sole_block(self) -> Group | None:
        """The block call a group consists of (a copy of `repeat(n, Block(...))`), else None."""
        g = self.sole_group
        return g if g is not None and g.kind is GroupKind.BLOCK else None

    @property
    def sole_node(self) -> int | None:
        """The one child when it is a layer node (`box = Dense(_ => 5)(h)`), else None."""
        if len(self.children) == 1 and not isinstance(self.children[0], Group):
            return self.children[0]
        return None

    @property
    def repeated_body(self) -> Group:
        """A folded repeat's body as one group: the block of `repeat(n, Block(...))`, else the
        copy itself (named "Repeated" by the builder, so that it can become a class)."""
        copy = self.children[0]
        return copy.sole_block or copy

    @property
    def copied_blocks(self) -> list[Group] | None:
        """An unrolled repeat whose every copy is one block call: those blocks, else None."""
        if self.kind is not GroupKind.REPEAT:
            return None
        blocks = [c.sole_block for c in self.children]
        return blocks if all(blocks) else None

    def named_layers(self) -> dict[int, str]:
        """A graph body's one-layer statements (model tree only): node → the name written
        (`class_token = Parameter(...)` names node of the Parameter `class_token`)."""
        return {g.sole_node: g.name for g in self.children
                if isinstance(g, Group) and g.kind is GroupKind.VALUE and g.name
                and g.sole_node is not None}
