"""Upsampling without weights: Upsample (nearest, linear, bilinear, trilinear) and PixelShuffle."""
from __future__ import annotations

import struct
from fractions import Fraction
from functools import lru_cache
from math import ceil, floor
from typing import Callable

from . import args as A
from ..records import dataclass
from .base import ArgProblem, Layer, Param, Resampling, ShapeProblem, register, tup
from ..symbolic import hint_of
from .shape import Shape, fmt_dims
from .torch_code import Call, Raw, TorchCode, dims, kw
from .window import at_most_3d

_RANK_OF_MODE = {"linear": 1, "bilinear": 2, "trilinear": 3}
# Mode names as code come from this table (every mode is checked against A.MODES).
_TORCH_MODE = {m: Raw(f'"{m}"') for m in A.MODES}
_NEAREST_EXACT = Raw('"nearest-exact"')
_NOUN = {1: "a sequence (L×C)", 2: "an image (W×H×C)", 3: "a volume (W×H×D×C)"}


def _mode(arg: A.Arg) -> str:
    v = arg.value
    name = v.name if isinstance(v, A.Symbol) else v if isinstance(v, str) else None
    if name not in A.MODES:
        from ..suggest import did_you_mean
        found = f'"{name}"' if isinstance(v, str) else A.describe(v)
        raise ArgProblem(f"expected an interpolation mode, found {found}", arg.span,
                         label="not a mode", help=(did_you_mean(name, A.MODES) if name else None)
                         or "modes: " + ", ".join(A.MODES))
    return name


def _scale(arg: A.Arg) -> tuple[int, ...]:
    items = arg.value if isinstance(arg.value, tuple) else (arg,)
    for a in items:
        if isinstance(a.value, float) and not a.value.is_integer():
            raise ArgProblem(f"a scale of {a.value:g} is not a whole number", a.span, code="E0201",
                             label="not a whole factor",
                             help="scales are whole factors (Flux's); give a fractional one as the "
                                  "output size, e.g. size=(w, h)")
    return A.sizes(arg, "a scale")


# ---- where an output reads (receptive fields) -------------------------------------------------
def nearest_band(n_in: int, n_out: int) -> tuple[Fraction, Fraction, Fraction, Callable]:
    """(ratio, lo, hi, reads) of exact nearest resampling: output n reads input ⌊n·q⌋, q =
    n_in/n_out = a/b in lowest terms; ⌊n·q⌋ − n·q takes every value −k/b, so the band is
    n·q − (b−1)/b … n·q. (PixelShuffle's rule; Upsample's is PyTorch's, `torch_reads`.)"""
    q = Fraction(n_in, n_out)

    def reads(n: int) -> tuple[int, int]:
        i = floor(n * q)
        return i, i
    return q, Fraction(1 - q.denominator, q.denominator), Fraction(0), reads


def linear_band(n_in: int, n_out: int, align_corners: bool) -> tuple[Fraction, Fraction, Fraction, Callable]:
    """(ratio, lo, hi, reads) of exact linear interpolation, which reads ⌊src⌋ and ⌈src⌉ (the
    pixel after ⌊src⌋ has weight 0 when src is whole).

    PyTorch's source coordinate (area_pixel_compute_source_index): src = (n + ½)·q − ½ with
    q = n_in/n_out, or src = n·(n_in − 1)/(n_out − 1) with align_corners. Writing src = n·q + c
    and q = a/b, the fractional parts of src are (f + m)/b for m = 0 … b−1, f = frac(c·b).
    (Clamping src at 0 only moves weight onto pixels inside this band.)
    """
    if align_corners:
        q, c = Fraction(n_in - 1, max(n_out - 1, 1)), Fraction(0)
    else:
        q = Fraction(n_in, n_out)
        c = (q - 1) / 2
    b = q.denominator
    f = c * b - floor(c * b)
    most = (f + b - 1) / b                             # the largest fractional part of src
    positive = [v for v in (f / b, (f + 1) / b) if v > 0 and v < 1][:1]
    # ⌈src⌉ − src is 1 − frac for a positive fraction, 0 for a whole src.
    hi = c + (1 - positive[0] if positive else 0)

    def reads(n: int) -> tuple[int, int]:
        src = n * q + c
        return floor(src), ceil(src)
    return q, c - most, hi, reads


