"""Sequence layers: learned free tensors (Parameter), Select, MultiHeadAttention.

Shapes are the spec's: an L×C sequence is L tokens of C channels. Attention is a per-token
layer: it takes PyTorch's N×L×C (channels last, layers/layout.py), as nn.MultiheadAttention
with batch_first=True does, and the back end lays sequences out that way where it meets it.
"""
from __future__ import annotations

from . import args as A
from ..records import dataclass
from .base import ArgProblem, Layer, Param, ShapeProblem, register
from .layout import CHANNELS_LAST, EITHER, torch_dim, torch_order
from .shape import DTYPES, Shape
from .torch_code import Call, Method, Template, TorchCode, kw

PARAMETER_INITS = ("zeros", "normal", "ones")


def _shape(arg: A.Arg) -> tuple[int, ...]:
    v = arg.value
    if isinstance(v, A.ShapeValue):
        return v.dims
    items = v if isinstance(v, tuple) else (arg,)
    return tuple(A.size(a) for a in items)


def _parameter_init(arg: A.Arg) -> str:
    name = A.string(arg)
    if name not in PARAMETER_INITS:
        from ..suggest import did_you_mean
        raise ArgProblem(f'unknown initialiser "{name}" for a Parameter', arg.span,
                         label="not an initialiser",
                         help=did_you_mean(name, PARAMETER_INITS) or
                         'choose "zeros", "normal" (std 0.02) or "ones"')
    return name


@register
@dataclass(frozen=True)
class Parameter(Layer):
    """A learned free tensor (ViT's class token, position embedding): a value with no input."""

    shape: tuple[int, ...]
    init: str = "zeros"

    kind = "Parameter"
    family = "param"
    arity = 0
    layout = EITHER
    summary = "a learned tensor of the given shape (graph bodies); the same for every sample"
    schema = (Param("shape", _shape, doc="its shape, spec order: 197×768"),
              Param("init", _parameter_init, default="zeros", positional=False,
                    doc='"zeros", "normal" (std 0.02) or "ones"'))

    @classmethod
    def prepare(cls, positional, keywords):
        return A.one_tuple(positional), keywords       # Parameter(197, 768) is Parameter(197×768)

    def infer(self, inputs):
        return Shape(self.shape)

    def params(self) -> int:
        return Shape(self.shape).numel

    def torch(self, inputs, out, layout) -> TorchCode:
        # Laid out as its consumers take it (torchvision's ViT: class_token 1×1×768).
        size = (1, *torch_order(out, layout))
        make = {"zeros": Call("torch.zeros", size), "ones": Call("torch.ones", size),
                "normal": Call("torch.normal", (0.0, 0.02, size))}[self.init]
        # One copy is learned; each sample of the batch sees it (`{0}` is any tensor of the
        # batch, for its size).
        expand = "{self}.expand({0}.shape[0]" + ", -1" * len(out) + ")"
        return TorchCode(Call("nn.Parameter", (make,)), call=Template(expand))

    def __str__(self):
        text = "×".join(map(str, self.shape))
        return f"Parameter({text})" if self.init == "zeros" else f'Parameter({text}; init="{self.init}")'


@register
@dataclass(frozen=True)
class Select(Layer):
    """Element `index` (1-based) along dimension `dims`, which is dropped: `x[:, 0]`."""

    index: int
    dims: int = 1

    kind = "Select"
    family = "reshape"
    layout = EITHER
    dtypes, passes_dtype = DTYPES, True
    summary = "one element along a dimension, dropping it (ViT's class token: Select(1))"
    schema = (Param("index", A.size, doc="1-based position"),
              Param("dims", A.size, default=1, positional=False, aliases=("dim",),
                    doc="the dimension, 1-based in spec order (1: a sequence's tokens)"))

    def infer(self, inputs):
        x = inputs[0]
        if x.is_vector:
            raise ShapeProblem("E0303", f"Select applied to {x.describe()}",
                               label="needs at least two dimensions", blame_input=True,
                               help="a vector's elements are its channels; use `Slice` or `Dense`")
        if self.dims > len(x):
            raise ShapeProblem("E0202", f"Select along dimension {self.dims} of {x.describe()}, "
                               f"which has {len(x)}", arg="dims", blame_input=True,
                               label=f"at most {len(x)}")
        n = x[self.dims - 1]
        if self.index > n:
            raise ShapeProblem("E0202", f"Select({self.index}) of {n} elements along dimension "
                               f"{self.dims} of {x}", arg="index", blame_input=True,
                               label=f"at most {n}")
        return Shape(tuple(d for i, d in enumerate(x) if i != self.dims - 1))

    def torch(self, inputs, out, layout) -> TorchCode:
        return TorchCode(call=Method("select", (torch_dim(len(inputs[0]), self.dims, layout),
                                                self.index - 1)))

    def args_text(self):
        return [str(self.index)] + ([f"dims={self.dims}"] if self.dims != 1 else [])


