"""Sequence layers: learned free tensors (Parameter), Select (attention: layers/attention.py).

Shapes are the spec's: an L×C sequence is L tokens of C channels.
"""
from __future__ import annotations

from . import args as A
from ..records import dataclass
from .base import ArgProblem, Layer, Param, ShapeProblem, register
from .layout import EITHER, torch_dim, torch_order
from .shape import DTYPES, Shape
from .torch_code import Call, Method, Template, TorchCode

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