# PyTorch computes source indices in float32 (aten/src/ATen/native/UpSample.h and
# cpu/UpSampleKernel.cpp), not with the exact ratio: for 26 → 22 nearest, output 11 reads input
# 12, not ⌊11·26/22⌋ = 13. `torch_reads` replicates that arithmetic, with `scale·(n + ½) − ½`
# as one fused multiply-add, as PyTorch's kernels are built for AVX2/AVX-512 CPUs, ARM64 and
# CUDA (a build without FMA may differ by a pixel of weight ~10⁻⁸ in rare cases).
# tests/layers/test_upsample_torch.py checks it against F.interpolate for every size up to 64.
TABLE_LIMIT = 4096      # outputs tabulated per dimension (analysis.receptive_field.PERIOD_LIMIT)


def _f32(x: float) -> float:
    """x rounded to the nearest float32 (C's float)."""
    return struct.unpack("f", struct.pack("f", x))[0]


def _round32(q: Fraction) -> float:
    """An exact rational rounded once to float32, ties to even."""
    if q == 0:
        return 0.0
    m, e = abs(q), q.numerator.bit_length() - q.denominator.bit_length() - 24
    while m >= 2 ** (e + 24):
        e += 1
    while m < 2 ** (e + 23):
        e -= 1
    scaled = m / Fraction(2) ** e                       # in [2^23, 2^24)
    whole, rest = divmod(scaled, 1)
    whole += rest > Fraction(1, 2) or (rest == Fraction(1, 2) and whole % 2 == 1)
    return float(whole * Fraction(2) ** e) * (1 if q > 0 else -1)


def _fma32(a: float, b: float, c: float) -> float:
    """fmaf(a, b, c) for float32 a, b, c: a·b is exact in a double; the sum is rounded once."""
    p = a * b
    total = p + c
    back = total - p
    if (p - (total - back)) + (c - back) == 0:         # the double sum is exact (TwoSum)
        return _f32(total)
    return _round32(Fraction(a) * Fraction(b) + Fraction(c))


def _torch_scale(n_in: int, n_out: int, factor: int | None) -> float:
    """compute_scales_value<float>: 1/scale_factor when one is given, else in/out, in float."""
    return _f32(1.0 / factor) if factor else _f32(_f32(n_in) / _f32(n_out))


def torch_reads(mode: str, n_in: int, n_out: int, align_corners: bool = False,
                factor: int | None = None) -> Callable[[int], tuple[int, int]]:
    """The first and last input that output n of F.interpolate along one dimension reads with
    a nonzero weight: `mode` "nearest", "nearest-exact" or "linear" (each dimension of
    bilinear and trilinear), `factor` the scale_factor passed to PyTorch, if any."""
    last = n_in - 1
    if mode == "nearest":                               # HelperInterpNearest: ⌊scale·n⌋
        scale = _torch_scale(n_in, n_out, factor)

        def reads(n: int) -> tuple[int, int]:
            i = min(floor(_f32(scale * _f32(n))), last)
            return i, i
        return reads
    if mode == "nearest-exact":                         # HelperInterpNearestExact: ⌊src + ½⌋
        scale = _torch_scale(n_in, n_out, factor)

        def reads(n: int) -> tuple[int, int]:
            src = max(_fma32(scale, _f32(n + 0.5), -0.5), 0.0)
            i = min(floor(_f32(src + 0.5)), last)
            return i, i
        return reads
    if n_out == n_in:                                   # compute_source_index_and_lambda: a copy
        return lambda n: (n, n)
    if align_corners:
        scale = _f32(_f32(n_in - 1) / _f32(n_out - 1)) if n_out > 1 else 0.0
    else:
        scale = _torch_scale(n_in, n_out, factor)

    def reads(n: int) -> tuple[int, int]:
        src = _f32(scale * _f32(n)) if align_corners else max(_fma32(scale, _f32(n + 0.5), -0.5), 0.0)
        i = min(floor(src), last)                       # guard_index_and_lambda
        weight = min(max(_f32(src - i), 0.0), 1.0)
        return i, i + 1 if weight != 0 and i < last else i
    return reads


