"""How a layer kind maps to PyTorch, as plain data (no torch import): each kind's `torch` method.

A layer returns a `TorchCode`: the module's constructor as a `Call` tree (numbers stay numbers,
so the generator formats every one of them itself and never pastes spec text into code), an
optional explicit padding applied before it, a crop after it, and the activation and
initialiser by name. The generator (archlang/backends/torch.py) turns names into code with
its own tables.

Shapes here are the spec's (W×H×C); PyTorch wants spatial tuples as D, H, W, the reverse.
Which dim is which in PyTorch is layers/layout.py's rule, and a layer's code assumes the
layout it declares (`Layer.layout`); EITHER layers are told the layout.
"""
from __future__ import annotations

from ..records import dataclass
from .layout import rev


class _Tensor:
    """The tensor a wrapper applies to (`X`), or the list of a join's inputs (`XS`)."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


X = _Tensor("X")
XS = _Tensor("XS")


@dataclass(frozen=True)
class Raw:
    """Fixed code text from archlang's own tables (never from a spec): `float("-inf")`."""

    text: str


@dataclass(frozen=True)
class Call:
    """fn(*args, **kwargs) — `fn` is a name from archlang's tables, such as `nn.Conv2d`."""

    fn: str
    args: tuple = ()
    kwargs: tuple = ()            # ((name, value), ...) in order


@dataclass(frozen=True)
class Method:
    """X.name(*args): `x.flatten(1)`."""

    name: str
    args: tuple = ()


@dataclass(frozen=True)
class Crop:
    """Drop `lo` leading and `hi` trailing elements of each spatial dim (PyTorch order)."""

    lo: tuple[int, ...]
    hi: tuple[int, ...]


@dataclass(frozen=True)
class Template:
    """A forward expression from archlang's own tables: `{self}` is the layer's submodule,
    `{0}`, `{1}`, … its inputs. For calls that are not `module(x)`: attention's (q, k, v), a
    learned tensor expanded over the batch."""

    text: str


@dataclass(frozen=True)
class Index:
    """X[index]: one of the tensors a `chunk` gives."""

    index: int


@dataclass(frozen=True)
class Op:
    """An infix join of the inputs: `h + x`."""

    op: str


@dataclass(frozen=True)
class TorchCode:
    module: Call | None = None            # the submodule's constructor, if the layer has one
    pre: Call | None = None               # applied to the input before the module (X = input)
    call: object = None                   # module-less layers: an expression of X / XS
    post: tuple = ()                      # applied after the module (Crop) or the call (a
                                          # chain of Methods), before `act`
    act: str = "identity"                 # activation applied last (archlang's canonical name)
    init: str = "default"                 # archlang/layers/args.py INITS
    raw_out: tuple | None = None          # the module's own output (PyTorch order, no N) when a
                                          # post step changes it


def dims(values):
    """A size per spatial dimension in PyTorch order, as one int when they are all equal."""
    values = rev(values)
    return values[0] if len(set(values)) == 1 else values


def kw(**pairs) -> tuple:
    """Keyword arguments without the ones left at their default (value None)."""
    return tuple((k, v) for k, v in pairs.items() if v is not None)


def pad_call(lo, hi, value=None) -> Call:
    """F.pad's tuple starts at the last dim (W): (w_lo, w_hi, h_lo, h_hi, ...) — Flux's order."""
    flat = tuple(v for pair in zip(lo, hi) for v in pair)
    return Call("F.pad", (X, flat), kw(value=value))
