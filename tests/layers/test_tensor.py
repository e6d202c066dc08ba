"""permutedims, circshift, Windows, MergeWindows and reshape's extra dims: shapes case by case,
printing, counts, receptive fields and positioned diagnostics."""
from __future__ import annotations

import pytest
from conftest import errors_of, model_of

import archlang


@pytest.mark.parametrize("layer,shape,out", [
    ("permutedims((2, 1))", "196×512", (512, 196)),            # MLP-Mixer's token mixing
    ("permutedims(2, 1)", "7×3", (3, 7)),                      # the tuple written flat
    ("permutedims((1, 2))", "7×3", (7, 3)),
    ("permutedims((2, 1, 3))", "5×4×3", (4, 5, 3)),            # swap W and H
    ("permutedims((3, 1, 2))", "5×4×3", (3, 5, 4)),            # channels into W
    ("PermuteDims((4, 3, 2, 1))", "2×3×4×5", (5, 4, 3, 2)),
    ("permute((1,))", "10", (10,)),
    ("circshift((-3, -3))", "56×56×96", (56, 56, 96)),
    ("circshift(2)", "10", (10,)),
    ("roll(1; dims=2)", "6×4", (6, 4)),
    ("Windows(7)", "56×56×96", (49, 64, 96)),                  # Swin-T's first stage
    ("Windows((7, 4))", "14×8×3", (28, 4, 3)),
    ("Windows(4)", "12×5", (4, 3, 5)),                         # a sequence
    ("Windows(2)", "4×6×8×3", (8, 24, 3)),                      # a volume
    ("Windows(7; grid=true)", "56×56×96", (49, 64, 96)),       # MaxViT's grid
    ("MergeWindows(7, (56, 56))", "49×64×96", (56, 56, 96)),
    ("MergeWindows((7, 4), (14, 8))", "28×4×3", (14, 8, 3)),
    ("MergeWindows(7, (56, 56); grid=true)", "49×64×96", (56, 56, 96)),
    ("reshape(7, 8, 7, 8, 96)", "56×56×96", (7, 8, 7, 8, 96)),  # 5 dims: a partition's middle
    ("reshape(2, 3, 2, 3, 2, 5)", "6×6×10", (2, 3, 2, 3, 2, 5)),
    ("ZeroPad((0, 6, 0, 6))", "56×56×96", (62, 62, 96)),       # Swin's map to windows of 7
    ("ZeroPad(1)", "5×4×3", (7, 6, 3)),                         # every side
    ("ZeroPad((1, 2))", "5×4×3", (7, 8, 3)),                    # both sides of W, of H
    ("ZeroPad2d((0, 1, 2, 3))", "5×4×3", (6, 9, 3)),            # PyTorch's name and order
    ("ZeroPad((2, 0))", "10×3", (12, 3)),                       # a sequence
])
def test_shapes(layer, shape, out):
    m = model_of(f"model m(x: {shape}) = {layer}")
    assert m.output_shape == out and m.params == 0
    assert archlang.analyze(f"model m(x: {shape}) = {layer}").totals.macs == 0


@pytest.mark.parametrize("written,printed", [
    ("permutedims(2, 1, 3)", "permutedims((2, 1, 3))"), ("circshift(-3)", "circshift(-3)"),
    ("roll((1, -2); dims=(2, 1))", "circshift((1, -2), dims=(2, 1))"),
    ("Windows(2)", "Windows(2)"), ("Windows(2; grid=true)", "Windows(2, grid=true)"),
])
def test_printed(written, printed):
    m = model_of(f"model m(x: 4×4×4) = {written}")
    assert str(m.layers[0].layer) == printed


def test_windows_and_back():
    m = model_of("""model m(x: 28×14×4) = Chain(circshift((-3, -3)), Windows(7), LayerNorm(4),
                    MergeWindows(7, (28, 14)), circshift((3, 3)))""")
    assert [tuple(r.out) for r in m.layers] == [(28, 14, 4), (49, 8, 4), (49, 8, 4), (28, 14, 4),
                                                (28, 14, 4)]
    assert m.params == 8


