"""Receptive fields on the layer DAG: size, effective stride (jump) and padding per dimension.

The recurrences are those of Araujo, Norris and Sim, "Computing Receptive Fields of
Convolutional Neural Networks", Distill 2019 (https://distill.pub/2019/computing-receptive-fields/),
with the dilated kernel k' = d(k − 1) + 1 in place of k:

    r_out = r_in + (k' − 1)·j_in          size, in input pixels
    j_out = j_in·s                        jump: input pixels between neighbouring outputs
    P_out = P_in + p_lo·j_in              effective padding: output 0's field starts at −P
    c_out = c_in + ((k' − 1)/2 − p_lo)·j_in   centre of output 0's field (= −P + (r − 1)/2)

A join's field is the union over its branches (the maximum over paths); branches whose
fields have different jumps or centres are not aligned, and `check` warns at the join.
Flatten, Dense, reshape and global pools see the whole input.

Layers without a window that keep positions (upsampling, PixelShuffle, slices, channel
operations) give a `Resampling`: output n reads inputs n·q + lo … n·q + hi. Upsampling has
q < 1, so jumps, left ends and sizes become rational: the field is then the tightest band
`left + n·jump … left + n·jump + size − 1` that holds every output's field (nearest ×2 after
a 1-pixel field: outputs 2k and 2k+1 both see pixel k, the band is n/2 − ½ … n/2, size 1½),
and the most input pixels one output can see is ⌊size⌋.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import floor

from ..diagnostics import Diagnostic, Label
from ..layers.base import Resampling, Window
from ..layers.pool import _AdaptivePool, _GlobalPool
from ..layers.structural import Input

PASS_THROUGH = ("activation", "norm", "regularize")


@dataclass(frozen=True)
class RF:
    """The receptive field of a node's outputs in the model's input, per spatial dimension.

    Output n (0-based, per dimension) sees input pixels `left + n·jump … left + n·jump + size − 1`
    (before clipping to the input). `whole` marks layers that see the whole input (then only
    `size` is meaningful: the input's spatial size).
    """

    size: tuple[int, ...]
    jump: tuple[int, ...]
    left: tuple[int, ...]
    whole: bool = False

    @property
    def padding(self) -> tuple[int, ...]:
        """Effective padding: how far output 0's field reaches before the input's first pixel."""
        return tuple(-v for v in self.left)

    @property
    def centre(self) -> tuple[Fraction, ...]:
        """Centre of output 0's field in input pixels (a half when the field has even size)."""
        return tuple(Fraction(2 * lo + r - 1, 2) for lo, r in zip(self.left, self.size))

    def through(self, w: Window) -> RF:
        """The field after a sliding window (Araujo et al., eqs. 1–2, with dilation)."""
        if self.whole:
            return self
        size, jump, left = [], [], []
        for r, j, lo, k, s, p in zip(self.size, self.jump, self.left, w.effective_kernel, w.stride, w.pad_lo):
            size.append(r + (k - 1) * j)
            jump.append(j * s)
            left.append(lo - p * j)
        return RF(tuple(size), tuple(jump), tuple(left))

    def resampled(self, r: Resampling) -> RF:
        """The field after a layer that reads inputs n·q + lo … n·q + hi (upsampling, slices)."""
        if self.whole:
            return self
        size = tuple(s + (h - lo) * j for s, j, lo, h in zip(self.size, self.jump, r.lo, r.hi))
        left = tuple(a + lo * j for a, j, lo in zip(self.left, self.jump, r.lo))
        return RF(tuple(map(_exact, size)), tuple(_exact(j * q) for j, q in zip(self.jump, r.ratio)),
                  tuple(map(_exact, left)))

    @property
    def pixels(self) -> tuple[int, ...]:
        """The most input pixels one output sees per dimension: ⌊size⌋ (size itself when whole)."""
        return tuple(floor(s) for s in self.size)

    def text(self) -> str:
        if self.whole:
            return "whole input"
        if not self.size:
            return "1"
        size = "×".join(map(str, self.pixels))
        jump = [_num(Fraction(j)) for j in self.jump]
        jump = "×".join(jump) if len(set(jump)) > 1 else jump[0]
        return f"{size} /{jump}"

    def json(self) -> dict:
        if self.whole:
            return {"size": list(self.size), "stride": None, "padding": None, "centre": None,
                    "whole_input": True}
        return {"size": list(self.pixels), "stride": [_plain(j) for j in self.jump],
                "padding": [_plain(p) for p in self.padding],
                "centre": [float(c) for c in self.centre], "whole_input": False}


def _exact(v):
    """An int where a rational value is whole, so integer fields stay ints."""
    return int(v) if isinstance(v, Fraction) and v.denominator == 1 else v


def _plain(v):
    """A JSON number: an int where the value is whole."""
    v = _exact(v)
    return float(v) if isinstance(v, Fraction) else v


def _num(c: Fraction) -> str:
    return str(int(c)) if c.denominator == 1 else f"{float(c):g}"


def _fmt(values) -> str:
    values = [str(v) for v in values]
    return values[0] if len(values) == 1 else "(" + ", ".join(values) + ")"


def _union(rfs: list[RF]) -> RF:
    if any(r.whole for r in rfs):
        return next(r for r in rfs if r.whole)
    rank = len(rfs[0].size)
    left = tuple(min(r.left[d] for r in rfs) for d in range(rank))
    right = tuple(max(r.left[d] + r.size[d] - 1 for r in rfs) for d in range(rank))
    # With equal jumps the union of boxes is exact for every output; otherwise the coarsest
    # jump is the safe summary (and the join is diagnosed as unaligned).
    jump = tuple(max(r.jump[d] for r in rfs) for d in range(rank))
    return RF(tuple(b - a + 1 for a, b in zip(left, right)), jump, left)


def _adaptive_window(layer: _AdaptivePool, x) -> Window | None:
    """PyTorch's adaptive bins are a plain window when the input divides evenly."""
    out = layer.out * x.rank if len(layer.out) == 1 else layer.out
    if any(n % o for n, o in zip(x.spatial, out)):
        return None
    k = tuple(n // o for n, o in zip(x.spatial, out))
    return Window(k, k, (0,) * len(k), (1,) * len(k))


def receptive_fields(report) -> tuple[list[RF | None], list[Diagnostic]]:
    """The field of every node of a checked model (None: not defined, e.g. ConvTranspose)."""
    infos = report.infos
    model = report.model
    spatial = model.input_shape.spatial if model.input_shape is not None else ()
    whole = RF(tuple(spatial), (), (), whole=True)
    out: list[RF | None] = []
    warnings: list[Diagnostic] = []
    for info in infos:
        layer, node = info.layer, info.node
        ins = [out[i] for i in node.inputs]
        if isinstance(layer, Input):
            rank = len(spatial)
            out.append(RF((1,) * rank, (1,) * rank, (0,) * rank))
            continue
        if layer is None or info.out is None or any(r is None for r in ins):
            out.append(None)
            continue
        x = info.inputs[0]
        if layer.family == "join":
            rf = _union(ins)
            bad = _misaligned(ins)
            if bad:
                warnings.append(_warning(report, info, ins, bad))
        elif ins[0].whole:
            # Whatever follows a layer that sees the whole input sees it too, even where a
            # reshape changed the rank (a vector reshaped into an image, then convolved).
            rf = whole
        elif layer.family in PASS_THROUGH:
            rf = ins[0]
        elif isinstance(layer, _AdaptivePool):
            w = _adaptive_window(layer, x)
            rf = ins[0].through(w) if w is not None else whole
        elif not x.is_vector and (res := layer.resampling(info.inputs)) is not None:
            rf = ins[0].resampled(res)
        elif isinstance(layer, _GlobalPool) or layer.family in ("dense", "reshape") or x.is_vector:
            rf = whole
        else:
            w = layer.window()
            rf = ins[0].through(w) if w is not None and len(w.kernel) == len(spatial) else None
        for fold in model.graph.folds.get(node.id, ()):
            rf = _repeated(out[fold.input], rf, fold.times, whole)
        out.append(rf)
    return out, warnings


def _repeated(before: RF | None, once: RF | None, n: int, whole: RF) -> RF | None:
    """The field after n passes of a folded repeat's body, from the field before it and after
    one pass: a body that keeps its shape has stride 1 overall, so each pass widens the field
    by the same amount and shifts its left edge by the same amount (closed form, no unrolling).
    A body that multiplies the jump would make it astronomically large: the whole input."""
    if before is None or once is None or once.whole or before.whole:
        return once
    if once.jump != before.jump:
        return whole
    size = tuple(r0 + n * (r1 - r0) for r0, r1 in zip(before.size, once.size))
    left = tuple(l0 + n * (l1 - l0) for l0, l1 in zip(before.left, once.left))
    return RF(size, once.jump, left)


def _misaligned(rfs: list[RF]) -> str | None:
    live = [r for r in rfs if not r.whole]
    if len(live) < 2:
        return None
    if len({r.jump for r in live}) > 1:
        return "stride"
    if len({r.centre for r in live}) > 1:
        return "centre"
    return None


def _warning(report, info, ins: list[RF], what: str) -> Diagnostic:
    infos = report.infos
    labels = []
    for src, rf in zip(info.node.inputs, ins):
        s = infos[src]
        span = report.model.input_span if s.index == 0 else s.node.span
        if what == "stride":
            text = f"effective stride {_fmt(rf.jump)}"
        else:
            text = f"field centred at {_fmt(_num(c) for c in rf.centre)}"
        labels.append(Label(span, text))
    for scope in info.node.scope:
        if scope.kind == "block":
            labels.append(Label(scope.span, f"in `{scope.label}`"))
    if what == "stride":
        message = "joined branches have different effective strides"
        help_ = "give every branch the same total stride (product of its strides)"
    else:
        message = "joined branches see differently centred receptive fields"
        help_ = ("pad each branch symmetrically, (k − 1)/2 for an odd kernel k, so that output "
                 "pixel n of every branch is centred on the same input pixel")
    return Diagnostic("W0401", message, info.node.span, label=f"joined here (layer {info.index})",
                      labels=tuple(labels),
                      notes=("the branches' outputs are combined position by position, but "
                             "position n does not look at the same place in the input",),
                      help=help_, severity="warning")
