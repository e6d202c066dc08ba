"""Receptive fields through upsampling, PixelShuffle, slices and channel operations, against
brute force in float32: the input pixels with a non-zero gradient for output n must lie in the band
`left + n·jump … left + n·jump + size − 1`, the band must be the tightest one (some output
reaches each end), and each output's exact field (`RF.phase`) must be what the gradient
shows wherever it lies inside the input."""
from __future__ import annotations

from fractions import Fraction
from math import ceil, floor

import pytest

torch = pytest.importorskip("torch")

import archlang  # noqa: E402


def fields(spec: str, n: int):
    """Per output position of a 1-D model (sequence n×1): (min, max) input index it depends on."""
    m = archlang.load(spec)
    with torch.no_grad():
        for p in m.parameters():
            p.fill_(1.0)                                 # positive weights: nothing cancels
    x = torch.ones(1, 1, n, requires_grad=True)
    y = m(x)
    out = []
    for k in range(y.shape[-1]):
        (g,) = torch.autograd.grad(y[0, 0, k], x, retain_graph=True)
        # In float32, as the module runs: PyTorch's float32 source indices give some weights
        # that are 0 in exact arithmetic ~1e-8, and archlang counts those pixels too.
        idx = (g[0, 0] != 0).nonzero().flatten().tolist()
        out.append((min(idx), max(idx)) if idx else None)
    return out


CASES = [
    "Upsample(scale=2)",
    "Chain(Upsample(scale=2), Conv((3,), 1 => 1, pad=1))",
    "Chain(Upsample(scale=2), Conv((4,), 1 => 1, pad=1))",
    "Chain(Upsample(scale=3), Conv((5,), 1 => 1, pad=2, stride=2))",
    "Chain(Conv((3,), 1 => 1, stride=2), Upsample(scale=2), Conv((3,), 1 => 1))",
    "Upsample(linear, scale=2)",
    "Upsample(linear, scale=3)",
    "Chain(Upsample(linear, scale=2), Conv((3,), 1 => 1, pad=1))",
    "Upsample(linear, scale=2, align_corners=true)",
    "Upsample(size=37)",
    "Upsample(linear, size=29)",
    "Upsample(linear, size=29, align_corners=true)",
    "Chain(Upsample(size=9), Conv((2,), 1 => 1))",
    "Chain(Conv((3,), 1 => 1), Slice(4, 12; dims=1), Conv((3,), 1 => 1))",
    "Parallel(+, Chain(Conv((3,), 1 => 1, stride=2, pad=1), Upsample(scale=2)), Conv((3,), 1 => 1, pad=1))",
    "Parallel(+, Upsample(linear, scale=2), Chain(Upsample(scale=2), Conv((2,), 1 => 1, pad=(0, 1))))",
    "Chain(Parallel(+, Upsample(linear, scale=2), Upsample(scale=2)), Conv((3,), 1 => 1, stride=2))",
    "Chain(Conv((2,), 1 => 1, stride=2), Chunk(5, 2; dims=1), Upsample(scale=2))",
]


@pytest.mark.parametrize("layers", CASES)
def test_band_holds_every_output_and_is_tight(layers):
    n = 20
    spec = f"model m(x: {n}×1) = {layers}"
    rf = archlang.analyze(spec).layers[-1].rf
    left, jump, size = (Fraction(v[0]) for v in (rf.left, rf.jump, rf.size))
    found = fields(spec, n)
    lo_hit = hi_hit = False
    most = 0
    for k, box in enumerate(found):
        lo = left + k * jump
        hi = lo + size - 1
        if box is None:
            continue
        assert ceil(lo) <= box[0] and box[1] <= floor(hi), (k, box, lo, hi)
        if lo >= 0 and hi <= n - 1:                     # away from the edges
            lo_hit |= box[0] == ceil(lo)
            hi_hit |= box[1] == floor(hi)
            most = max(most, box[1] - box[0] + 1)
    assert lo_hit and hi_hit
    assert most == rf.pixels[0] and not rf.at_most
    phase = rf.phase(0)
    for k, box in enumerate(found):
        a, b = phase.at(k)
        if 0 <= a and b <= n - 1:
            assert box == (a, b), (k, box, (a, b))


def test_nearest_upsampling_text_and_json():
    a = archlang.analyze("model m(x: 8×8×1) = Chain(Upsample(scale=2), Conv((3, 3), 1 => 1, pad=1))")
    up, conv = a.layers
    # Outputs 2k and 2k+1 both see pixel k: band n/2 − ½ … n/2, 1 pixel, jump ½.
    assert up.rf.text() == "1×1 /0.5"
    assert conv.rf.text() == "2×2 /0.5"
    assert conv.rf.json() == {"size": [2, 2], "stride": [0.5, 0.5], "padding": [1, 1],
                              "centre": [-0.25, -0.25], "whole_input": False}


def test_upsampling_back_to_the_input_grid_has_whole_numbers():
    a = archlang.analyze("model m(x: 16×16×1) = Chain(Conv((3, 3), 1 => 1, stride=4), "
                         "Upsample(bilinear, scale=2), Upsample(bilinear, scale=2))")
    assert a.layers[-1].rf.jump == (1, 1) and all(type(j) is int for j in a.layers[-1].rf.jump)