@register
@dataclass(frozen=True)
class MultiHeadAttention(Layer):
    """PyTorch's nn.MultiheadAttention on L×d sequences: self-attention on one input, or
    (q, kv) / (q, k, v) in a graph body. Parameters as PyTorch lays them out: in_proj_weight
    3d×d, in_proj_bias 3d, out_proj d×d + d."""

    d: int
    heads: int
    bias: bool = True
    dropout: float = 0.0

    kind = "MultiHeadAttention"
    names = ("MultiheadAttention",)
    family = "attention"
    arity = -1
    layout = CHANNELS_LAST
    summary = "multi-head scaled dot-product attention on an L×d sequence (self or q, kv)"
    schema = (Param("d", A.size, doc="the model width (channels of every token)"),
              Param("heads", A.size, doc="number of heads; divides d"),
              Param("bias", A.boolean, default=True, positional=False),
              Param("dropout", A.probability, default=0.0, positional=False,
                    doc="dropout on the attention weights while training"))

    @classmethod
    def from_bound(cls, bound, spans, alias):
        if bound["d"] % bound["heads"]:
            raise ArgProblem(f"{bound['heads']} heads do not divide d = {bound['d']}",
                             spans.get("heads"), code="E0305", label="does not divide d",
                             help="each head takes d ÷ heads channels")
        return cls(**bound)

    def infer(self, inputs):
        if len(inputs) > 3:
            raise ShapeProblem("E0102", f"MultiHeadAttention takes 1 to 3 inputs (x; q, kv; "
                               f"q, k, v), given {len(inputs)}", label="too many inputs")
        for i, x in enumerate(inputs):
            if x.rank != 1:
                raise ShapeProblem("E0303", f"MultiHeadAttention applied to {x.describe()}",
                                   label="expects an L×d sequence", blame_input=i == 0,
                                   help=("reshape an image of W×H×C into a sequence of W·H tokens "
                                         f"first: reshape({x.numel // x.channels}, {x.channels})")
                                   if not x.is_vector else None)
            if x.channels != self.d:
                raise ShapeProblem("E0300", f"MultiHeadAttention({self.d}, {self.heads}) receives "
                                   f"{x.channels} channels per token", arg="d",
                                   label=f"declares {self.d}", blame_input=True,
                                   output=Shape((inputs[0][0], self.d)))
        if len(inputs) == 3 and inputs[1][0] != inputs[2][0]:
            raise ShapeProblem("E0304", f"keys of {inputs[1]} and values of {inputs[2]} differ in "
                               "length", label="k and v differ", join=True)
        return Shape((inputs[0][0], self.d))

    def _lengths(self, inputs) -> tuple[int, int]:
        return inputs[0][0], inputs[-1][0]

    def params(self) -> int:
        d = self.d
        return 4 * d * d + (4 * d if self.bias else 0)

    def macs(self, inputs, out) -> int:
        lq, lk = self._lengths(inputs)
        d = self.d
        # q, k, v projections; scores q·kᵀ; the weighted sum of v; the output projection.
        return lq * d * d + 2 * lk * d * d + 2 * lq * lk * d + lq * d * d

    def elementwise(self, inputs, out) -> int:
        lq, lk = self._lengths(inputs)
        bias = (3 * lq + lq) * self.d if self.bias else 0      # in_proj and out_proj biases
        return self.heads * lq * lk * 2 + bias                 # scaling and softmax per score

    def saved(self, inputs, out) -> int:
        lq, lk = self._lengths(inputs)
        return self.heads * lq * lk                            # the attention matrix

    def torch(self, inputs, out) -> TorchCode:
        module = Call("nn.MultiheadAttention", (self.d, self.heads),
                      kw(dropout=self.dropout or None, bias=False if not self.bias else None,
                         batch_first=True))
        q, k, v = {1: (0, 0, 0), 2: (0, 1, 1), 3: (0, 1, 2)}[len(inputs)]
        text = "{self}(" + ", ".join(f"{{{i}}}" for i in (q, k, v)) + ", need_weights=False)[0]"
        return TorchCode(module, call=Template(text))

    def args_text(self):
        out = [str(self.d), str(self.heads)]
        if not self.bias:
            out.append("bias=false")
        if self.dropout:
            out.append(f"dropout={self.dropout:g}")
        return out
