"""ChannelShuffle, Chunk and Slice: shapes case by case (every `dims`), printing, diagnostics."""
from __future__ import annotations

import pytest
from conftest import errors_of, model_of


@pytest.mark.parametrize("layer,shape,out", [
    ("ChannelShuffle(2)", "7×5×6", (7, 5, 6)),
    ("ChannelShuffle(3)", "9×6", (9, 6)),
    ("ChannelShuffle(4)", "2×3×4×8", (2, 3, 4, 8)),
    ("Chunk(2, 1)", "7×5×6", (7, 5, 3)),                 # default: the channels
    ("Chunk(2, 2; dims=3)", "7×5×6", (7, 5, 3)),         # dims=3 is C of W×H×C
    ("Chunk(7, 3, dims=1)", "7×5×6", (1, 5, 6)),         # 1 is W
    ("Chunk(5, 5, dims=2)", "7×5×6", (7, 1, 6)),         # 2 is H
    ("Chunk(3, 2)", "12×6", (12, 2)),                    # a sequence's channels
    ("Chunk(4, 1; dims=1)", "12×6", (3, 6)),             # L
    ("Chunk(2, 2)", "10", (5,)),                         # a vector's only dimension
    ("Chunk(2, 1, dims=3)", "4×6×8×2", (4, 6, 4, 2)),    # 3 is D of a volume
    ("Slice(1, 3)", "7×5×6", (7, 5, 3)),                 # inclusive: 3 channels
    ("Slice(4, 4)", "7×5×6", (7, 5, 1)),
    ("Slice(2, 6; dims=1)", "7×5×6", (5, 5, 6)),
    ("Slice(5, 5; dims=2)", "7×5×6", (7, 1, 6)),
    ("Slice(3, 10)", "10", (8,)),
    ("Slice(1, 197; dims=1)", "197×768", (197, 768)),
    ("Slice(1, 1; dims=1)", "197×768", (1, 768)),
])
def test_shapes(layer, shape, out):
    m = model_of(f"model m(x: {shape}) = {layer}")
    assert m.output_shape == out and m.params == 0


@pytest.mark.parametrize("written,printed", [
    ("ChannelShuffle(2)", "ChannelShuffle(2)"), ("Chunk(2, 1)", "Chunk(2, 1)"),
    ("Chunk(2, 1; dims=1)", "Chunk(2, 1, dims=1)"), ("Slice(1, 3)", "Slice(1, 3)"),
    ("Slice(2, 3; dims=2)", "Slice(2, 3, dims=2)"),
])
def test_printed(written, printed):
    m = model_of(f"model m(x: 4×4×4) = {written}")
    assert str(m.layers[0].layer) == printed


def test_shufflenet_split_and_join():
    # ShuffleNetV2's stride-1 unit: half the channels pass, half go through the branch.
    m = model_of("""model m(x: 28×28×116) = Chain(
        Parallel(cat, Chunk(2, 1), Chain(Chunk(2, 2), Conv((1, 1), 58 => 58, relu))),
        ChannelShuffle(2))""")
    assert m.output_shape == (28, 28, 116)
    assert m.params == 58 * 58 + 58


def test_shuffle_groups_must_divide():
    (err,) = errors_of("model m(x: 8×8×6) = ChannelShuffle(4)")
    assert err.code == "E0305" and err.message == "6 channels cannot be split into 4 groups"
    assert err.span.text == "4"


def test_shuffle_of_a_vector():
    (err,) = errors_of("model m(x: 8) = ChannelShuffle(2)")
    assert err.code == "E0303" and err.message == "ChannelShuffle applied to a vector of 8"


def test_chunk_not_divisible():
    (err,) = errors_of("model m(x: 8×8×6) = Chunk(4, 1)")
    assert err.code == "E0305" and err.message == "6 channels cannot be split into 4 equal parts"
    (err,) = errors_of("model m(x: 7×8×6) = Chunk(2, 1, dims=1)")
    assert err.message == "a width of 7 cannot be split into 2 equal parts"


def test_chunk_index_beyond_n():
    (err,) = errors_of("model m(x: 8×8×6) = Chunk(2, 3)")
    assert err.code == "E0202" and err.message == "Chunk(2, 3) asks for part 3 of 2"
    assert err.span.text == "3"


def test_dims_beyond_the_rank():
    (err,) = errors_of("model m(x: 8×8×6) = Chunk(2, 1; dims=4)")
    assert err.code == "E0202" and err.message == "dims=4 is not a dimension of a 8×8×6 image"
    assert err.span.text == "4"
    assert err.help == "dims counts from 1 in the spec's order (1 is W, 2 is H, 3 is C)"


def test_slice_past_the_end():
    (err,) = errors_of("model m(x: 8×8×6) = Slice(4, 7)")
    assert err.code == "E0202"
    assert err.message == "Slice(4, 7) reaches past 6 channels (a 8×8×6 image)"
    assert err.span.text == "7" and err.label == "at most 6"


def test_empty_slice():
    (err,) = errors_of("model m(x: 8×8×6) = Slice(4, 2)")
    assert err.code == "E0202" and err.message == "Slice(4, 2) is empty"


def test_slice_from_zero():
    (err,) = errors_of("model m(x: 8×8×6) = Slice(0, 2)")
    assert err.code == "E0202" and err.span.text == "0"


def test_checking_goes_on_after_a_slice_past_the_end():
    # The slice still gives its 7 channels, the shuffle keeps them: later mistakes show too.
    first, second, third = errors_of("model m(x: 8×8×6) = Chain(Slice(3, 9), ChannelShuffle(3), "
                                     "BatchNorm(6))")
    assert first.message == "Slice(3, 9) reaches past 6 channels (a 8×8×6 image)"
    assert second.message == "7 channels cannot be split into 3 groups"
    assert third.message == "BatchNorm(6) receives 7 channels"


def test_shufflenet_unit_of_the_docs():
    # docs/language.md: torchvision's stride-1 ShuffleNetV2 unit with 116 channels.
    m = model_of("""block ShuffleUnit(c) = Chain(
    Parallel(cat, Chunk(2, 1), Chain(Chunk(2, 2),
        Conv((1, 1), c ÷ 2 => c ÷ 2, bias=false), BatchNorm(c ÷ 2, relu),
        DepthwiseConv((3, 3), c ÷ 2 => c ÷ 2, pad=1, bias=false), BatchNorm(c ÷ 2),
        Conv((1, 1), c ÷ 2 => c ÷ 2, bias=false), BatchNorm(c ÷ 2, relu))),
    ChannelShuffle(2))
model m(x: 28×28×116) = ShuffleUnit(116)""")
    assert m.params == 58 * 58 + 9 * 58 + 58 * 58 + 3 * 2 * 58 == 7598
    assert m.output_shape == (28, 28, 116)
