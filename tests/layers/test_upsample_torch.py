"""Upsample's receptive field against PyTorch, for every input and output size up to 64.

What archlang states is the field of each output (analysis.receptive_field, from the layer's
`resampling`); what PyTorch does is read off F.interpolate applied to one-hot inputs (the
inputs an output depends on, with a nonzero weight in float32), with the arguments the
compiled module passes: docs/language.md, "Resampling". The compiled module itself is checked
on the sizes of the issue that found the disagreement, and in two dimensions.
"""
from __future__ import annotations

from fractions import Fraction

import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

import archlang  # noqa: E402
from archlang.analysis.receptive_field import RF  # noqa: E402
from archlang.layers.shape import Shape  # noqa: E402
from archlang.layers.upsample import Upsample, nearest_band  # noqa: E402

SIZES = range(1, 65)
FMA = torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512")
needs_fma = pytest.mark.skipif(not FMA, reason="archlang states PyTorch's FMA builds (AVX2, AVX-512)")


def stated(layer: Upsample, n_in: int) -> list[tuple[int, int]]:
    """archlang's field of each output of `layer` on an n_in-long sequence, clipped to it."""
    x = Shape((n_in, 1))
    out = layer.infer([x]).spatial[0]
    rf = RF((1,), (1,), (0,)).resampled(layer.resampling([x]))
    assert not rf.at_most
    fields = []
    for n in range(out):
        a, b = rf.phase(0).at(n) if rf.phases else (rf.left[0] + n * rf.jump[0],) * 2
        if not rf.phases:
            b = a + rf.size[0] - 1
        fields.append((max(int(a), 0), min(int(b), n_in - 1)))
    return fields


def observed(n_in: int, **interpolate) -> list[tuple[int, int]]:
    """The first and last input each output of F.interpolate reads (one-hot inputs)."""
    y = F.interpolate(torch.eye(n_in).reshape(n_in, 1, n_in), **interpolate)[:, 0, :] != 0
    index = torch.arange(n_in).unsqueeze(1).expand_as(y)
    first = torch.where(y, index, n_in).min(0).values.tolist()
    last = torch.where(y, index, -1).max(0).values.tolist()
    return list(zip(first, last))


def module_mode(mode: str, n_in: int, n_out: int) -> str:
    """The mode the compiled module passes for `mode` (docs/language.md): nearest-exact
    where the output is a whole multiple of the input."""
    return "nearest-exact" if mode == "nearest" and n_out % n_in == 0 else mode


def _disagreeing(mode: str, align: bool, inputs, outputs) -> list[tuple[int, int]]:
    """(n_in, n_out) where archlang's field of some output is not PyTorch's: `outputs` are
    sizes (size=) or, as ("×", s), whole scales (scale=, passed to PyTorch as scale_factor)."""
    wrong = []
    extra = {"align_corners": align} if mode == "linear" else {}
    for n_in in inputs:
        for out in outputs:
            if isinstance(out, tuple):
                s = out[1]
                layer = Upsample(mode=mode, scale=(s,), align_corners=align)
                torch_says = observed(n_in, scale_factor=s, mode=module_mode(mode, n_in, n_in * s), **extra)
            else:
                layer = Upsample(mode=mode, size=(out,), align_corners=align)
                torch_says = observed(n_in, size=out, mode=module_mode(mode, n_in, out), **extra)
            if stated(layer, n_in) != torch_says:
                wrong.append((n_in, out))
    return wrong


MODES = pytest.mark.parametrize("mode, align", [("nearest", False), ("linear", False), ("linear", True)])
SCALES = [("×", s) for s in range(1, 9)]


@needs_fma
@MODES
def test_some_inputs_to_every_size_up_to_64(mode, align):
    # The inputs of the sizes that disagreed, and a few more (the whole grid is slow: below).
    assert _disagreeing(mode, align, (2, 3, 14, 26, 39, 64), SIZES) == []
    assert _disagreeing(mode, align, (3, 7, 64), SCALES) == []


@pytest.mark.slow
@needs_fma
@MODES
def test_every_size_up_to_64(mode, align):
    assert _disagreeing(mode, align, SIZES, SIZES) == []


@pytest.mark.slow
@needs_fma
@MODES
def test_every_scale_up_to_8(mode, align):
    assert _disagreeing(mode, align, SIZES, SCALES) == []


@needs_fma
@pytest.mark.parametrize("n_in, n_out, n, reads", [
    (26, 22, 11, 12),          # ⌊11·26/22⌋ = 13, but PyTorch's float32 scale gives 12
    (14, 46, 23, 6),           # ⌊23·14/46⌋ = 7
    (28, 46, 23, 13),          # 14
    (39, 33, 11, 12),          # 13
])
def test_the_sizes_that_disagreed(n_in, n_out, n, reads):
    exact = nearest_band(n_in, n_out)[3](n)[0]
    assert exact == reads + 1
    layer = Upsample(size=(n_out,))
    assert stated(layer, n_in)[n] == (reads, reads)
    # The compiled module, not only F.interpolate.
    m = archlang.load(f"model m(x: {n_in}×1) = Upsample(size={n_out})")
    y = m(torch.arange(float(n_in)).reshape(1, 1, n_in))
    assert y[0, 0, n].item() == reads


@needs_fma
def test_the_compiled_module_in_two_dimensions():
    # W first in archlang, H×W in PyTorch: each axis keeps its own map.
    for spec, (w_in, h_in) in [("Upsample(size=(22, 46))", (26, 14)),
                               ("Upsample(bilinear, size=(33, 7))", (39, 5)),
                               ("Upsample(bilinear, size=(10, 9), align_corners=true)", (3, 4))]:
        text = f"model m(x: {w_in}×{h_in}×1) = {spec}"
        report = archlang.check(text).model()
        layer = report.layers[0].layer
        m = archlang.load(text)
        w_out, h_out = report.output_shape.spatial
        for axis, (n_in, n_out) in enumerate([(w_in, w_out), (h_in, h_out)]):
            one = Upsample(mode="linear" if layer.mode != "nearest" else "nearest", size=(n_out,),
                           align_corners=layer.align_corners)
            want = stated(one, n_in)
            for i in range(n_in):
                x = torch.zeros(1, 1, h_in, w_in)
                if axis == 0:
                    x[0, 0, 0, i] = 1
                    got = (m(x)[0, 0, 0] != 0).tolist()
                else:
                    x[0, 0, i, 0] = 1
                    got = (m(x)[0, 0, :, 0] != 0).tolist()
                assert got == [a <= i <= b for a, b in want], (spec, axis, i)


def test_exact_where_float32_agrees_and_tabled_where_not():
    # 26 → 22 nearest: PyTorch's map is not ⌊n·13/11⌋ with period 11; it is kept as a table of
    # 22 outputs; 7 → 14 (×2) is the exact rule with period 2.
    x = Shape((26, 1))
    res = Upsample(size=(22,)).resampling([x])
    assert res.ratio == (Fraction(13, 11),) and res.periods == (22,)
    res = Upsample(size=(14,)).resampling([Shape((7, 1))])
    assert res.ratio == (Fraction(1, 2),) and res.periods == (2,)
