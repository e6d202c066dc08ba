"""archlang.diff / analysis/diff.py: stages, their alignment and deltas, against hand-computed
counts (ResNet-18 → ResNet-34, and small fixtures whose every figure is in its comments)."""
from __future__ import annotations

import json

import pytest

import archlang
from archlang.analysis.diff import COMPARED, SCHEMA, TOTALS, align, compare, matches, stages
from conftest import FIXTURES, SPECS

DIFF = FIXTURES / "diff"
R18, R34 = SPECS / "famous/resnet18.arch", SPECS / "famous/resnet34.arch"


def basic_block(c: int) -> int:
    """Parameters of torchvision's BasicBlock(c): two 3×3 convolutions c → c without bias,
    each followed by a BatchNorm (weight and bias per channel)."""
    return 2 * (3 * 3 * c * c) + 2 * (2 * c)


def basic_block_macs(c: int, side: int) -> int:
    """MACs of BasicBlock(c) on side×side×c: two 3×3 convolutions, 9·c·c per output pixel."""
    return 2 * 9 * c * c * side * side


@pytest.fixture(scope="module")
def resnets():
    return archlang.diff(R18, R34)


def test_resnet18_to_34_adds_10108160_parameters(resnets):
    a, b = archlang.analyze(R18), archlang.analyze(R34)
    assert (a.totals.params, b.totals.params) == (11_689_512, 21_797_672)   # torchvision's
    assert resnets.delta("params") == 21_797_672 - 11_689_512 == 10_108_160
    assert resnets.delta("macs") == b.totals.macs - a.totals.macs
    assert resnets.delta("layers") == 108 - 60


def test_resnet18_to_34_stage_by_stage(resnets):
    # The specs as written: the stem, then per torchvision layer (2, 2, 2, 2 → 3, 4, 6, 3
    # blocks) a stride-2 BasicBlockDown and the repeated BasicBlocks (layer1 has no Down).
    assert [r.status for r in resnets.rows] == \
        ["same"] * 3 + ["changed", "same"] * 3 + ["changed"] + ["same"] * 3
    changed = [(r.a.index, r.a.copies, r.b.copies, r.delta("params"), r.delta("macs"))
               for r in resnets.changed]
    assert changed == [
        (4, 2, 3, 1 * basic_block(64), 1 * basic_block_macs(64, 56)),      # layer1: 2 → 3
        (6, 1, 3, 2 * basic_block(128), 2 * basic_block_macs(128, 28)),    # layer2: 2 → 4
        (8, 1, 5, 4 * basic_block(256), 4 * basic_block_macs(256, 14)),    # layer3: 2 → 6
        (10, 1, 2, 1 * basic_block(512), 1 * basic_block_macs(512, 7)),    # layer4: 2 → 3
    ]
    assert [r.delta("params") for r in resnets.changed] == [73_984, 590_848, 4_722_688, 4_720_640]
    assert [(r.a.label, r.b.label) for r in resnets.changed] == [
        ("repeat(2, BasicBlock(64))", "repeat(3, BasicBlock(64))"),
        ("BasicBlock(128)", "repeat(3, BasicBlock(128))"),
        ("BasicBlock(256)", "repeat(5, BasicBlock(256))"),
        ("BasicBlock(512)", "repeat(2, BasicBlock(512))")]
    assert all(r.a.output_shape == r.b.output_shape for r in resnets.rows)


def test_a_later_stage_whose_only_difference_is_its_receptive_field_is_the_same(resnets):
    down = resnets.rows[4]              # BasicBlockDown(64, 128, 2), after one more BasicBlock(64)
    assert down.a.label == "BasicBlockDown(64, 128, 2)"
    assert down.status == "same" and down.changes == ("rf",)
    assert (down.a.rf.text(), down.b.rf.text()) == ("67×67 /8", "83×83 /8")   # +16: 2 convs 3×3 at /4


def test_stage_deltas_add_up_to_the_totals(resnets):
    for figure in ("params", "macs", "activation_bytes", "layers"):
        assert sum(r.delta(figure) for r in resnets.rows) == resnets.delta(figure), figure


def test_an_inserted_dropout_is_added_with_nothing_else_changed():
    d = archlang.diff(DIFF / "small.arch", DIFF / "small_dropout.arch")
    (added,) = d.added
    assert (added.a, added.b.label, added.b.index, added.b.params, added.b.macs) == \
        (None, "Dropout(0.5)", 6, 0, 0)
    assert added.b.output_shape == (400,)
    assert [r.status for r in d.rows] == ["same"] * 5 + ["added", "same"]
    # Stage 6 of A (the Dense layer) is stage 7 of B: paired, not shifted.
    assert (d.rows[-1].a.index, d.rows[-1].b.index, d.rows[-1].changes) == (6, 7, ())
    assert (d.delta("params"), d.delta("macs"), d.delta("layers")) == (0, 0, 1)
    assert d.delta("activation_bytes") == 400 * 4        # Dropout's output, fp32, batch 1