@lru_cache(maxsize=1024)
def torch_band(mode: str, n_in: int, n_out: int, align_corners: bool = False,
               factor: int | None = None) -> tuple[Fraction, Fraction, Fraction, Callable | None, int]:
    """(ratio, lo, hi, reads, period) of one dimension of F.interpolate, for receptive fields
    (layers.base.Resampling): the exact rule's band where PyTorch's float32 indices equal it,
    else a table of PyTorch's own, repeated every `period` outputs (past the last output, which
    only padding asks about, the exact rule fills it). An output longer than TABLE_LIMIT is
    not tabulated: where equality is not proved, `reads` is None and the band is widened by
    one pixel each side (float32 moves an index by at most one below 2^21 outputs)."""
    exact = nearest_band(n_in, n_out) if mode != "linear" else linear_band(n_in, n_out, align_corners)
    q, lo, hi, exact_reads = exact
    if mode == "nearest-exact" and q.numerator != 1:
        # ⌊(n + ½)·q⌋; for whole factors (the module's only use) that is ⌊n·q⌋, nearest_band.
        exact_reads = _nearest_exact_rule(q)
        b = q.denominator
        if b <= TABLE_LIMIT:            # the values repeat every b outputs
            lo = min(exact_reads(n)[0] - n * q for n in range(b))
            hi = max(exact_reads(n)[0] - n * q for n in range(b))
        else:
            lo, hi = q / 2 - 1, q / 2
    reads = torch_reads(mode, n_in, n_out, align_corners, factor)
    if n_out > TABLE_LIMIT:
        proved = n_out == n_in or (mode == "nearest" and q.denominator == 1 and n_in < 2 ** 24) \
            or (mode == "nearest-exact" and q.numerator == 1 and n_out < 2 ** 21)
        return (q, lo, hi, exact_reads, q.denominator) if proved else (q, lo - 1, hi + 1, None, 1)
    table = [reads(n) for n in range(n_out)]
    if table == [exact_reads(n) for n in range(n_out)]:
        return q, lo, hi, exact_reads, q.denominator
    period = q.denominator * -(-n_out // q.denominator)
    shift = int(q * period)
    table += [exact_reads(n) for n in range(n_out, period)]

    def tabled(n: int) -> tuple[int, int]:
        k, i = divmod(n, period)
        a, b = table[i]
        return a + k * shift, b + k * shift
    return (q, min(a - n * q for n, (a, _) in enumerate(table)),
            max(b - n * q for n, (_, b) in enumerate(table)), tabled, period)


def _nearest_exact_rule(q: Fraction) -> Callable:
    """Exact nearest-exact: output n reads input ⌊(n + ½)·q⌋."""
    def reads(n: int) -> tuple[int, int]:
        i = floor((2 * n + 1) * q / 2)
        return i, i
    return reads


@register
@dataclass(frozen=True)
class Upsample(Layer):
    mode: str = "nearest"
    scale: tuple[int, ...] | None = None
    size: tuple[int, ...] | None = None
    align_corners: bool = False

    kind = "Upsample"
    family = "upsample"
    summary = "upsampling by a scale or to a size: nearest, linear, bilinear or trilinear"
    schema = (
        Param("mode", _mode, default="nearest",
              doc="nearest, linear (L×C), bilinear (W×H×C) or trilinear (W×H×D×C)"),
        Param("scale", _scale, default=None, positional=False, aliases=("scale_factor",),
              doc="a whole factor, or one per spatial dimension, W first"),
        Param("size", A.sizes, default=None, positional=False,
              doc="the output's spatial size, W first"),
        Param("align_corners", A.boolean, default=False, positional=False,
              doc="PyTorch's align_corners, for the linear modes"),
    )

    @classmethod
    def prepare(cls, positional, keywords):
        # Flux's other form: Upsample(2) and Upsample(2, bilinear) give the scale first.
        if positional and not isinstance(positional[0].value, (A.Symbol, str)) \
                and "scale" not in keywords and "scale_factor" not in keywords:
            first, *rest = positional
            keywords = {**keywords, "scale": (first.span, first)}
            return rest, keywords
        return positional, keywords

    @classmethod
    def from_bound(cls, bound, spans, alias):
        if bound["scale"] is None and bound["size"] is None:
            raise ArgProblem("Upsample needs a `scale` or a `size`", None, code="E0102",
                             label="missing `scale` or `size`",
                             help="e.g. Upsample(scale=2) or Upsample(bilinear, size=(56, 56))")
        if bound["scale"] is not None and bound["size"] is not None:
            raise ArgProblem("Upsample takes a `scale` or a `size`, not both", spans.get("size"),
                             code="E0102", label="second way of giving the output size",
                             help="keep one of them")
        if bound["align_corners"] and bound["mode"] == "nearest":
            raise ArgProblem("align_corners is defined for the linear modes only", spans.get("align_corners"),
                             label="not with nearest", help="remove it, or choose a linear mode")
        return cls(**bound)

    def _out(self, x: Shape) -> tuple[int, ...]:
        given, name = (self.scale, "scale") if self.scale is not None else (self.size, "size")
        if len(given) not in (1, x.rank):
            raise ShapeProblem("E0303", f"`{name}` has {len(given)} entries but {x.describe()} has "
                               f"{x.rank} spatial dimension{'s' if x.rank > 1 else ''}", arg=name,
                               label=f"expected 1 or {x.rank} entries", blame_input=True)
        given = given * x.rank if len(given) == 1 else given
        return tuple(n * s for n, s in zip(x.spatial, given)) if self.scale is not None else given

    def infer(self, inputs):
        x = inputs[0]
        if x.is_vector:
            raise ShapeProblem("E0303", f"Upsample applied to {x.describe()}",
                               label="needs spatial dimensions", blame_input=True,
                               help="upsampling scales W, H (and D); reshape the vector first")
        at_most_3d("Upsample", x)
        need = _RANK_OF_MODE.get(self.mode)
        if need is not None and x.rank != need:
            better = next(m for m, r in _RANK_OF_MODE.items() if r == x.rank) if x.rank <= 3 else None
            raise ShapeProblem("E0303", f"`{self.mode}` upsampling needs {_NOUN[need]}, found {x.describe()}",
                               arg="mode", label=f"needs {_NOUN[need].split(' (')[0]}", blame_input=True,
                               help=f"use `{better}` (or `nearest`) for {_NOUN[x.rank].split(' (')[0]}"
                               if better else None)
        out = self._out(x)
        if any(o > A.MAX_SIZE for o in out):
            raise ShapeProblem("E0203", f"upsampling {x} gives {fmt_dims(out)}, too large",
                               arg="scale" if self.scale is not None else "size",
                               label="too large", help=f"sizes are at most 2⁴⁰ = {A.MAX_SIZE:,}")
        return x.with_spatial(out)

    def elementwise(self, inputs, out) -> int:
        # Linear interpolation weighs 2^rank neighbours per output; nearest only copies.
        return 0 if self.mode == "nearest" else out.numel * 2 ** out.rank

    def _torch_mode(self, x: Shape, out: Shape) -> str:
        """The mode the compiled module passes to PyTorch. Its "nearest" computes ⌊n·(1/s)⌋ in
        float32 and misses for some whole factors (s = 41: output 41 reads input 0);
        "nearest-exact", ⌊(n + ½)/s⌋, is the same map for whole factors without the rounding,
        so it is Flux's repetition exactly."""
        whole = all(o % n == 0 for n, o in zip(x.spatial, out.spatial))
        return "nearest-exact" if self.mode == "nearest" and whole else self.mode

    def resampling(self, inputs):
        # What the compiled module computes (torch_band), dimension by dimension.
        x = inputs[0]
        out = self.infer(inputs)
        mode = self._torch_mode(x, out)
        mode = "linear" if mode in _RANK_OF_MODE else mode
        factors = (self.scale * x.rank if len(self.scale) == 1 else self.scale) \
            if self.scale is not None else (None,) * x.rank
        # A named size (x: W×H×3) is taken at its sample: receptive fields are shown there.
        bands = [torch_band(mode, hint_of(n), hint_of(o), self.align_corners, f)
                 for n, o, f in zip(x.spatial, out.spatial, factors)]
        return Resampling(*(tuple(b[i] for b in bands) for i in range(3)),
                          reads=tuple(b[3] for b in bands), periods=tuple(b[4] for b in bands))

    def torch(self, inputs, out) -> TorchCode:
        # F.interpolate's default for the linear modes is align_corners=False; it is written
        # out, as torchvision's FCN does, so the code says which convention it uses.
        linear = self.mode != "nearest"
        mode = self._torch_mode(inputs[0], out)
        mode = _NEAREST_EXACT if mode == "nearest-exact" else _TORCH_MODE[mode]
        module = Call("nn.Upsample", (), kw(
            size=dims(out.spatial) if self.size is not None else None,
            scale_factor=dims(self.scale * (out.rank if len(self.scale) == 1 else 1))
            if self.scale is not None else None,
            mode=mode, align_corners=self.align_corners if linear else None))
        return TorchCode(module)

    def args_text(self):
        out = [] if self.mode == "nearest" else [self.mode]
        if self.scale is not None:
            out.append(f"scale={self.scale[0]}" if len(self.scale) == 1 else f"scale={tup(self.scale)}")
        if self.size is not None:
            out.append(f"size={self.size[0]}" if len(self.size) == 1 else f"size={tup(self.size)}")
        if self.align_corners:
            out.append("align_corners=true")
        return out


@register
@dataclass(frozen=True)
class PixelShuffle(Layer):
    r: int

    kind = "PixelShuffle"
    family = "upsample"
    summary = "sub-pixel upsampling: W×H×(C·r²) → (W·r)×(H·r)×C (Flux's and PyTorch's order)"
    schema = (Param("r", A.size, aliases=("upscale_factor",), doc="the upscale factor"),)

    def infer(self, inputs):
        x = inputs[0]
        if x.rank != 2:
            raise ShapeProblem("E0303", f"PixelShuffle applied to {x.describe()}",
                               label="needs an image (W×H×C)", blame_input=True,
                               help="PixelShuffle rearranges channels into W and H, as PyTorch's "
                                    "nn.PixelShuffle; it takes images only")
        r2 = self.r * self.r
        if x.channels % r2:
            raise ShapeProblem("E0305", f"PixelShuffle({self.r}) needs channels in multiples of "
                               f"r² = {r2}, found {x.channels}", arg="r", blame_input=True,
                               label=f"{x.channels} is not a multiple of {r2}",
                               help=f"give it {r2}·C channels, e.g. {r2 * max(1, x.channels // r2)}")
        return x.with_spatial(tuple(n * self.r for n in x.spatial), x.channels // r2)

    def resampling(self, inputs):
        # Output pixel n comes from input pixel ⌊n/r⌋ (another channel): nearest upsampling.
        band = nearest_band(1, self.r)
        return Resampling(*((v,) * 2 for v in band))

    def torch(self, inputs, out) -> TorchCode:
        # Channel c·r² + i·r + j goes to (h·r + i, w·r + j): PyTorch's order, and Flux's
        # (its column-major reshape puts the W offset fastest, the same channel index).
        return TorchCode(Call("nn.PixelShuffle", (self.r,)))

    def args_text(self):
        return [str(self.r)]
