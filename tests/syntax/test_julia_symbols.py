"""Flux writes modes as Julia symbols (`Upsample(:bilinear)`); archlang writes bare names."""
from __future__ import annotations

import pytest

from archlang.source import Source
from archlang.syntax import parse


@pytest.mark.parametrize("body,col,symbol", [
    ("Upsample(:bilinear, scale=2)", 30, "bilinear"),
    ("Upsample(2, :nearest)", 33, "nearest"),
    ("Chain(Upsample(2, :nearest))", 39, "nearest"),
    ("Chain(1: Upsample(:trilinear))", 39, "trilinear"),
    ("Upsample(mode = :linear, scale=2)", 37, "linear"),
])
def test_symbol_is_named_with_its_fix(body, col, symbol):
    d = parse(Source("t.arch", f"model m(x: 8×8×3) = {body}"))
    assert (d.code, d.span.column) == ("E0002", col)
    assert d.message == "expected an argument, found `:`" and d.label == "no `:` before a name"
    assert d.help == f"Julia's symbols are bare names here: write `{symbol}` for `:{symbol}`"


def test_a_numbered_line_without_layer_is_still_that():
    d = parse(Source("t.arch", "model m(x: 1) = Chain(1: relu 2: 3: relu)"))
    assert d.code == "E0012"
