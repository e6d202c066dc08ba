"""The families of upsampling, channel operations and per-channel scale: their colours and
legend entries."""
from __future__ import annotations

import archlang
from archlang.draw import style


def test_new_layers_have_their_own_colours_and_legend():
    src = archlang.draw("model m(x: 8×8×16) = Chain(PixelShuffle(2), ChannelShuffle(2), "
                        "Chunk(2, 1), Scale(2), Upsample(bilinear, scale=2))").source
    for family, text in (("upsample", "upsampling"), ("channel", "channel split / shuffle"),
                         ("scale", "per-channel scale")):
        fill, border = style.colours(family)
        assert (fill, border) != style.colours("other")
        assert f'fillcolor="{fill}"' in src and text in src
    assert "normalisation" not in src
    new = {style.colours(f) for f in ("upsample", "channel", "scale")}
    old = {style.colours(f) for f in style.FAMILIES if f not in ("upsample", "channel", "scale")}
    assert len(new) == 3 and not new & old


def test_recurrent_layers_have_their_colour_and_are_labelled_as_written():
    src = archlang.draw('model m(x: 20×8) = Chain(LSTM(8 => 16; bidirectional=true, out="last"), '
                        "Dense(32 => 2))").source
    fill, border = style.colours("recurrent")
    assert (fill, border) not in {style.colours(f) for f in style.FAMILIES if f != "recurrent"}
    assert f'fillcolor="{fill}"' in src and "recurrent" in src              # box and legend
    assert "LSTM(8 =&gt; 16, bidirectional=true, out=&quot;last&quot;)" in src
