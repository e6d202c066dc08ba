"""Layers that move data without weights: the model input, flatten, reshape, joins.

(`identity` is the identity activation, in activation.py.)
"""
from __future__ import annotations

from dataclasses import dataclass
from math import prod

from . import args as A
from .base import ArgProblem, Layer, Param, ShapeProblem, register, tup
from .shape import Shape
from .torch_code import XS, Call, Method, Op, TorchCode, rev, torch_dim


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
    summary = "reshape to the given dims (spec order, one `_` may be inferred)"
    schema = (Param("dims", _dims, doc="the new shape, e.g. 7×7×64 or (7, 7, 64)"),)

    @classmethod
    def prepare(cls, positional, keywords):
        # reshape(7, 7, 64) means reshape((7, 7, 64)).
        if len(positional) > 1:
            span = positional[0].span.to(positional[-1].span)
            return [A.Arg(tuple(positional), span)], keywords
        return positional, keywords

    @classmethod
    def from_bound(cls, bound, spans, alias):
        if sum(d is None for d in bound["dims"]) > 1:
            raise ArgProblem("at most one dimension of reshape can be `_`", spans.get("dims"))
        return cls(dims=bound["dims"])

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


@dataclass(frozen=True)
class Add(Layer):
    """The `+` join of SkipConnection and Parallel: shapes must be equal."""

    kind = "+"
    family = "join"
    arity = -1

    def infer(self, inputs):
        first = inputs[0]
        for other in inputs[1:]:
            if other != first:
                # SkipConnection's inputs are (layer output, skip input): "adding 4 to 8".
                raise ShapeProblem("E0304", f"adding {first} to {other}",
                                   label="shapes differ", join=True)
        return first

    def elementwise(self, inputs, out) -> int:
        return out.numel * (len(inputs) - 1)

    def __str__(self):
        return "+"

    def torch(self, inputs, out) -> TorchCode:
        return TorchCode(call=Op("+"))


@dataclass(frozen=True)
class Mul(Layer):
    """The `*` join of graph bodies' `a * b`: an element-wise product of equal shapes."""

    kind = "*"
    family = "join"
    arity = -1

    def infer(self, inputs):
        first = inputs[0]
        for other in inputs[1:]:
            if other != first:
                raise ShapeProblem("E0304", f"multiplying {first} by {other}",
                                   label="shapes differ", join=True)
        return first

    def macs(self, inputs, out) -> int:
        return 0

    def elementwise(self, inputs, out) -> int:
        return out.numel * (len(inputs) - 1)

    def __str__(self):
        return "*"

    def torch(self, inputs, out) -> TorchCode:
        return TorchCode(call=Op("*"))


@dataclass(frozen=True)
class Concat(Layer):
    """The `cat` join: concatenates channels; spatial sizes must be equal. `dims` (graph
    bodies' `cat(a, b; dims=d)`) joins along spec dimension d instead, 1-based."""

    dims: int | None = None

    kind = "cat"
    family = "join"
    arity = -1

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
            raise ShapeProblem("E0308", f"cat along dimension {d} of {first.describe()}, which has "
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

    def torch(self, inputs, out) -> TorchCode:
        # Flux's SkipConnection(layer, cat) computes cat(layer(x), x): the inputs' order.
        dim = 1 if self.dims is None else torch_dim(len(inputs[0]), self.dims)
        return TorchCode(call=Call("torch.cat", (XS,), (("dim", dim),)))
