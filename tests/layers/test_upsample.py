"""Upsample and PixelShuffle: shapes case by case, counts, printing, diagnostics."""
from __future__ import annotations

import pytest
from conftest import errors_of, model_of


@pytest.mark.parametrize("layer,shape,out", [
    ("Upsample(scale=2)", "7×5×3", (14, 10, 3)),                  # nearest by default
    ("Upsample(nearest, scale=2)", "7×5×3", (14, 10, 3)),         # Flux's form, bare mode
    ('Upsample(mode="nearest", scale=3)', "4×2", (12, 2)),        # a sequence; PyTorch's string
    ("Upsample(2)", "7×5×3", (14, 10, 3)),                        # Flux's Upsample(scale)
    ("Upsample(2, bilinear)", "7×5×3", (14, 10, 3)),              # Flux's Upsample(scale, mode)
    ("Upsample(scale=(2, 3))", "7×5×3", (14, 15, 3)),             # per dimension, W first
    ("Upsample(bilinear, scale_factor=4)", "7×5×3", (28, 20, 3)),  # PyTorch's keyword
    ("Upsample(bilinear, size=(56, 40))", "7×5×3", (56, 40, 3)),
    ("Upsample(size=9)", "2×2×2×1", (9, 9, 9, 1)),                # one size for every dimension
    ("Upsample(trilinear, scale=2)", "2×3×4×5", (4, 6, 8, 5)),
    ("Upsample(linear, scale=2, align_corners=true)", "6×2", (12, 2)),
    ("Upsample(bilinear, size=(3, 3))", "7×5×3", (3, 3, 3)),      # to a smaller size: legal
])
def test_upsample_shapes(layer, shape, out):
    m = model_of(f"model m(x: {shape}) = {layer}")
    assert m.output_shape == out and m.params == 0


@pytest.mark.parametrize("written,printed", [
    ("Upsample(scale=2)", "Upsample(scale=2)"),
    ("Upsample(2, bilinear)", "Upsample(bilinear, scale=2)"),
    ('Upsample(mode="bilinear", size=(8, 6), align_corners=true)',
     "Upsample(bilinear, size=(8, 6), align_corners=true)"),
    ("Upsample(scale=(2, 1))", "Upsample(scale=(2, 1))"),
    ("PixelShuffle(3)", "PixelShuffle(3)"),
])
def test_printed_as_written(written, printed):
    m = model_of(f"model m(x: 4×3×18) = {written}")
    assert str(m.layers[0].layer) == printed


def test_elementwise_counts():
    from archlang import analyze
    # Nearest copies; bilinear weighs 4 neighbours for each of the 14·10·3 outputs.
    a = analyze("model m(x: 7×5×3) = Chain(Upsample(scale=2), Upsample(bilinear, size=(14, 10)))")
    assert [r.macs for r in a.layers] == [0, 0]
    assert [r.element_ops for r in a.layers] == [0, 4 * 14 * 10 * 3]


def test_pixel_shuffle_shape_and_counts():
    m = model_of("model m(x: 5×4×36) = Chain(PixelShuffle(3), Conv((1, 1), 4 => 2))")
    assert m.layers[0].out == (15, 12, 4) and m.layers[0].params == 0
    assert m.params == 4 * 2 + 2


def test_mode_must_fit_the_rank():
    (err,) = errors_of("model m(x: 8×8×8×3) = Upsample(bilinear, scale=2)")
    assert err.code == "E0303"
    assert err.message == "`bilinear` upsampling needs an image (W×H×C), found a 8×8×8×3 volume"
    assert err.span.text == "bilinear"
    assert err.help == "use `trilinear` (or `nearest`) for a volume"


def test_linear_on_an_image():
    (err,) = errors_of('model m(x: 8×8×3) = Upsample(mode="linear", scale=2)')
    assert err.message == "`linear` upsampling needs a sequence (L×C), found a 8×8×3 image"
    assert err.span.text == '"linear"'


def test_upsample_of_a_vector():
    (err,) = errors_of("model m(x: 10) = Upsample(scale=2)")
    assert err.code == "E0303" and err.message == "Upsample applied to a vector of 10"


def test_scale_entries_must_match_the_rank():
    (err,) = errors_of("model m(x: 8×8×3) = Upsample(scale=(2, 2, 2))")
    assert err.code == "E0303" and err.span.text == "(2, 2, 2)"
    assert err.label == "expected 1 or 2 entries"


@pytest.mark.parametrize("layer,message,span", [
    ("Upsample(bilinear)", "Upsample needs a `scale` or a `size`", "Upsample(bilinear)"),
    ("Upsample(scale=2, size=(4, 4))", "Upsample takes a `scale` or a `size`, not both", "(4, 4)"),
    ("Upsample(scale=2, align_corners=true)", "align_corners is defined for the linear modes only",
     "true"),
    ("Upsample(scale=1.5)", "a scale of 1.5 is not a whole number", "1.5"),
    ("Upsample(scale=(2, 0))", "a scale must be positive, found 0", "0"),
    ('Upsample(mode="bicubic", scale=2)', 'expected an interpolation mode, found "bicubic"',
     '"bicubic"'),
])
def test_argument_errors(layer, message, span):
    (err,) = errors_of(f"model m(x: 8×8×3) = {layer}")
    assert err.message == message and err.span.text == span


def test_misspelt_mode_is_suggested():
    (err,) = errors_of("model m(x: 8×8×3) = Upsample(bilinaer, scale=2)")
    assert err.code == "E0100" and "bilinear" in err.help


def test_huge_scale_is_refused():
    (err,) = errors_of("model m(x: 8×8×3) = Upsample(scale=2^40)")
    assert err.code == "E0203"


def test_pixel_shuffle_takes_pytorchs_keyword():
    m = model_of("model m(x: 5×4×36) = PixelShuffle(upscale_factor=3)")
    assert m.output_shape == (15, 12, 4) and str(m.layers[0].layer) == "PixelShuffle(3)"


def test_pixel_shuffle_needs_r_squared_channels():
    (err,) = errors_of("model m(x: 8×8×12) = PixelShuffle(3)")
    assert err.code == "E0305"
    assert err.message == "PixelShuffle(3) needs channels in multiples of r² = 9, found 12"
    assert err.span.text == "3"


def test_pixel_shuffle_needs_an_image():
    (err,) = errors_of("model m(x: 8×4) = PixelShuffle(2)")
    assert err.code == "E0303" and err.message == "PixelShuffle applied to a 8×4 sequence"
