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
Flatten, Dense, reshape, global pools, attention and recurrent layers see the whole input.

Layers without a window that keep positions (upsampling, PixelShuffle, slices, channel
operations) give a `Resampling`: output n reads inputs n·q + lo … n·q + hi. Upsampling has
q < 1, so jumps, left ends and sizes become rational: the field is then the tightest band
`left + n·jump … left + n·jump + size − 1` that holds every output's field (nearest ×2 after
a 1-pixel field: outputs 2k and 2k+1 both see pixel k, the band is n/2 − ½ … n/2, size 1½).
Each output's own field is then kept exactly as `Phases`: the first and last input pixel of
outputs 0 … P−1, a pattern that repeats every P outputs (P = 2 after ×2; a stride-2 layer
after it brings P back to 1). The size shown is the most pixels one output sees. Should P
grow past PERIOD_LIMIT (resizing to sizes with no common factor), only the band is kept
and its ⌊size⌋ is shown as an upper bound, `≤`.
"""
from __future__ import annotations

from fractions import Fraction
from math import floor, gcd, lcm

from ..diagnostics import Diagnostic, Label
from ..layers.base import Resampling, Window
from ..layers.pool import _AdaptivePool, _GlobalPool
from ..layers.shape import BOOL
from ..layers.structural import Input
from ..records import dataclass

PASS_THROUGH = ("activation", "norm", "regularize")


@dataclass(frozen=True)
class RF:
    """The receptive field of a node's outputs in the model's input, per spatial dimension.

    Output n (0-based, per dimension) sees input pixels `left + n·jump … left + n·jump + size − 1`
    (before clipping to the input). `whole` marks layers that see the whole input (then only
    `size` is meaningful: the input's spatial size). After upsampling that is a band holding
    every output's field, with rational values, and `phases` holds each output's own field;
    `at_most` marks a band whose phases grew too long to keep.
    """

    size: tuple[int, ...]
    jump: tuple[int, ...]
    left: tuple[int, ...]
    whole: bool = False
    phases: tuple[Phases, ...] | None = None   # exact fields per dimension, after upsampling
    at_most: bool = False                       # phases given up: ⌊size⌋ is an upper bound

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
        band = RF(tuple(size), tuple(jump), tuple(left), at_most=self.at_most)
        if self.phases is None:
            return band
        # The window of output n covers inputs n·s − p … n·s − p + k' − 1 (fields monotone).
        return _exact_rf(band, [ph.then(s, lambda n, s=s, p=p, k=k: (n * s - p, n * s - p + k - 1))
                                for ph, k, s, p in zip(self.phases, w.effective_kernel, w.stride,
                                                       w.pad_lo)])

    def resampled(self, r: Resampling) -> RF:
        """The field after a layer that reads inputs n·q + lo … n·q + hi (upsampling, slices)."""
        if self.whole:
            return self
        size = tuple(s + (h - lo) * j for s, j, lo, h in zip(self.size, self.jump, r.lo, r.hi))
        left = tuple(a + lo * j for a, j, lo in zip(self.left, self.jump, r.lo))
        periods = r.periods or tuple(q.denominator for q in r.ratio)
        inexact = any(f is None for f in r.reads)
        band = RF(tuple(map(_exact, size)), tuple(_exact(j * q) for j, q in zip(self.jump, r.ratio)),
                  tuple(map(_exact, left)), at_most=self.at_most or inexact)
        if band.at_most or (self.phases is None and all(p == 1 for p in periods)):
            return band                     # a whole ratio keeps an exact band exact
        reads = r.reads or tuple(_band_reads(q, lo, hi) for q, lo, hi in zip(r.ratio, r.lo, r.hi))
        return _exact_rf(band, [self.phase(d).then(q, f, p)
                                for d, (q, f, p) in enumerate(zip(r.ratio, reads, periods))])

    def phase(self, d: int) -> Phases:
        """Dimension d's exact fields (an exact band is a pattern of period 1)."""
        if self.phases is not None:
            return self.phases[d]
        return Phases(1, self.jump[d], (self.left[d],), (self.left[d] + self.size[d] - 1,))

    @property
    def pixels(self) -> tuple[int, ...]:
        """The most input pixels one output sees per dimension (an upper bound where
        `at_most`; the input's size when whole)."""
        if self.phases is not None:
            return tuple(ph.most for ph in self.phases)
        return tuple(floor(s) for s in self.size)

    def text(self) -> str:
        if self.whole:
            return "whole input"
        if not self.size:
            return "1"
        size = "≤" * self.at_most + "×".join(map(str, self.pixels))
        jump = [_num(Fraction(j)) for j in self.jump]
        jump = "×".join(jump) if len(set(jump)) > 1 else jump[0]
        return f"{size} /{jump}"

    def json(self) -> dict:
        if self.whole:
            return {"size": list(self.size), "stride": None, "padding": None, "centre": None,
                    "whole_input": True}
        out = {"size": list(self.pixels), "stride": [_plain(j) for j in self.jump],
               "padding": [_plain(p) for p in self.padding],
               "centre": [float(c) for c in self.centre], "whole_input": False}
        if self.at_most:
            out["size_at_most"] = True
        return out


def _exact(v):
    """An int where a rational value is whole, so integer fields stay ints."""
    return int(v) if isinstance(v, Fraction) and v.denominator == 1 else v


def _plain(v):
    """A JSON number: an int where the value is whole."""
    v = _exact(v)
    return float(v) if isinstance(v, Fraction) else v


PERIOD_LIMIT = 4096
"""The longest pattern of exact fields kept per dimension (see the module docstring)."""


@dataclass(frozen=True)
class Phases:
    """Exact fields along one dimension: output n sees input pixels first(n) … last(n), with
    first(n + period) = first(n) + shift (likewise last)."""

    period: int
    shift: int
    first: tuple[int, ...]
    last: tuple[int, ...]

    def at(self, n: int) -> tuple[int, int]:
        k, i = divmod(n, self.period)
        return self.first[i] + k * self.shift, self.last[i] + k * self.shift

    @property
    def most(self) -> int:
        return max(b - a for a, b in zip(self.first, self.last)) + 1

    def then(self, ratio: Fraction, reads, every: int | None = None) -> Phases | None:
        """The fields after a layer whose output n reads inputs reads(n) = (i, j), repeating
        every `every` outputs (default ratio.denominator) every·ratio inputs further; None
        when the new pattern is longer than PERIOD_LIMIT."""
        every = every or ratio.denominator
        step = int(ratio * every)                   # inputs per repetition of `reads`
        copies = self.period // gcd(self.period, step)
        period = every * copies
        if period > PERIOD_LIMIT:
            return None
        first, last = [], []
        for n in range(period):
            i, j = reads(n)
            first.append(self.at(i)[0])
            last.append(self.at(j)[1])
        return Phases(period, copies * step // self.period * self.shift, tuple(first), tuple(last))


def _band_reads(q: Fraction, lo: Fraction, hi: Fraction):
    """reads(n) of a whole ratio with whole offsets (a slice, a channel operation)."""
    return lambda n: (int(n * q + lo), int(n * q + hi))


def _exact_rf(band: RF, phases: list[Phases | None]) -> RF:
    """The field with exact phases, its band made the tightest that holds them; the band
    alone, marked as a bound, when a pattern grew too long."""
    if any(ph is None for ph in phases):
        return RF(band.size, band.jump, band.left, at_most=True)
    size, jump, left = [], [], []
    for ph in phases:
        j = Fraction(ph.shift, ph.period)
        lo = min(a - n * j for n, a in enumerate(ph.first))
        hi = max(b - n * j for n, b in enumerate(ph.last))
        size.append(_exact(hi - lo + 1))
        jump.append(_exact(j))
        left.append(_exact(lo))
    if all(ph.period == 1 for ph in phases):
        return RF(tuple(size), tuple(jump), tuple(left))        # an exact band again
    return RF(tuple(size), tuple(jump), tuple(left), phases=tuple(phases))


def _num(c: Fraction) -> str:
    return str(int(c)) if c.denominator == 1 else f"{float(c):.3g}"


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
    band = RF(tuple(b - a + 1 for a, b in zip(left, right)), jump, left,
              at_most=any(r.at_most for r in rfs))
    if band.at_most or all(r.phases is None for r in rfs):
        return band
    if any(len({Fraction(r.phase(d).shift, r.phase(d).period) for r in rfs}) > 1
           for d in range(rank)):
        return RF(band.size, band.jump, band.left, at_most=True)    # unaligned: band only
    phases = []
    for d in range(rank):
        ph = [r.phase(d) for r in rfs]
        period = lcm(*(p.period for p in ph))
        if period > PERIOD_LIMIT:
            return RF(band.size, band.jump, band.left, at_most=True)
        fields = [[p.at(n) for p in ph] for n in range(period)]
        phases.append(Phases(period, period * ph[0].shift // ph[0].period,
                             tuple(min(a for a, _ in f) for f in fields),
                             tuple(max(b for _, b in f) for f in fields)))
    return _exact_rf(band, phases)


def _adaptive_window(layer: _AdaptivePool, x) -> Window | None:
    """PyTorch's adaptive bins are a plain window when the input divides evenly."""
    out = layer.out * x.rank if len(layer.out) == 1 else layer.out
    if any(n % o for n, o in zip(x.spatial, out)):
        return None
    k = tuple(n // o for n, o in zip(x.spatial, out))
    return Window(k, k, (0,) * len(k), (1,) * len(k))


def receptive_fields(report) -> tuple[list[RF | None], list[Diagnostic]]:
    """The field of every node of a checked model (None: not defined, e.g. ConvTranspose).

    Fields are in the input a node depends on. With several inputs (graph bodies), a node that
    depends on more than one has none; a Parameter depends on no input, so a join with it keeps
    the other side's field.
    """
    infos = report.infos
    out: list[RF | None] = []
    deps: list[frozenset] = []           # the Input nodes each node depends on
    wholes: dict[int, RF] = {}           # per model input: the field that is all of it
    warnings: list[Diagnostic] = []
    for info in infos:
        layer, node = info.layer, info.node
        if isinstance(layer, Input):
            rank = len(layer.shape.spatial)
            deps.append(frozenset((node.id,)))
            out.append(RF((1,) * rank, (1,) * rank, (0,) * rank))
            continue
        # A boolean mask (attention's `mask=`) says which positions count, not what they
        # hold: the field is in the values it masks.
        ins_ids = tuple(i for i in node.inputs if infos[i].out is None or infos[i].out.dtype != BOOL) \
            or node.inputs
        if layer is not None and layer.arity == 0:
            ins_ids = ()     # a Parameter joined in a SkipConnection reads only the batch size
        deps.append(deps[ins_ids[0]] if len(ins_ids) == 1 else
                    frozenset().union(*(deps[i] for i in ins_ids)))
        # Inputs that depend on no model input (a Parameter) do not limit the field.
        live = [i for i in ins_ids if deps[i]]
        ins = [out[i] for i in live]
        if layer is None or info.out is None or len(deps[-1]) != 1 or any(r is None for r in ins):
            out.append(None)
            continue
        (source,) = deps[-1]
        whole = wholes.get(source)
        if whole is None:
            whole = wholes[source] = RF(tuple(infos[source].out.spatial), (), (), whole=True)
        x = info.inputs[0]
        if layer.family == "join" or len(live) > 1:
            rf = _union(ins)
            bad = _misaligned(ins) if layer.family == "join" else None
            if bad:
                warnings.append(_warning(report, info, ins, bad, live))
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
        elif isinstance(layer, _GlobalPool) or layer.family in ("dense", "reshape", "attention", "recurrent") \
                or x.is_vector:
            rf = whole
        else:
            w = layer.window()
            rf = ins[0].through(w) if w is not None and len(w.kernel) == len(whole.size) else None
        for fold in report.model.graph.folds.get(node.id, ()):
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
    # With upsampling inside, each output's own field (the phases) is not repeated exactly:
    # the band that holds them all still grows linearly, so it is an upper bound.
    inexact = once.at_most or once.phases is not None or before.phases is not None
    return RF(size, once.jump, left, at_most=inexact)


def _misaligned(rfs: list[RF]) -> str | None:
    live = [r for r in rfs if not r.whole]
    if len(live) < 2:
        return None
    if len({r.jump for r in live}) > 1:
        return "stride"
    if len({r.centre for r in live}) > 1:
        return "centre"
    return None


def _warning(report, info, ins: list[RF], what: str, sources: list[int]) -> Diagnostic:
    infos = report.infos
    labels = []
    for src, rf in zip(sources, ins):
        s = infos[src]
        span = s.node.span
        if what == "stride":
            text = f"effective stride {_fmt(rf.jump)}"
        else:
            text = f"field centred at {_fmt(_num(c) for c in rf.centre)}"
        labels.append(Label(span, text))
    for scope in info.node.scope:
        if scope.is_block:
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