def test_pixel_shuffle_field_is_nearest_upsampling():
    a = archlang.analyze("model m(x: 8×8×4) = Chain(PixelShuffle(2), Conv((3, 3), 1 => 1, pad=1))")
    b = archlang.analyze("model m(x: 8×8×1) = Chain(Upsample(scale=2), Conv((3, 3), 1 => 1, pad=1))")
    assert a.layers[-1].rf == b.layers[-1].rf


def test_channel_operations_pass_the_field_through():
    a = archlang.analyze("model m(x: 8×8×4) = Chain(Conv((3, 3), 4 => 4), ChannelShuffle(2), "
                         "Chunk(2, 1), Slice(1, 1), Scale(1))")
    assert len({r.rf for r in a.layers}) == 1


def test_spatial_slice_shifts_the_field():
    a = archlang.analyze("model m(x: 8×8×4) = Chain(Conv((3, 3), 4 => 4), Slice(3, 5; dims=2))")
    # Row 0 of the slice is row 2 of the convolution: its field starts at input row 2.
    assert a.layers[-1].rf.left == (0, 2) and a.layers[-1].rf.size == (3, 3)


def _layer(draw):
    from hypothesis import strategies as st
    kind = draw(st.sampled_from(["up", "up", "size", "slice", "conv", "conv"]))
    if kind in ("up", "size"):
        mode = draw(st.sampled_from(["nearest", "linear", "linear, align_corners=true"]))
        if kind == "size":
            return f"Upsample({mode}, size={draw(st.integers(2, 40))})"
        return f"Upsample({mode}, scale={draw(st.integers(1, 3))})"
    if kind == "slice":
        a = draw(st.integers(1, 4))
        return f"Slice({a}, {a + draw(st.integers(0, 12))}; dims=1)"
    k, s, p, d = (draw(st.integers(*r)) for r in ((1, 4), (1, 3), (0, 2), (1, 2)))
    return f"Conv(({k},), 1 => 1, stride={s}, pad={p}, dilation={d})"


def test_random_stacks():
    from hypothesis import HealthCheck, assume, given, settings
    from hypothesis import strategies as st

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def check(data):
        layers = [_layer(data.draw) for _ in range(data.draw(st.integers(1, 4)))]
        spec = f"model m(x: 24×1) = Chain({', '.join(layers)})"
        assume(archlang.check(spec).ok)
        rf = archlang.analyze(spec).layers[-1].rf
        left, jump, size = (Fraction(v[0]) for v in (rf.left, rf.jump, rf.size))
        most = 0
        found = fields(spec, 24)
        for k, box in enumerate(found):
            lo, hi = left + k * jump, left + k * jump + size - 1
            if box is not None:
                assert ceil(lo) <= box[0] and box[1] <= floor(hi), (spec, k, box, lo, hi)
                if lo >= 0 and hi <= 23:
                    most = max(most, box[1] - box[0] + 1)
        assert most <= rf.pixels[0]
        if rf.at_most or "Slice" in spec:      # a pattern too long to keep: the band only
            # Fields are unclipped: beside a slice's cut they reach pixels the slice dropped.
            return
        phase = rf.phase(0)
        for k, box in enumerate(found):
            a, b = phase.at(k)
            if 0 <= a and b <= 23:
                assert box == (a, b), (spec, k, box, (a, b))

    check()


def test_upsampling_a_strided_field_keeps_each_outputs_field():
    # 3-pixel fields 2 apart, upsampled ×2: outputs 2k and 2k+1 both see pixels 2k … 2k+2.
    # The band holding them all is 4 wide; each output sees 3 pixels.
    a = archlang.analyze("model m(x: 20×1) = Chain(Conv((3,), 1 => 1, stride=2), Upsample(scale=2))")
    rf = a.layers[-1].rf
    assert rf.text() == "3 /1" and rf.size == (4,) and rf.pixels == (3,)
    assert [rf.phase(0).at(n) for n in range(4)] == [(0, 2), (0, 2), (2, 4), (2, 4)]


def test_fcn_head_field():
    # FCN's last layer: bilinear ×8 after a stride-8 field reads 2 inputs 8 apart.
    a = archlang.analyze("model m(x: 64×64×1) = Chain(Conv((3, 3), 1 => 1, stride=8), "
                         "Upsample(bilinear, scale=8))")
    assert a.layers[-1].rf.text() == "11×11 /1"


def test_too_long_a_pattern_keeps_the_band_as_a_bound(monkeypatch):
    from archlang.analysis import receptive_field
    monkeypatch.setattr(receptive_field, "PERIOD_LIMIT", 30)
    a = archlang.analyze("model m(x: 20×1) = Chain(Conv((3,), 1 => 1, stride=2), Upsample(size=37))")
    rf = a.layers[-1].rf
    assert rf.at_most and rf.phases is None and rf.text().startswith("≤")
    assert rf.json()["size_at_most"] is True
    assert "size_at_most" not in a.layers[0].rf.json()
