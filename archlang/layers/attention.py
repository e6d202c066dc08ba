"""Attention: MultiHeadAttention, with its masks (causal, key padding), Swin's relative-position
bias, and attention over windows.

Shapes are the spec's. Attention runs along dimension 1 (the tokens) of its input; every
other dimension but the channels is a batch of independent sequences sharing one set of
weights: an L×d sequence is one sequence, a T×W×d value (tokens × windows, what a window
partition makes) is W sequences of T tokens. It is a per-token layer (PyTorch's N×…×L×d,
channels last: layers/layout.py), compiled to the `Attention` module of the PyTorch back end
(backends/torch/tables.py), which has nn.MultiheadAttention's parameters and state_dict keys
and calls F.scaled_dot_product_attention.

Inputs, in a graph body: `(x)` self-attention, `(q, kv)`, `(q, k, v)`; `mask=m` adds a
boolean key mask m (L_k of bool, true where a key is attended: Hugging Face's
attention_mask, the complement of PyTorch's key_padding_mask). The mask is the node's last
input (`key_mask` says so: it is set by the application, not written as an argument).
"""
from __future__ import annotations

from fractions import Fraction
from math import prod

from . import args as A
from ..records import dataclass
from .base import ArgProblem, Layer, Param, Resampling, ShapeProblem, dtype_problem, register
from .layout import CHANNELS_LAST, rev
from .shape import BOOL, DTYPE_WORDS, FLOAT, Shape
from .torch_code import Call, Raw, Template, TorchCode, kw


def _window(arg: A.Arg) -> tuple[int, int]:
    """`relative_bias=7` (a 7×7 window) or `relative_bias=(w, h)`, spec order."""
    sizes = A.sizes(arg, "a window size")
    if len(sizes) > 2:
        raise ArgProblem(f"a relative-position bias over {len(sizes)} dimensions",
                         arg.span, label="one or two sizes",
                         help="give the window's side (`relative_bias=7`) or its width and "
                              "height (`relative_bias=(7, 7)`)")
    return (sizes[0], sizes[0]) if len(sizes) == 1 else sizes


def _shift(arg: A.Arg) -> tuple[int, int]:
    """`shift=3` or `shift=(sw, sh)`: Swin's shifted windows, spec order."""
    if isinstance(arg.value, tuple) and len(arg.value) != 2:
        raise ArgProblem(f"a shift of {len(arg.value)} numbers", arg.span, label="one or two",
                         help="give the shift of both dims (`shift=3`) or of each (`shift=(3, 3)`)")
    sizes = tuple(A.whole(a, "a shift", minimum=0) for a in arg.value) \
        if isinstance(arg.value, tuple) else (A.whole(arg, "a shift", minimum=0),) * 2
    return sizes


KEYS = {"torch": "nn.MultiheadAttention's in_proj_weight, in_proj_bias and out_proj",
        "swin": "torchvision's Swin ShiftedWindowAttention: qkv and proj",
        "maxvit": "torchvision's MaxViT RelativePositionalMultiHeadAttention: to_qkv and merge, "
                  "its relative_position_index a T×T matrix"}
"""`keys=`: the names (and shapes) of the weights in the compiled module's state_dict, so that
a module of that library loads strictly. The same numbers in each: q, k, v stacked in one
3d×d projection, then the output projection."""


def _keys(arg: A.Arg) -> str:
    name = A.string(arg)
    if name not in KEYS:
        from ..suggest import did_you_mean
        raise ArgProblem(f'unknown keys "{name}" for MultiHeadAttention', arg.span,
                         label="not a naming of the weights",
                         help=did_you_mean(name, KEYS) or 'choose "torch", "swin" or "maxvit"')
    return name