def test_a_mixer_block_counts_timms_parameters():
    # timm's MixerBlock(512, seq_len=196): 2·LayerNorm(512), tokens 196→256→196, channels
    # 512→2048→512 = 2,202,564.
    text = """model m(x: 196×512) = Chain(
        SkipConnection(Chain(LayerNorm(512), permutedims((2, 1)), Dense(196 => 256, gelu_erf),
                             Dense(256 => 196), permutedims((2, 1))), +),
        SkipConnection(Chain(LayerNorm(512), Dense(512 => 2048, gelu_erf), Dense(2048 => 512)), +))"""
    m = model_of(text)
    assert m.params == 2 * 1024 + (196 * 256 + 256 + 256 * 196 + 196) + (512 * 2048 + 2048 + 2048 * 512 + 512)
    assert m.params == 2_202_564
    # The token MLP's Dense layers map the 196 tokens of each of the 512 channels.
    assert archlang.analyze(text).totals.macs == 512 * (196 * 256 + 256 * 196) + 196 * (512 * 2048 + 2048 * 512)


# ---- receptive fields ------------------------------------------------------------------------
def rf_texts(text):
    return [r.rf.text() for r in archlang.analyze(text).records]


def test_zero_padding_of_the_wrong_length_and_of_a_vector():
    (err,) = errors_of("model m(x: 5×4×3) = ZeroPad((1, 2, 3))")
    assert (err.code, err.label) == ("E0303", "1, 2 or 4 numbers") and err.span.text == "(1, 2, 3)"
    (err,) = errors_of("model m(x: 5) = ZeroPad(1)")
    assert err.code == "E0303" and err.message == "ZeroPad applied to a vector of 5"


def test_zero_padding_shifts_the_receptive_field():
    assert rf_texts("model m(x: 8×8×1) = Chain(Conv((3, 3), 1 => 1), ZeroPad((2, 0, 2, 0)), "
                    "Conv((3, 3), 1 => 1))") == ["1×1 /1", "3×3 /1", "3×3 /1", "5×5 /1"]


def test_receptive_fields():
    # The identity permutation and a roll of the channels keep positions; a roll of a spatial
    # dim wraps (the outputs at the seam read both ends), a permutation that moves dims or a
    # window partition does not map positions to positions: the whole input (an upper bound).
    assert rf_texts("""model m(x: 16×16×2) = Chain(Conv((3, 3), 2 => 2), permutedims((1, 2, 3)),
                       circshift(1; dims=3), circshift((14, 14)), Conv((3, 3), 2 => 2))""") == \
        ["1×1 /1", "3×3 /1", "3×3 /1", "3×3 /1", "3×3 /1", "5×5 /1"]
    assert rf_texts("model m(x: 16×16×2) = Chain(Conv((3, 3), 2 => 2), circshift((1, 0)))")[-1] \
        == "whole input"
    assert rf_texts("model m(x: 16×16×2) = Chain(Conv((3, 3), 2 => 2), permutedims((2, 1, 3)))")[-1] \
        == "whole input"
    assert rf_texts("model m(x: 14×14×2) = Chain(Windows(7), MergeWindows(7, (14, 14)))") == \
        ["1×1 /1", "whole input", "whole input"]


def test_channels_permuted_into_space_analyse_and_draw():
    # Channels become a position and positions channels: counts, fields and the drawing
    # take it as any reshape.
    text = "model m(x: 8×6×4) = Chain(permutedims((3, 2, 1)), Conv((3, 3), 8 => 2))"
    a = archlang.analyze(text)
    assert tuple(a.report.output_shape) == (2, 4, 2) and a.report.params == 3 * 3 * 8 * 2 + 2
    assert a.records[-1].rf.text() == "whole input"
    assert "permutedims((3, 2, 1))" in archlang.draw(text).source


# ---- diagnostics ------------------------------------------------------------------------------
def only(text):
    (err,) = errors_of(text)
    return err


