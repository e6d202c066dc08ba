"""Receptive fields: by hand (model2, small chains), on branches, and against brute force."""
from __future__ import annotations

import archlang
from conftest import SPECS


def rfs(text_or_path, model=None):
    a = archlang.analyze(text_or_path, model)
    return [r.rf for r in a.layers]


def test_model2_by_hand():
    # r_out = r_in + (k − 1)·j_in, j_out = j_in·s (Araujo et al. 2019), per dimension:
    #   Conv 5×5:      r = 1 + 4·1 = 5,   j = 1
    #   MaxPool 2×2/2: r = 5 + 1·1 = 6,   j = 1·2 = 2
    #   Conv 3×3:      r = 6 + 2·2 = 10,  j = 2
    #   MaxPool 2×2/2: r = 10 + 1·2 = 12, j = 2·2 = 4
    # Nothing is padded, so output 0's field starts at input pixel 0.
    conv1, pool1, conv2, pool2, flat, dense = rfs(SPECS / "book/model2.arch")
    assert (conv1.size, conv1.jump, conv1.padding) == ((5, 5), (1, 1), (0, 0))
    assert (pool1.size, pool1.jump) == ((6, 6), (2, 2))
    assert (conv2.size, conv2.jump) == ((10, 10), (2, 2))
    assert (pool2.size, pool2.jump, pool2.padding) == ((12, 12), (4, 4), (0, 0))
    assert flat.whole and dense.whole
    assert pool2.text() == "12×12 /4" and dense.text() == "whole input"


def test_stride_padding_dilation_chain():
    # Conv k3 d2 (k' = 5) pad 2: r = 5,  j = 1, P = 2
    # Conv k3 s2 pad 1:          r = 5 + 2·1 = 7,  j = 2, P = 2 + 1·1 = 3
    # MeanPool k2:               r = 7 + 1·2 = 9,  j = 4, P = 3
    # Conv k3 d3 (k' = 7) pad 3: r = 9 + 6·4 = 33, j = 4, P = 3 + 3·4 = 15
    spec = """model m(x: 64×64×1) = Chain(
        Conv((3, 3), 1 => 2, dilation=2, pad=2), Conv((3, 3), 2 => 2, stride=2, pad=1),
        MeanPool((2, 2)), Conv((3, 3), 2 => 2, dilation=3, pad=3))"""
    got = [(r.size[0], r.jump[0], r.padding[0]) for r in rfs(spec)]
    assert got == [(5, 1, 2), (7, 2, 3), (9, 4, 3), (33, 4, 15)]
    # c_out = c_in + ((k' − 1)/2 − p_lo)·j_in: symmetric padding keeps the centre at 0; the
    # unpadded 2×2 pool moves it by (1/2 − 0)·2 = 1.
    assert [r.centre[0] for r in rfs(spec)] == [0, 0, 1, 1]


def test_non_square_1d_and_3d():
    two = rfs("model m(x: 32×16×1) = Chain(Conv((5, 3), 1 => 1, stride=(2, 1)), MaxPool((2, 2)))")
    assert (two[0].size, two[0].jump) == ((5, 3), (2, 1))
    assert (two[1].size, two[1].jump) == ((7, 4), (4, 2))
    one = rfs("model m(x: 100×1) = Chain(Conv((7,), 1 => 1, stride=3), Conv((3,), 1 => 1, dilation=2))")
    assert [(r.size, r.jump) for r in one] == [((7,), (3,)), ((19,), (3,))]
    three = rfs("model m(x: 16×16×16×1) = Chain(Conv((3, 3, 3), 1 => 4, pad=1), MaxPool((2, 2, 2)))")
    assert (three[1].size, three[1].jump, three[1].padding) == ((4, 4, 4), (2, 2, 2), (1, 1, 1))


def test_uneven_padding_moves_the_centre():
    # pad=(2, 0): a 3-wide window starting 2 pixels before the input: centre −1.
    (rf,) = rfs("model m(x: 10×1) = Chain(Conv((3,), 1 => 1, pad=(2, 0)))")
    assert rf.padding == (2,) and rf.centre == (-1,)


def test_global_pool_and_vectors_see_the_whole_input():
    a = archlang.analyze("model m(x: 8×8×3) = Chain(Conv((3, 3), 3 => 4), GlobalMeanPool(), "
                         "flatten, Dense(4, 2))")
    assert [r.rf.whole for r in a.layers] == [False, True, True, True]
    assert a.layers[1].rf.size == (8, 8)
    b = archlang.analyze("model m(x: 784) = Chain(Dense(784, 10))")
    assert b.layers[0].rf.whole


def test_join_takes_the_union_and_aligned_branches_do_not_warn():
    # Inception-like: 1×1, 3×3 pad 1, 5×5 pad 2: all centred on the same pixel.
    a = archlang.analyze("""model m(x: 16×16×4) = Chain(Parallel(cat,
        Conv((1, 1), 4 => 2), Conv((3, 3), 4 => 2, pad=1), Conv((5, 5), 4 => 2, pad=2)))""")
    join = a.layers[-1]
    assert join.rf.size == (5, 5) and join.rf.padding == (2, 2)
    assert not a.warnings


def test_resnet_downsampling_is_aligned():
    a = archlang.analyze(SPECS / "famous/resnet50.arch")
    assert not a.warnings
    assert a.layers[-1].rf.whole
    # Before global pooling: effective stride 32 (2 conv + 1 pool + 3 stage strides).
    assert a.records[-4].rf.jump == (32, 32)


def test_misaligned_branches_warn_at_the_join():
    spec = """model m(x: 16×16×4) = Chain(
        Parallel(+, Conv((3, 3), 4 => 4, pad=1), Conv((3, 3), 4 => 4, pad=(2, 0, 1, 1))))"""
    result = archlang.check(spec)
    assert result.ok
    a = archlang.analyze(spec)
    (w,) = a.warnings
    assert w.severity == "warning" and w.code == "W0401"
    assert "differently centred" in w.message
    assert w.span.text == "+"
    assert {lab.message for lab in w.labels} == {"field centred at (0, 0)", "field centred at (-1, 0)"}
    # The union of the two boxes: from −2 to 1 along W.
    assert a.layers[-1].rf.size == (4, 3) and a.layers[-1].rf.padding == (2, 1)


def test_different_strides_warn():
    # Both branches give 8×8, one by striding (jump 2), one by a 9×9 window (jump 1).
    spec = """model m(x: 16×16×4) = Chain(Parallel(cat,
        Conv((3, 3), 4 => 4, pad=1, stride=2), Conv((9, 9), 4 => 4)))"""
    (w,) = archlang.analyze(spec).warnings
    assert w.code == "W0401" and w.message == "joined branches have different effective strides"
    assert [lab.message for lab in w.labels] == ["effective stride (2, 2)", "effective stride (1, 1)"]


def test_conv_transpose_has_no_field():
    a = archlang.analyze("model m(x: 8×8×1) = Chain(ConvTranspose((2, 2), 1 => 1, stride=2), "
                         "Conv((3, 3), 1 => 1))")
    assert a.layers[0].rf is None and a.layers[1].rf is None