@register
@dataclass(frozen=True)
class MultiHeadAttention(Layer):
    """Multi-head scaled dot-product attention along dim 1 of its input: self-attention on one
    input, or (q, kv) / (q, k, v) in a graph body; `causal`, a key `mask`, a learned
    relative-position bias. Parameters as nn.MultiheadAttention lays them out: in_proj_weight
    3d×d, in_proj_bias 3d, out_proj d×d + d; the bias table (2w−1)(2h−1)×heads besides."""

    d: int
    heads: int
    bias: bool = True
    dropout: float = 0.0
    causal: bool = False
    relative_bias: tuple[int, int] | None = None      # the window (w, h), spec order
    shift: tuple[int, int] | None = None              # Swin's shifted windows (sw, sh)
    scale: float | None = None                        # the scores' factor; None: 1/√(d/heads)
    keys: str = "torch"                               # whose state_dict keys: KEYS
    key_mask: bool = False             # the last input is a boolean key mask (`mask=`)

    kind = "MultiHeadAttention"
    names = ("MultiheadAttention",)
    family = "attention"
    arity = -1
    layout = CHANNELS_LAST
    dtypes = (FLOAT, BOOL)             # a bool only as the mask: checked in `infer`
    value_keywords = ("mask",)         # written in application: `(h; mask=m)`
    summary = "multi-head scaled dot-product attention along the tokens (self, or q, kv)"
    count_note = ("MACs: projections + 2·Lq·Lk·d (QKᵀ and the weighted sum) in every window, "
                  "causal ones in full; memory: the heads×Lq×Lk matrix, an upper bound (fused "
                  "SDPA does not keep it)")
    schema = (Param("d", A.size, doc="the model width (channels of every token)"),
              Param("heads", A.size, doc="number of heads; divides d"),
              Param("bias", A.boolean, default=True, positional=False,
                    doc="biases of the q, k, v and output projections"),
              Param("dropout", A.probability, default=0.0, positional=False,
                    doc="dropout on the attention weights while training"),
              Param("causal", A.boolean, default=False, positional=False,
                    doc="query i attends to keys 1..i only (a language model's mask)"),
              Param("relative_bias", _window, default=None, positional=False,
                    doc="Swin's learned relative-position bias over a w×h window of tokens"),
              Param("scale", A.positive_number, default=None, positional=False,
                    doc="the factor of the scores q·kᵀ: 1/√(d/heads) unless given (MaxViT's "
                        "is 1/√d: `scale=d^-0.5`)"),
              Param("shift", _shift, default=None, positional=False,
                    doc="Swin's shifted windows: the mask that keeps tokens rolled in from "
                        "the other edge apart (with relative_bias, on T×Gw×Gh×C)"),
              Param("keys", _keys, default="torch", positional=False,
                    doc='whose state_dict keys the weights have: "torch" (nn.MultiheadAttention: '
                        'in_proj_weight, in_proj_bias, out_proj), "swin" (torchvision\'s Swin: '
                        'qkv, proj), "maxvit" (torchvision\'s MaxViT: to_qkv, merge)'))

    @classmethod
    def from_bound(cls, bound, spans, alias):
        if bound["d"] % bound["heads"]:
            raise ArgProblem(f"{bound['heads']} heads do not divide d = {bound['d']}",
                             spans.get("heads"), code="E0305", label="does not divide d",
                             help="each head takes d ÷ heads channels")
        if bound["shift"] == (0, 0):
            bound["shift"] = None                   # no shift: plain windows
        shift, window = bound["shift"], bound["relative_bias"]
        if shift is not None and window is None:
            raise ArgProblem("a shift of windows needs their size", spans.get("shift"),
                             code="E0102", label="windows of what size?",
                             help="give the window with its bias: `relative_bias=7, shift=3`")
        if shift is not None and any(s >= w for s, w in zip(shift, window)):
            raise ArgProblem(f"a shift of {_pair_text(shift)} in windows of "
                             f"{_pair_text(window)}", spans.get("shift"), code="E0202",
                             label="at most the window − 1",
                             help="Swin shifts by half a window: `shift=3` for windows of 7")
        return cls(**bound)

    def with_value_keywords(self, names):
        return self.replace(key_mask="mask" in names)

    # -- shape rule --------------------------------------------------------------------
    def _split(self, inputs):
        """(q, k, v, mask) of the node's inputs."""
        xs, mask = (inputs[:-1], inputs[-1]) if self.key_mask else (inputs, None)
        q, k, v = {1: (0, 0, 0), 2: (0, 1, 1), 3: (0, 1, 2)}.get(len(xs), (0, 1, 2))
        return xs[q], xs[k], xs[v], mask

    def infer(self, inputs):
        xs = inputs[:-1] if self.key_mask else inputs
        if len(xs) > 3:
            raise ShapeProblem("E0102", f"MultiHeadAttention takes 1 to 3 inputs (x; q, kv; "
                               f"q, k, v), given {len(xs)}", label="too many inputs")
        for i, x in enumerate(xs):
            if x.dtype == BOOL:
                raise ShapeProblem("E0312", f"MultiHeadAttention takes float values but input "
                                   f"{i + 1} is {x.describe()}", label="a mask given as an input",
                                   blame_input=True,
                                   help="give a mask by name: `MultiHeadAttention(d, h)(x; mask=m)`")
            if not x.is_float:
                raise dtype_problem(self, x, i)
            if x.is_vector:
                raise ShapeProblem("E0303", f"MultiHeadAttention applied to {x.describe()}",
                                   label="expects an L×d sequence", blame_input=i == 0,
                                   help="attention needs tokens: a vector has only channels")
            if x.channels != self.d:
                raise ShapeProblem("E0300", f"MultiHeadAttention({self.d}, {self.heads}) receives "
                                   f"{x.channels} channels per token", arg="d",
                                   label=f"declares {self.d}", blame_input=True,
                                   output=xs[0].with_spatial(xs[0].spatial, self.d))
        q, k, v, mask = self._split(inputs)
        if k[0] != v[0]:
            raise ShapeProblem("E0304", f"keys of {k} and values of {v} differ in length",
                               label="k and v differ", join=True)
        for other in (k, v):
            if other.spatial[1:] != q.spatial[1:]:
                raise ShapeProblem(
                    "E0304", f"attention from {q} to {other}: the sequences are batched "
                    f"differently", label="dims after the first differ", join=True,
                    help="attention runs along dimension 1; every later dimension but the "
                         "channels is a batch of sequences (windows), the same for q, k and v")
        if self.relative_bias is not None:
            tokens = prod(self.relative_bias)
            if q[0] != tokens or k[0] != tokens:
                w, h = self.relative_bias
                raise ShapeProblem(
                    "E0304", f"a relative-position bias over {w}×{h} windows needs {tokens} "
                    f"tokens, but attention runs from {q[0]} to {k[0]}", arg="relative_bias",
                    label=f"{tokens} tokens", blame_input=True,
                    help=f"partition the input into {w}×{h} windows (tokens × windows × "
                         "channels), or give the window of the tokens")
        if mask is not None:
            self._check_mask(mask, k)
        if self.shift is not None and (q.rank != 3 or k is not q):
            raise ShapeProblem(
                "E0303", f"shifted windows on {q.describe()}", arg="shift",
                label="needs tokens × windows across × windows down × channels",
                blame_input=True,
                help="partition into a T×Gw×Gh×C value (a grid of windows), so the mask knows "
                     "which windows lie at the edges")
        return q

    def _check_mask(self, mask: Shape, k: Shape) -> None:
        if mask.dtype != BOOL:
            raise ShapeProblem("E0312", f"the mask of MultiHeadAttention holds "
                               f"{DTYPE_WORDS[mask.dtype]} ({mask}), not bools",
                               arg="mask", label="takes a boolean mask",
                               help="declare the mask as an input of bools (`mask: 128 of bool`; "
                                    "true where a token is attended)")
        if k.rank != 1:
            raise ShapeProblem("E0303", f"a key mask on attention over {k.describe()}",
                               arg="mask", label="masks one sequence",
                               help="a key mask is for attention on an L×d sequence")
        if tuple(mask) != (k[0],):
            raise ShapeProblem("E0304", f"a mask of {mask.describe().removeprefix('a boolean mask of ')}"
                               f" keys for attention over {k[0]} keys", arg="mask",
                               label=f"needs {k[0]} bools", blame_input=False,
                               help="the mask has one bool per key (per token of k): true where "
                                    "the key is attended")

    # -- counts ------------------------------------------------------------------------
    def _sizes(self, inputs) -> tuple[int, int, int]:
        """(Lq, Lk, sequences): the lengths, and how many sequences (windows) share weights."""
        q, k, _, _ = self._split(inputs)
        return q[0], k[0], prod(q.spatial[1:])

    def params(self) -> int:
        d = self.d
        own = 4 * d * d + (4 * d if self.bias else 0)
        if self.relative_bias is not None:
            w, h = self.relative_bias
            own += (2 * w - 1) * (2 * h - 1) * self.heads       # the bias table
        return own

    def state(self) -> int:
        # torchvision's relative_position_index, a buffer: one table row per (query, key).
        return prod(self.relative_bias) ** 2 if self.relative_bias is not None else 0

    def macs(self, inputs, out) -> int:
        lq, lk, n = self._sizes(inputs)
        d = self.d
        # Per sequence: q, k, v projections; scores q·kᵀ and the weighted sum of v (2·Lq·Lk·d,
        # all of them also when causal: PyTorch's FLOP counter counts SDPA so); the output
        # projection. Every window is counted.
        return n * (lq * d * d + 2 * lk * d * d + 2 * lq * lk * d + lq * d * d)

    def elementwise(self, inputs, out) -> int:
        lq, lk, n = self._sizes(inputs)
        bias = (3 * lq + lq) * self.d if self.bias else 0      # in_proj and out_proj biases
        # Scaling and softmax per score; an add per score for the bias table and the mask.
        masks = (self.relative_bias is not None) + self.key_mask + (self.shift is not None)
        return n * (self.heads * lq * lk * (2 + masks) + bias)

    def saved(self, inputs, out) -> int:
        lq, lk, n = self._sizes(inputs)
        # The attention matrix, heads×Lq×Lk per sequence: an upper bound. The fused kernels
        # of F.scaled_dot_product_attention keep heads×Lq (a log-sum-exp per row) instead;
        # the math kernel (used with some masks and dtypes) and nn.MultiheadAttention with
        # weights keep the matrix.
        return n * self.heads * lq * lk

    def resampling(self, inputs):
        """Attention over windows sees its window: along dim 1 every output reads all T
        tokens of its window, along the later dims its own window only. As a band centred on
        each output (ratio 1, inputs n − (T−1) … n + (T−1): a field of 2T−1 before clipping,
        as a padded convolution's, which clipped to the window is the whole window), so that
        a residual join around it stays aligned. Plain attention on one sequence has no such
        map: it sees the whole input."""
        q, k, _, _ = self._split(inputs)
        if q.rank < 2 or k is not q:
            return None
        reach = Fraction(q[0] - 1)
        zeros = (Fraction(0),) * (q.rank - 1)
        return Resampling((Fraction(1),) * q.rank, (-reach, *zeros), (reach, *zeros))

    # -- back ends ---------------------------------------------------------------------
    def torch(self, inputs, out) -> TorchCode:
        window = rev(self.relative_bias) if self.relative_bias is not None else None
        shift = rev(self.shift) if self.shift is not None else None
        module = Call("Attention", (self.d, self.heads),
                      kw(bias=False if not self.bias else None, dropout=self.dropout or None,
                         causal=True if self.causal else None, window=window, shift=shift,
                         scale=self.scale,
                         # one of KEYS (checked when bound): no text of the spec's own
                         keys=Raw(f'"{self.keys}"') if self.keys != "torch" else None))
        n = len(inputs) - self.key_mask
        args = [f"{{{i}}}" for i in range(n)]
        if self.key_mask:
            args.append(f"mask={{{n}}}")
        return TorchCode(module, call=Template("{self}(" + ", ".join(args) + ")"))

    def args_text(self):
        out = [str(self.d), str(self.heads)]
        if not self.bias:
            out.append("bias=false")
        if self.dropout:
            out.append(f"dropout={self.dropout:g}")
        if self.causal:
            out.append("causal=true")
        if self.relative_bias is not None:
            out.append(f"relative_bias={_pair_text(self.relative_bias)}")
        if self.shift is not None:
            out.append(f"shift={_pair_text(self.shift)}")
        if self.scale is not None:
            out.append(f"scale={self.scale:.6g}")
        if self.keys != "torch":
            out.append(f'keys="{self.keys}"')
        return out


def _pair_text(pair: tuple[int, int]) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"({pair[0]}, {pair[1]})"
