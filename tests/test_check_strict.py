"""`check --strict` (W0001) warns where pixels of the input itself are never covered: not where
only padding is, and not for a window narrower than its stride (a strided 1×1 projection)."""
from __future__ import annotations

import pytest

import archlang
from conftest import SPECS


def _w0001(text: str) -> list[str]:
    return [d.message for d in archlang.check_text(text, strict=True).diagnostics if d.code == "W0001"]


@pytest.mark.parametrize("path", sorted((SPECS / "famous").glob("*.arch")), ids=lambda p: p.stem)
def test_no_warning_on_the_famous_networks(path):
    result = archlang.check(path, strict=True)
    assert result.ok and [d for d in result.diagnostics if d.code == "W0001"] == []


def test_a_stem_whose_padding_is_left_uncovered_is_not_warned_about():
    # (224 + 3 + 3 − 7) mod 2 = 1: the one uncovered column is padding (hi = 3).
    assert _w0001("model m(x: 224×224×3) = Conv((7, 7), 3 => 64, stride=2, pad=3)") == []
    # (8 + 1 + 1 − 3) mod 2 = 1 ≤ 1 = hi.
    assert _w0001("model m(x: 8×8×1) = Conv((3, 3), 1 => 1, stride=2, pad=1)") == []


def test_a_strided_one_by_one_is_not_warned_about():
    assert _w0001("model m(x: 56×56×64) = Conv((1, 1), 64 => 128, stride=2)") == []


def test_pixels_of_the_input_left_uncovered_are_warned_about():
    # (8 − 3) mod 2 = 1 pixel of each axis; (9 + 0 + 1 − 4) mod 4 = 2, less the 1 of padding.
    assert _w0001("model m(x: 8×8×1) = Conv((3, 3), 1 => 1, stride=2)") == [
        "the stride drops the last 1 pixel of the width, 1 pixel of the height"]
    assert _w0001("model m(x: 9×8×1) = Conv((4, 4), 1 => 1, stride=4, pad=(0, 1, 0, 0))") == [
        "the stride drops the last 1 pixel of the width"]
