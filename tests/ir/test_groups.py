"""The group tree (archlang/ir/groups.py): every group has a GroupKind, and the questions
asked of the tree are answered for each shape it takes."""
from __future__ import annotations

import archlang
from archlang.ir.groups import Group, GroupKind
from conftest import SPECS, model_of

BLOCKS = "block B(c) = Chain(Dense(c => c), relu)\n"


def _groups(g: Group):
    yield g
    for c in g.children:
        if isinstance(c, Group):
            yield from _groups(c)


def test_every_group_of_every_spec_has_a_kind():
    kinds = set()
    for path in SPECS.glob("*/*.arch"):
        for report in archlang.check(path).models:
            kinds |= {g.kind for g in _groups(report.model.tree)}
    assert all(isinstance(k, GroupKind) for k in kinds)
    assert {GroupKind.MODEL, GroupKind.BLOCK, GroupKind.REPEAT, GroupKind.COPY, GroupKind.SKIP,
            GroupKind.PARALLEL, GroupKind.BRANCH, GroupKind.VALUE} <= kinds


def test_an_unrolled_repeat_of_one_block():
    tree = model_of(BLOCKS + "model m(x: 4) = Chain(repeat(3, B(4)), Dense(4 => 2))").model.tree
    rep = tree.children[0]
    assert rep.is_repeat and not rep.folded and rep.copies == 3
    assert all(c.is_copy and c.sole_block is not None for c in rep.children)
    assert rep.copied_blocks == [c.children[0] for c in rep.children]
    assert [c.sole_block.label for c in rep.children] == ["B(4)"] * 3
    assert tree.sole_group is None and tree.children[1] == 7 and not isinstance(tree.children[1], Group)


def test_a_folded_repeat_stands_for_its_count():
    tree = model_of(BLOCKS + "model m(x: 4) = Chain(repeat(10^6, B(4)))").model.tree
    rep = tree.children[0]
    assert rep.folded and rep.copies == 10 ** 6 and len(rep.children) == 1
    assert rep.repeated_body is rep.children[0].sole_block and rep.repeated_body.is_block
    chain = model_of("model m(x: 4) = Chain(repeat(10^6, Chain(Dense(4 => 4), relu)))").model.tree
    body = chain.children[0].repeated_body             # not one block: the copy, named for a class
    assert body.is_copy and body.name == "Repeated" and list(body.node_ids()) == [1, 2]
    assert chain.children[0].copied_blocks is None


def test_a_graph_bodys_one_layer_statements_are_named():
    tree = model_of("model m(x: 4) = {\n  h = Dense(4 => 8)(x)\n  y = relu(Dense(8 => 2)(h))\n"
                    "  return y\n}").model.tree
    assert all(g.is_value for g in tree.children)
    assert tree.named_layers() == {1: "h"}             # `y` is two layers: no single name
    assert tree.children[0].sole_node == 1 and tree.children[1].sole_node is None