def test_permutation_of_the_wrong_length():
    err = only("model m(x: 5×4×3) = permutedims((2, 1))")
    assert err.code == "E0303" and err.span.text == "(2, 1)"
    assert err.message == "permutedims((2, 1)) of a 5×4×3 image, which has 3 dims"
    assert err.help == "name every dim once (1 is W, 2 is H, 3 is C)"


@pytest.mark.parametrize("perm,help_start", [
    ("(2, 2)", "give each of 1 … 2 once"),
    ("(1, 3)", "give each of 1 … 2 once"),
    ("(0, 2, 1)", "dims count from 1 in the spec's order"),      # PyTorch's 0-based habit
])
def test_not_a_permutation(perm, help_start):
    err = only(f"model m(x: 5×4) = permutedims({perm})")
    assert err.code == "E0202" and err.span.text == perm and err.help.startswith(help_start)


def test_circshift_diagnostics():
    err = only("model m(x: 5×4) = circshift((1, 2, 3))")
    assert err.code == "E0202" and err.span.text == "(1, 2, 3)"
    assert err.message == "circshift((1, 2, 3)) shifts dim 3 of a 5×4 sequence, which has 2"
    err = only("model m(x: 5×4) = circshift(1; dims=4)")
    assert err.code == "E0202" and err.span.text == "4"
    err = only("model m(x: 5×4) = circshift((1, 2); dims=1)")
    assert err.code == "E0102" and err.span.text == "1"
    err = only("model m(x: 5×4) = roll((1, 2); dims=(1, 1))")
    assert err.code == "E0202" and err.span.text == "(1, 1)"


def test_a_window_that_does_not_divide_is_positioned():
    err = only("model m(x: 30×28×3) = Chain(Conv((1, 1), 3 => 3), Windows(7))")
    assert err.code == "E0305" and err.span.text == "7"
    assert err.message == "a width of 30 cannot be split into windows of 7"
    assert "pads the image" in err.help
    err = only("model m(x: 28×28×3) = Windows((7, 7, 7))")
    assert err.code == "E0303" and err.span.text == "(7, 7, 7)"
    err = only("model m(x: 10) = Windows(2)")
    assert err.code == "E0303" and err.message == "Windows applied to a vector of 10"


def test_merge_windows_must_match_the_partition():
    err = only("model m(x: 49×64×96) = MergeWindows(7, (56, 28))")
    assert err.code == "E0307" and err.span.text == "(56, 28)"
    assert err.message == ("MergeWindows(7, (56, 28)) expects 49×32×96 (tokens × windows × "
                           "channels), receives a 49×64×96 image")
    err = only("model m(x: 49×64×96) = MergeWindows(7, (56, 30))")
    assert err.code == "E0305" and err.span.text == "(56, 30)"


def test_reshape_takes_up_to_six_dims():
    err = only("model m(x: 128) = reshape(2, 2, 2, 2, 2, 2, 2)")
    assert err.code == "E0103" and err.message == "reshape to 7 dimensions; at most 6"


@pytest.mark.parametrize("layer", [
    "Conv((3, 3), 2 => 2)", "MaxPool((2, 2))", "BatchNorm(2)", "GlobalMeanPool()",
    "AdaptiveMeanPool((1, 1))", "Upsample(scale=2)",
])
def test_layers_refuse_more_than_three_spatial_dims(layer):
    err = only(f"model m(x: 8×8×2) = Chain(reshape(2, 4, 2, 4, 2), {layer})")
    assert err.code == "E0303" and err.message == f"{layer.split('(')[0]} applied to a 2×4×2×4×2 4-D tensor"
    assert err.help.startswith("reshape it back first")


def test_dims_beyond_three_are_named_in_help():
    err = only("model m(x: 8×8×2) = Chain(reshape(2, 4, 2, 4, 2), Slice(1, 3; dims=7))")
    assert err.help == "dims counts from 1 in the spec's order (1 is d1, 2 is d2, 3 is d3, 4 is d4, 5 is C)"
