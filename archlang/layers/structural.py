"""Layers that move data without weights: the model input, flatten, reshape, joins.

(`identity` is the identity activation, in activation.py.)
"""
from __future__ import annotations

from math import prod
from typing import ClassVar

from . import args as A
from ..records import dataclass
from .base import ArgProblem, Layer, Param, ShapeProblem, register, tup
from .layout import ANY, EITHER, rev, torch_dim
from .shape import DTYPES, MAX_DIMS, Shape
from .torch_code import XS, Call, Method, Op, TorchCode


@dataclass(frozen=True)
class Input(Layer):
    shape: Shape
    name: str = "x"

    kind = "Input"
    family = "input"
    arity = 0

    def infer(self, inputs):
        return self.shape

    def __str__(self):
        return f"{self.name}: {self.shape}"


@register
@dataclass(frozen=True)
class Flatten(Layer):
    kind = "flatten"
    names = ("Flatten",)
    family = "reshape"
    dtypes, passes_dtype = DTYPES, True
    summary = "W×H×C → a vector of W·H·C (column-major, as Flux; equal to PyTorch's NCHW flatten)"

    def infer(self, inputs):
        return Shape((inputs[0].numel,))

    def torch(self, inputs, out) -> TorchCode:
        # Flux flattens W×H×C column-major; PyTorch's row-major N×C×H×W is the same order.
        return TorchCode(call=Method("flatten", (1,)))

    def __str__(self):
        return "flatten"


def _dims(arg: A.Arg):
    v = arg.value
    if isinstance(v, A.ShapeValue):
        return v.dims
    items = v if isinstance(v, tuple) else (arg,)
    return tuple(None if a.value is A.INFER else A.size(a) for a in items)


