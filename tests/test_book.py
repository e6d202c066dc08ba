"""The book's numbers (cnn-chapter.txt): model1, model2, the size formula, pooling, sound."""
from __future__ import annotations

import pytest

import archlang
from conftest import SPECS, model_of


def test_model1_has_178110_parameters():
    # (784·200 + 200) + (200·100 + 100) + (100·10 + 10) = 178,110 (§5.4.3)
    m = archlang.check(SPECS / "book/model1.arch").model("model1")
    assert m.params == 178_110
    assert [i.params for i in m.layers] == [157_000, 20_100, 1_010]


def test_model2_sizes_and_parameters():
    m = archlang.check(SPECS / "book/model2.arch").model("model2")
    assert [str(i.out) for i in m.layers] == ["24×24×8", "12×12×8", "10×10×16", "5×5×16", "400", "10"]
    # 8·(5·5·1 + 1) = 208; 16·(3·3·8 + 1) = 1,168; 400·10 + 10 = 4,010
    assert [i.params for i in m.layers] == [208, 0, 1_168, 0, 0, 4_010]
    assert m.params == 5_386


def test_model2_as_printed_is_rejected_at_the_dense_layer():
    result = archlang.check(SPECS / "book/model2_as_printed.arch")
    (err,) = result.errors
    assert err.code == "E0301"
    assert err.span.text == "400"
    assert "Dense expects 400 inputs but receives 7,744 (22×22×16" in err.message
    assert "MaxPool((2, 2)) after each convolution gives 5×5×16 = 400" in err.help


def test_vgg19_as_printed_points_at_the_missing_padding():
    result = archlang.check(SPECS / "book/vgg19_as_printed.arch")
    (err,) = result.errors
    assert err.code == "E0302" and "does not fit a 1×1 input" in err.message
    assert "pad=1 on the 3×3 convolutions" in err.help
    assert "7×7×512 = 25,088" in err.help
    assert any("Dense(25088" in lab.span.text for lab in err.labels)


@pytest.mark.parametrize("pad, stride, length, values", [
    (2, 1, 11, "maximal padding: 9 + 2·2 − 3 + 1"),
    (0, 1, 7, "no padding: 9 − 3 + 1"),
    (1, 2, 5, "(9 + 2·1 − 3)/2 + 1"),
])
def test_the_books_1d_output_sizes(pad, stride, length, values):
    m = model_of(f"model m(x: 9×1) = Conv((3,), 1 => 1, pad={pad}, stride={stride})")
    assert tuple(m.output_shape) == (length, 1), values


def test_sizes_spec_matches_the_book():
    result = archlang.check(SPECS / "book/sizes.arch")
    assert result.ok
    outs = {m.name: str(m.output_shape) for m in result.models}
    assert list(outs.values()) == ["11×1", "7×1", "5×1", "16×16×10"]


def test_max_pooling_halves_32x32x10():
    # §5.4.1 (the book's "N_h = 15" is a typo: 32/2 = 16)
    assert str(model_of("model m(x: 32×32×10) = MaxPool((2, 2))").output_shape) == "16×16×10"


def test_sound_dense_network_has_ten_billion_parameters():
    # §5.2: 10^4·10^6 + 10^4 + 10^3·10^4 + 10^3 + 1·10^3 + 1 ≈ 10^10
    m = archlang.check(SPECS / "book/sound.arch").model("sound_dense")
    assert m.params == 10**10 + 10**4 + 10**7 + 10**3 + 10**3 + 1
    assert m.input_shape == (10**6,)


def test_two_minutes_of_stereo_sound():
    m = model_of("model m(x: 10^6×2) = Chain(Conv((5,), 2 => 8, relu), Conv((5,), 8 => 4, relu))")
    assert tuple(m.output_shape) == (10**6 - 8, 4)
    # 8 filters over both channels: 8·(5·2 + 1); then 4·(5·8 + 1)
    assert [i.params for i in m.layers] == [88, 164]