def test_the_reverse_is_a_removal():
    d = archlang.diff(DIFF / "small_dropout.arch", DIFF / "small.arch")
    (removed,) = d.removed
    assert (removed.a.label, removed.a.index, removed.b) == ("Dropout(0.5)", 6, None)
    assert removed.delta("activation_bytes") == -1600 and not d.added and not d.changed


def test_a_layer_of_another_kind_is_removed_and_added():
    d = archlang.diff(DIFF / "small.arch", DIFF / "small_meanpool.arch")
    assert [(r.status, r.stage.label) for r in d.rows if r.status != "same"] == \
        [("removed", "MaxPool((2, 2))"), ("added", "MeanPool((2, 2))")]


def test_a_wider_convolution_changes_it_and_what_follows():
    d = archlang.diff(DIFF / "small.arch", DIFF / "small_wider.arch")
    assert [r.status for r in d.rows] == ["same", "same", "changed", "changed", "changed", "changed"]
    conv, pool, flat, dense = d.rows[2:]
    # Conv((3, 3), 8 => 16): 9·8·16 + 16 = 1,168; 8 => 32: 9·8·32 + 32 = 2,336.
    assert (conv.a.params, conv.b.params, conv.delta("params")) == (1168, 2336, 1168)
    assert conv.delta("macs") == 9 * 8 * 16 * 10 * 10                     # 16 more channels
    assert set(conv.changes) == {"label", "params", "macs", "activation_bytes", "output_shape"}
    assert (pool.a.output_shape, pool.b.output_shape) == ((5, 5, 16), (5, 5, 32))
    assert pool.changes == ("activation_bytes", "output_shape")
    assert (flat.a.output_shape, flat.b.output_shape) == ((400,), (800,))
    assert (dense.a.params, dense.b.params) == (4010, 8010)
    assert d.delta("params") == 1168 + 4000 == 5168


def test_graph_bodies_align_their_statements_by_name():
    d = archlang.diff(DIFF / "heads.arch", DIFF / "heads_box.arch")
    assert [(r.status, r.stage.key) for r in d.rows] == \
        [("same", "h ="), ("added", "box ="), ("changed", "cls =")]
    box, cls = d.rows[1].b, d.rows[2]
    assert (box.label, box.params) == ("box = Dense(8 => 4)", 8 * 4 + 4)
    assert (cls.a.params, cls.b.params) == (8 * 10 + 10, 8 * 20 + 20)
    assert d.rows[0].a.params == 3 * 3 * 3 * 8 + 8 and d.rows[0].a.layers == 3


def test_a_folded_repeat_is_one_stage_with_its_copies_counted():
    a = "model m(x: 8) = Chain(repeat(1_000_000, Dense(8 => 8)), Dense(8 => 2))"
    b = "model m(x: 8) = Chain(repeat(3_000_000, Dense(8 => 8)), Dense(8 => 2))"
    d = archlang.diff(a, b)
    rep = d.rows[0]
    assert (rep.status, rep.a.copies, rep.b.copies) == ("changed", 1_000_000, 3_000_000)
    assert rep.delta("params") == 2_000_000 * (8 * 8 + 8)
    assert rep.delta("layers") == 2_000_000
    assert rep.b.label.endswith("×3,000,000, folded")


def test_the_same_model_has_no_difference():
    d = archlang.diff(R18, R18)
    assert d.same and all(r.changes == () for r in d.rows)
    assert all(d.delta(t) == 0 for t in TOTALS)


def test_alignment_pairs_the_longest_common_runs():
    a = stages(archlang.analyze("model m(x: 4) = Chain(Dense(4, 4), relu, Dense(4, 4), relu)"))
    b = stages(archlang.analyze("model m(x: 4) = Chain(Dense(4, 4), Dense(4, 4), relu)"))
    rows = align(a, b)
    assert [(r.status, r.a and r.a.index, r.b and r.b.index) for r in rows] == \
        [("same", 1, 1), ("removed", 2, None), ("same", 3, 2), ("same", 4, 3)]


