"""Upsampling without weights: Upsample (nearest, linear, bilinear, trilinear) and PixelShuffle."""
from __future__ import annotations

from fractions import Fraction
from math import ceil, floor
from typing import Callable

from . import args as A
from ..records import dataclass
from .base import ArgProblem, Layer, Param, Resampling, ShapeProblem, register, tup
from .shape import Shape, fmt_dims
from .torch_code import Call, Raw, TorchCode, dims, kw

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
    """(ratio, lo, hi, reads): PyTorch's nearest reads input ⌊n·q⌋, q = n_in/n_out = a/b in
    lowest terms; ⌊n·q⌋ − n·q takes every value −k/b, so the band is n·q − (b−1)/b … n·q."""
    q = Fraction(n_in, n_out)

    def reads(n: int) -> tuple[int, int]:
        i = floor(n * q)
        return i, i
    return q, Fraction(1 - q.denominator, q.denominator), Fraction(0), reads


def linear_band(n_in: int, n_out: int, align_corners: bool) -> tuple[Fraction, Fraction, Fraction, Callable]:
    """(ratio, lo, hi, reads) of linear interpolation, which reads ⌊src⌋ and ⌈src⌉ (the pixel after
    ⌊src⌋ has weight 0 when src is whole).

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

    def resampling(self, inputs):
        x = inputs[0]
        out = self.infer(inputs)
        bands = [nearest_band(n, o) if self.mode == "nearest" else
                 linear_band(n, o, self.align_corners) for n, o in zip(x.spatial, out.spatial)]
        return Resampling(*(tuple(b[i] for b in bands) for i in range(4)))

    def torch(self, inputs, out) -> TorchCode:
        # F.interpolate's default for the linear modes is align_corners=False; it is written
        # out, as torchvision's FCN does, so the code says which convention it uses.
        # PyTorch's "nearest" computes ⌊n·(1/s)⌋ in float32 and misses for some whole factors
        # (s = 41: output 41 reads input 0); "nearest-exact", ⌊(n + ½)/s⌋, is the same map
        # for whole factors without the rounding, so it is Flux's repetition exactly.
        linear = self.mode != "nearest"
        whole = all(o % n == 0 for n, o in zip(inputs[0].spatial, out.spatial))
        mode = _NEAREST_EXACT if self.mode == "nearest" and whole else _TORCH_MODE[self.mode]
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
