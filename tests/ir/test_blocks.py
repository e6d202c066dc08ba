"""Blocks, repetition, joins and imports: lowering to the graph IR."""
from __future__ import annotations

import networkx as nx

import archlang
from conftest import errors_of, model_of


def test_the_ir_is_a_dag_with_join_nodes():
    m = model_of("""
block Inception(c1, c3r, c3, c5r, c5, pp) = Parallel(cat,
        Conv((1, 1), _ => c1, relu),
        Chain(Conv((1, 1), _ => c3r, relu), Conv((3, 3), c3r => c3, relu, pad=1)),
        Chain(Conv((1, 1), _ => c5r, relu), Conv((5, 5), c5r => c5, relu, pad=2)),
        Chain(MaxPool((3, 3), stride=1, pad=1), Conv((1, 1), _ => pp, relu)))
model g(x: 28×28×192) = Inception(64, 96, 128, 16, 32, 32)""")
    dag = m.model.graph.dag
    assert nx.is_directed_acyclic_graph(dag)
    join = m.model.output
    assert dag.in_degree(join) == 4 and dag.out_degree(0) == 4
    assert str(m.output_shape) == "28×28×256"        # GoogLeNet 3a: 64 + 128 + 32 + 32


def test_design_example_tiny_resnet():
    m = model_of("""
block BasicBlock(c) = SkipConnection(Chain(
        Conv((3, 3), c => c, pad=1, bias=false), BatchNorm(c, relu),
        Conv((3, 3), c => c, pad=1, bias=false), BatchNorm(c)), +)

model tiny(x: 32×32×3) = Chain(Conv((3, 3), 3 => 64, pad=1), repeat(3, BasicBlock(64)),
                               GlobalMeanPool(), flatten, Dense(64, 10))""")
    block = 2 * (3 * 3 * 64 * 64 + 128)
    assert m.params == (3 * 3 * 3 * 64 + 64) + 3 * block + 650
    # repeat makes separate nodes (separate weights) for each copy
    convs = [i for i in m.layers if i.layer.kind == "Conv"]
    assert len(convs) == 7 and len({i.node.id for i in convs}) == 7


def test_block_arithmetic_defaults_and_keywords():
    m = model_of("""
block Widen(c, k=2) = Conv((3, 3), c => k*c, pad=1)
model m(x: 8×8×3) = Chain(Widen(3), Widen(c=6, k=3))""")
    assert str(m.output_shape) == "8×8×18"


def test_nodes_remember_the_block_they_came_from():
    m = model_of("""
block Res(c) = SkipConnection(Conv((3, 3), c => c, pad=1), +)
model m(x: 8×8×4) = repeat(2, Res(4))""")
    conv = m.layers[0]
    assert [s.label for s in conv.node.scope] == ["copy 1/2", "Res(4)"]
    assert conv.node.span.text == "Conv((3, 3), c => c, pad=1)"


def test_join_errors_point_inside_the_block_and_at_the_call():
    (err,) = errors_of("""block Res(c) = SkipConnection(Conv((3, 3), c => 2*c, pad=1), +)
model m(x: 16×16×8) = Chain(
    Res(8))""")
    assert err.message == "adding 16×16×16 to 16×16×8: the channels (16 and 8) differ and neither is 1"
    assert err.span.line == 1                                   # the `+` inside the block
    assert any(lab.span.line == 3 and "Res(8)" in lab.message for lab in err.labels)


def test_concat_errors_name_both_shapes():
    (err,) = errors_of("model m(x: 16×16×8) = Parallel(cat, Conv((3, 3), 8 => 4), Conv((1, 1), 8 => 4))")
    assert err.message == "concatenating 14×14×4 with 16×16×4"
    assert [lab.message for lab in err.labels] == ["gives 14×14×4", "gives 16×16×4"]


def test_recursion_is_a_diagnostic():
    (err,) = errors_of("block A(c) = B(c)\nblock B(c) = A(c)\nmodel m(x: 4) = A(4)")
    assert err.code == "E0105" and "A → B → A" in err.message


def test_unknown_and_missing_block_parameters():
    errs = errors_of("block R(c) = Dense(c, c)\nmodel m(x: 4) = Chain(R(c=4, d=1), R())")
    assert [e.code for e in errs] == ["E0101", "E0102"]
    assert "missing its parameter `c`" in errs[1].message


def test_a_block_called_many_times_reports_its_mistake_once():
    errs = errors_of("block R(c) = Dense(c, c, relu7)\nmodel m(x: 4) = repeat(5, R(4))")
    assert len(errs) == 1


def test_imports_relative_and_standard_library(tmp_spec):
    tmp_spec("block Twice(c) = Chain(Dense(c, c), Dense(c, c))", "lib/blocks.arch")
    main = tmp_spec('import "lib/blocks.arch"\nimport "std/resnet.arch"\n'
                    "model m(x: 4) = Twice(4)\n"
                    "model r(x: 56×56×64) = BasicBlock(64)", "main.arch")
    result = archlang.check(main)
    assert result.ok, "\n".join(map(str, result.diagnostics))
    assert result.model("m").params == 40
    assert result.model("r").params == 73_984      # torchvision BasicBlock(64, 64)


def test_import_cycles_missing_files_and_climbing_out(tmp_spec):
    tmp_spec('import "b.arch"\nblock A(c) = Dense(c, c)', "a.arch")
    tmp_spec('import "a.arch"\nblock B(c) = Dense(c, c)', "b.arch")
    tmp_spec("block Outside(c) = Dense(c, c)", "outside.arch")
    main = tmp_spec('import "a.arch"\nimport "nope.arch"\nimport "../outside.arch"\n'
                    "model m(x: 4) = A(4)", "sub/main.arch")
    # sub/a.arch does not exist: write the pair inside sub/ too
    tmp_spec('import "b.arch"\nblock A(c) = Dense(c, c)', "sub/a.arch")
    tmp_spec('import "a.arch"\nblock B(c) = Dense(c, c)', "sub/b.arch")
    result = archlang.check(main)
    messages = [d.message for d in result.errors]
    assert any(m.startswith("import cycle: a.arch → b.arch → a.arch") for m in messages)
    assert "cannot find `nope.arch`" in messages
    assert any("climbs out of" in m for m in messages)


def test_duplicate_blocks_across_files(tmp_spec):
    tmp_spec("block A(c) = Dense(c, c)", "lib.arch")
    main = tmp_spec('import "lib.arch"\nblock A(c) = Dense(c, 1)\nmodel m(x: 4) = A(4)', "main.arch")
    (err,) = archlang.check(main).errors
    assert err.code == "E0104"


def test_an_unsaved_spec_imports_beside_its_folder_not_the_working_directory(tmp_spec):
    # An editor's new file (not yet on disk) in a folder that holds its imports.
    tmp_spec("block Twice(c) = Chain(Dense(c, c), Dense(c, c))", "lib/blocks.arch")
    from archlang.check import check_source
    from archlang.source import Source
    lib = tmp_spec("", "lib/placeholder.arch").parent
    unsaved = Source(str(lib / "new.arch"), 'import "blocks.arch"\nmodel m(x: 4) = Twice(4)')
    result = check_source(unsaved)
    assert result.errors == [] and result.models[0].params == 2 * (4 * 4 + 4)
