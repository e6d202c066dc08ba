"""What convolutions and pools share: per-dimension arguments, padding forms, the size formula."""
from __future__ import annotations

from .args import SAME
from .base import ArgProblem, ShapeProblem, tup
from .shape import Shape, fmt_dims, rank_word


def per_dim(values: tuple[int, ...], rank: int, name: str, span) -> tuple[int, ...]:
    """Broadcast a scalar to every spatial dimension; a tuple must have one entry per dimension."""
    if len(values) == 1:
        return values * rank
    if len(values) != rank:
        raise ArgProblem(f"`{name}` has {len(values)} entries but the kernel has {rank} "
                         f"dimension{'s' if rank > 1 else ''}", span,
                         label=f"expected 1 or {rank} entries")
    return values


def resolve_pad(pad, kernel, dilation, span) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(lo, hi) per dimension from `pad` as written.

    SamePad (Flux): total d(k−1) per dimension, the odd pixel on the low side, so that the
    output is ceil(n / stride). Uneven padding is Flux's order (w_lo, w_hi, h_lo, h_hi, ...).
    """
    rank = len(kernel)
    if pad is SAME:
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t + 1) // 2 for t in total), tuple(t // 2 for t in total)
    if len(pad) == 1:
        return pad * rank, pad * rank
    if len(pad) == rank:
        return tuple(pad), tuple(pad)
    if len(pad) == 2 * rank:
        return tuple(pad[0::2]), tuple(pad[1::2])
    raise ArgProblem(f"`pad` has {len(pad)} entries; a {rank_word(rank)} window takes 1, {rank} "
                     f"(one per dimension) or {2 * rank} (low and high per dimension)", span,
                     label="wrong number of entries")


def pad_text(pad, lo, hi) -> str | None:
    """`pad=...` as Flux prints it, or None when there is no padding."""
    if pad is SAME:
        return "pad=SamePad()"
    if not any(lo) and not any(hi):
        return None
    if lo == hi:
        return f"pad={lo[0]}" if len(set(lo)) == 1 else f"pad={tup(lo)}"
    return "pad=" + tup([v for pair in zip(lo, hi) for v in pair])


def dims_text(name: str, values: tuple[int, ...], default: int) -> str | None:
    if all(v == default for v in values):
        return None
    return f"{name}={values[0]}" if len(set(values)) == 1 else f"{name}={tup(values)}"


def at_most_3d(kind: str, x: Shape) -> None:
    """PyTorch's per-dimension modules (Conv3d, BatchNorm3d, AdaptiveAvgPool3d, interpolate)
    stop at 3 spatial dims; a value of more (a reshape's intermediate, up to 6 dims) is E0303."""
    if x.rank <= 3:
        return
    raise ShapeProblem("E0303", f"{kind} applied to {x.describe()}", blame_input=True,
                       label="takes at most 3 spatial dimensions and channels",
                       help=f"reshape it back first, e.g. reshape(_, {x.channels}) for a sequence "
                            "of its positions; values of more dims are for permutedims and "
                            "circshift between reshapes")


def check_rank(layer_name: str, rank: int, x: Shape, noun: str) -> None:
    """A window of `rank` dimensions needs an input with that many spatial dimensions."""
    if x.rank == rank:
        return
    at_most_3d(layer_name, x)
    if x.is_vector:
        help_ = ("give the model's input as W×H×C (e.g. 28×28×1) or add `reshape` before it"
                 if rank == 2 else "reshape the vector into a shape with spatial dimensions first")
        raise ShapeProblem("E0303", f"a {rank_word(rank)} {noun} applied to {x.describe()}",
                           label=f"needs a {rank_word(rank)} input with channels", help=help_,
                           blame_input=True)
    want = {1: "L×C", 2: "W×H×C", 3: "W×H×D×C"}.get(rank, "")
    example = tup([3] * x.rank)
    raise ShapeProblem("E0303", f"a {rank_word(rank)} {noun} applied to {x.describe()}",
                       label=f"expects {want} input", arg="kernel",
                       help=f"a {x.kind()} takes a {rank_word(x.rank)} window such as {example}",
                       blame_input=True)


def sliding(x: Shape, kernel, stride, dilation, lo, hi, noun: str, ceil: bool = False) -> tuple[int, ...]:
    """out = floor((n + p_lo + p_hi − d(k−1) − 1) / s) + 1 per spatial dimension.

    The book's formula (§5.3.1) with uneven padding and dilation, as PyTorch computes it.
    With `ceil` (PyTorch's ceil_mode, for pools) the division rounds up, except that the last
    window must start inside the input or its low padding (PyTorch's pooling_output_shape).
    """
    spatial = x.spatial
    padded = tuple(n + a + b for n, a, b in zip(spatial, lo, hi))
    eff = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(p < e for p, e in zip(padded, eff)):
        window = fmt_dims(eff)
        kind = "window" if eff == tuple(kernel) else f"window (dilated from {fmt_dims(kernel)})"
        if padded == spatial:
            msg = f"a {window} {kind} does not fit a {fmt_dims(spatial)} input without padding"
        else:
            msg = f"a {window} {kind} does not fit the {fmt_dims(spatial)} input padded to {fmt_dims(padded)}"
        need = tuple(max(0, e - n) for e, n in zip(eff, spatial))
        raise ShapeProblem("E0302", msg, label=f"{noun} larger than its input",
                           help=f"pad the input (at least {fmt_dims(need)} in total, e.g. "
                                f"pad=SamePad() keeps the size), or use a smaller kernel",
                           blame_input=True)
    if not ceil:
        return tuple((p - e) // s + 1 for p, e, s in zip(padded, eff, stride))
    out = []
    for n, a, p, e, s in zip(spatial, lo, padded, eff, stride):
        o = -(-(p - e) // s) + 1
        out.append(o - 1 if (o - 1) * s >= n + a else o)
    return tuple(out)


def dropped_pixels(x: Shape, kernel, stride, dilation, lo, hi) -> tuple[int, ...]:
    """Input pixels at the high end that no window covers when the stride does not divide the
    padded size evenly. Uncovered padding is not counted: ResNet's 7×7/2 stem with pad 3 on 224
    leaves one padded column uncovered, and no pixel of the image. A window narrower than its
    stride (ResNet's strided 1×1 projection) skips pixels between windows by design: nothing
    is counted for it."""
    return tuple(max(0, m) for m in drop_margins(x, kernel, stride, dilation, lo, hi))


def drop_margins(x: Shape, kernel, stride, dilation, lo, hi) -> tuple:
    """Per dimension, (n + padding − window) mod stride minus the high padding: pixels are
    dropped where it is positive (0 where nothing can be: a window narrower than its stride).
    A formula of the input's named sizes stays one (archlang/sizes.py reads where it is ≤ 0)."""
    eff = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    return tuple((n + a + b - e) % s - b if e >= s else 0
                 for n, a, b, e, s in zip(x.spatial, lo, hi, eff, stride))
