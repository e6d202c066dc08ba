"""Dense-equivalent parameters (book §5.2): a convolution as its Toeplitz matrix."""
from __future__ import annotations

import archlang
from conftest import SPECS


def test_model2_convolutions():
    a = archlang.analyze(SPECS / "book/model2.arch")
    conv1, _, conv2, _, _, dense = a.layers
    # conv1 maps 28·28·1 = 784 inputs to 24·24·8 = 4,608 outputs: 784·4,608 weights + 4,608 biases.
    assert conv1.dense_equivalent == 784 * 4_608 + 4_608
    assert round(conv1.dense_ratio) == round((784 * 4_608 + 4_608) / 208)
    assert conv2.dense_equivalent == 1_152 * 1_600 + 1_600
    assert dense.dense_equivalent == dense.params == 4_010 and dense.dense_ratio == 1
    assert a.layers[1].dense_equivalent is None


def test_the_books_sound_example_needs_ten_billion_dense_parameters():
    # §5.2: W1 is 10^4×10^6, W2 10^3×10^4, W3 1×10^3, with biases: 10,010,012,001 ≈ 10^10.
    dense = archlang.analyze(SPECS / "book/sound.arch", "sound_dense")
    assert dense.totals.dense_equivalent == dense.totals.params == 10_010_012_001
    # The same maps as Toeplitz matrices T1(h1), T2(h2): the dense equivalent is the book's
    # ten billion, from two filters (of 1,000 and 50 taps).
    toep = archlang.analyze(SPECS / "book/sound.arch", "sound_toeplitz")
    t1, t2 = toep.layers[0], toep.layers[1]
    assert t1.dense_equivalent == 10 ** 4 * 10 ** 6 + 10 ** 4
    assert t2.dense_equivalent == 10 ** 3 * 10 ** 4 + 10 ** 3
    assert toep.totals.dense_equivalent == 10_010_012_001
    assert toep.totals.params == 1_001 + 51 + 1_001


def test_sound_conv_first_layer():
    # 10^6 samples → 10^6×8 outputs: a dense layer would need 8·10^12 weights, 416 suffice.
    a = archlang.analyze(SPECS / "book/sound.arch", "sound_conv")
    assert a.layers[0].dense_equivalent == 10 ** 6 * 8 * 10 ** 6 + 8 * 10 ** 6
    assert a.layers[0].params == 416