def test_json_schema_is_stable():
    d = archlang.diff(DIFF / "small.arch", DIFF / "small_dropout.arch")
    doc = json.loads(json.dumps(d.json()))
    assert doc["schema"] == SCHEMA == "archlang.diff/1"
    assert set(doc) == {"schema", "a", "b", "batch", "dtype", "summary", "stages", "totals"}
    assert doc["a"] == {"file": str(DIFF / "small.arch"), "model": "small",
                        "title": "small(x: 28×28×1) → 10", "stages": 6}
    assert doc["summary"] == {"added": 1, "removed": 0, "changed": 0, "same": 6}
    row = doc["stages"][5]
    assert set(row) == {"status", "changes", "a", "b", "delta"}
    assert row["status"] == "added" and row["a"] is None
    assert set(row["b"]) == {"index", "label", "key", "copies", "layers", "params", "macs",
                             "activation_bytes", "output_shape", "rf"}
    assert row["b"]["output_shape"] == [400] and row["b"]["rf"]["whole_input"] is True
    assert row["delta"] == {"params": 0, "macs": 0, "activation_bytes": 1600, "layers": 1}
    assert set(doc["totals"]) == set(TOTALS)
    assert doc["totals"]["params"] == {"a": 5386, "b": 5386, "delta": 0}
    assert set(COMPARED) <= set(row["b"]) | {"label"}


def test_str_is_the_table():
    text = str(archlang.diff(DIFF / "small.arch", DIFF / "small_dropout.arch"))
    assert "+     6  Dropout(0.5)" in text
    assert "stages: 6 → 7; 0 changed, 1 added, 0 removed, 6 the same" in text


def test_api_takes_analyses_reports_and_a_model_per_side():
    two = DIFF / "two_models.arch"
    d = archlang.diff(two, two, model=("narrow", "wide"))
    assert (d.a.name, d.b.name) == ("narrow", "wide")
    # Dense(16 => 8) 136 + Dense(8 => 2) 18; Dense(16 => 32) 544 + Dense(32 => 2) 66.
    assert (d.a.total("params"), d.b.total("params"), d.delta("params")) == (154, 610, 456)
    report = archlang.check(two).model("wide")
    same = archlang.diff(archlang.analyze(two, "wide"), report)
    assert same.same and same.a.file == ""
    assert archlang.diff(two, two, model="wide").same


def test_api_errors():
    with pytest.raises(archlang.SpecError) as err:
        archlang.diff(DIFF / "small.arch", DIFF / "bad.arch")
    assert err.value.diagnostics[0].code == "E0301"
    with pytest.raises(archlang.SpecError):
        archlang.diff(DIFF / "small.arch", DIFF / "small.arch", model="nope")
    with pytest.raises(ValueError):
        archlang.diff(DIFF / "small.arch", DIFF / "small.arch", dtype="fp7")
    with pytest.raises(ValueError):
        archlang.diff(DIFF / "small.arch", DIFF / "small.arch", batch=0)


def test_batch_and_dtype_scale_the_memory():
    d = archlang.diff(DIFF / "small.arch", DIFF / "small_dropout.arch", batch=8, dtype="fp16")
    assert d.added[0].delta("activation_bytes") == 400 * 2 * 8
    assert compare(archlang.analyze(R18), archlang.analyze(R34)).delta("params") == 10_108_160


def _lcs_length(a, b) -> int:
    """Brute force: the longest common subsequence's length, by recursion."""
    from functools import lru_cache

    @lru_cache(maxsize=None)
    def length(i, j):
        if i == len(a) or j == len(b):
            return 0
        if a[i] == b[j]:
            return 1 + length(i + 1, j + 1)
        return max(length(i + 1, j), length(i, j + 1))
    return length(0, 0)


def _valid(pairs, a, b) -> bool:
    return all(a[i] == b[j] for i, j in pairs) and \
        all(i1 < i2 and j1 < j2 for (i1, j1), (i2, j2) in zip(pairs, pairs[1:]))


@pytest.mark.parametrize("a, b", [
    ("DrDr", "DDr"), ("abcabba", "cbabac"), ("", "abc"), ("abc", ""), ("aaaa", "aa"),
    ("xabcx", "xacbx"), ("abcdefgh", "abXdefYh"),
])
def test_matches_pair_as_many_stages_as_possible(a, b):
    pairs = matches(list(a), list(b))
    assert _valid(pairs, a, b) and len(pairs) == _lcs_length(a, b)


def test_a_long_middle_is_aligned_by_difflib(monkeypatch):
    import archlang.analysis.diff as diff_module
    monkeypatch.setattr(diff_module, "EXACT_CELLS", 0)
    a, b = list("xDrDrx"), list("xDDrx")
    pairs = matches(a, b)
    assert _valid(pairs, a, b) and (0, 0) in pairs and (5, 4) in pairs


def test_a_body_that_is_one_block_call_is_opened():
    net = DIFF / "net_block.arch"
    d = archlang.diff(net, net, model=("net16", "net32"))
    assert [(r.status, r.stage.key) for r in d.rows] == [
        ("changed", "Conv"), ("changed", "GlobalMeanPool"), ("changed", "flatten"),
        ("changed", "Dense")]
    conv, dense = d.rows[0], d.rows[3]
    assert (conv.a.params, conv.b.params) == (9 * 3 * 16 + 16, 9 * 3 * 32 + 32)
    assert (dense.a.params, dense.b.params) == (16 * 10 + 10, 32 * 10 + 10)