@register
@dataclass(frozen=True)
class Reshape(Layer):
    dims: tuple

    kind = "reshape"
    names = ("Reshape", "Unflatten")
    family = "reshape"
    value_first = True
    dtypes, passes_dtype = DTYPES, True
    summary = "reshape to the given dims (spec order, one `_` may be inferred)"
    schema = (Param("dims", _dims, doc="the new shape, e.g. 7×7×64 or (7, 7, 64)"),)

    @classmethod
    def prepare(cls, positional, keywords):
        return A.one_tuple(positional), keywords       # reshape(7, 7, 64) is reshape((7, 7, 64))

    @classmethod
    def from_bound(cls, bound, spans, alias):
        dims = bound["dims"]
        if sum(d is None for d in dims) > 1:
            raise ArgProblem("at most one dimension of reshape can be `_`", spans.get("dims"))
        if len(dims) > MAX_DIMS:
            # Intermediates of a window partition need up to 6 (layers/tensor.py); layers with
            # windows or per-dimension modules take at most 3 spatial dims (E0303 there).
            raise ArgProblem(f"reshape to {len(dims)} dimensions; at most {MAX_DIMS}",
                             spans.get("dims"), code="E0103", label="too many dimensions",
                             help="reshape to W×H×C, W×H×D×C, L×C or a vector; an intermediate "
                                  f"of a permutation may have up to {MAX_DIMS} dims")
        return cls(dims=dims)

    def infer(self, inputs):
        x = inputs[0]
        known = prod(d for d in self.dims if d is not None)
        if None in self.dims:
            if x.numel % known:
                raise ShapeProblem("E0307", f"cannot reshape {x.describe()} ({x.numel:,} elements) "
                                   f"into {tup(['_' if d is None else d for d in self.dims])}",
                                   arg="dims", blame_input=True,
                                   label=f"{x.numel:,} is not a multiple of {known:,}")
            dims = tuple(x.numel // known if d is None else d for d in self.dims)
        else:
            dims = self.dims
        if prod(dims) != x.numel:
            raise ShapeProblem("E0307", f"cannot reshape {x.describe()} ({x.numel:,} elements) into "
                               f"{'×'.join(map(str, dims))} ({prod(dims):,} elements)", arg="dims",
                               label="element counts differ", blame_input=True)
        return Shape(dims)

    def __str__(self):
        return "reshape(" + "×".join("_" if d is None else str(d) for d in self.dims) + ")"

    def torch(self, inputs, out) -> TorchCode:
        # Column-major W×H×C is row-major C×H×W: reverse the dims, keep the batch first.
        return TorchCode(call=Method("reshape", (-1, *rev(out))))


def broadcast(first: Shape, other: Shape, what: str) -> Shape:
    """PyTorch's broadcasting of two shapes of one rank: each dimension equal, or 1 in one.

    Shapes are compared in the spec's order (W×H×C): the compiled module's N×C×H×W has the
    same dimensions reversed, so the rule is the same. A squeeze-excitation gate 1×1×C
    multiplies a W×H×C map. Raises a ShapeProblem naming the dimension that fails.
    """
    if len(first) != len(other):
        raise ShapeProblem("E0304", f"{what}: they have "
                           f"{len(first)} and {len(other)} dimensions", label="ranks differ",
                           join=True, help="joined tensors need the same number of dimensions; "
                           "`reshape` one of them (a gate of C channels on an image is 1×1×C)")
    dims = []
    for d, (a, b) in enumerate(zip(first, other)):
        if a != b and 1 not in (a, b):
            raise ShapeProblem("E0304", f"{what}: the {_axis(first, d)} "
                               f"({a} and {b}) differ and neither is 1", label="shapes differ",
                               join=True, help="joined shapes must be equal in each dimension, "
                               "or 1 where one of them is broadcast (as in PyTorch)")
        dims.append(max(a, b))
    return Shape(dims)


def _axis(shape: Shape, d: int) -> str:
    """'channels', 'width', 'height', 'depth', 'length' or 'size' of dimension d."""
    if shape.is_vector:
        return "sizes"
    if d == len(shape) - 1:
        return "channels"
    names = ("lengths",) if shape.rank == 1 else ("widths", "heights", "depths")
    return names[d] if shape.rank <= 3 else f"sizes along dimension {d + 1}"


@dataclass(frozen=True)
class _Broadcasting(Layer):
    """An element-wise join (`+`, `*`): shapes broadcast as in PyTorch (size-1 dimensions)."""

    family = "join"
    arity = -1
    layout = ANY
    verb: ClassVar[str] = ""
    op: ClassVar[str] = ""

    def infer(self, inputs):
        out = inputs[0]
        for other in inputs[1:]:
            # SkipConnection's inputs are (layer output, skip input), as Flux calls them.
            out = broadcast(out, other, self.verb.format(out, other))
        return out

    def elementwise(self, inputs, out) -> int:
        return out.numel * (len(inputs) - 1)

    def __str__(self):
        return self.op

    def torch(self, inputs, out) -> TorchCode:
        return TorchCode(call=Op(self.op))


@dataclass(frozen=True)
class Add(_Broadcasting):
    """The `+` join of SkipConnection and Parallel."""

    kind = "+"
    verb = "adding {} to {}"
    op = "+"


@dataclass(frozen=True)
class Mul(_Broadcasting):
    """The `*` join: element-wise product, e.g. a squeeze-excitation gate times its input."""

    kind = "*"
    verb = "multiplying {} by {}"
    op = "*"


@dataclass(frozen=True)
class Concat(Layer):
    """The `cat` join: concatenates channels; spatial sizes must be equal. `dims` (graph
    bodies' `cat(a, b; dims=d)`) joins along spec dimension d instead, 1-based."""

    dims: int | None = None

    kind = "cat"
    family = "join"
    arity = -1
    layout = EITHER
    dtypes, passes_dtype = DTYPES, True

    def infer(self, inputs):
        first = inputs[0]
        if self.dims is not None and self.dims != len(first):
            return self._infer_along(inputs)
        for other in inputs[1:]:
            if other.rank != first.rank or other.spatial != first.spatial:
                # Name both shapes in the order the user wrote the branches.
                raise ShapeProblem("E0304", f"concatenating {first} with {other}",
                                   label="spatial sizes differ", join=True,
                                   help="`cat` joins along the channels; every branch must keep "
                                        "the same spatial size (check strides and padding)")
        return first.with_spatial(first.spatial, sum(s.channels for s in inputs))

    def _infer_along(self, inputs):
        first, d = inputs[0], self.dims
        if d > len(first):
            raise ShapeProblem("E0202", f"cat along dimension {d} of {first.describe()}, which has "
                               f"{len(first)}", arg="dims", label=f"at most {len(first)}", join=True)
        for other in inputs[1:]:
            if len(other) != len(first) or any(a != b for i, (a, b) in enumerate(zip(first, other))
                                               if i != d - 1):
                raise ShapeProblem("E0304", f"concatenating {first} with {other} along dimension {d}",
                                   label="other dimensions differ", join=True,
                                   help=f"every dimension but dimension {d} must be equal")
        return Shape(tuple(sum(s[d - 1] for s in inputs) if i == d - 1 else n
                           for i, n in enumerate(first)))

    def __str__(self):
        return "cat" if self.dims is None else f"cat(dims={self.dims})"

    def torch(self, inputs, out, layout) -> TorchCode:
        # Flux's SkipConnection(layer, cat) computes cat(layer(x), x): the inputs' order.
        ndims = len(inputs[0])
        dim = torch_dim(ndims, ndims if self.dims is None else self.dims, layout)
        return TorchCode(call=Call("torch.cat", (XS,), (("dim", dim),)))


JOINS: dict[str, type[Layer]] = {"add": Add, "mul": Mul, "cat": Concat}
"""The joins of SkipConnection and Parallel by the name the IR uses."""
JOIN_TEXT = {"add": "+", "mul": "*", "cat": "cat"}
"""How each join is written in a spec."""
