"""The layer registry: every layer kind is declared once, as a frozen dataclass.

A kind's class holds, in one place: its names (Flux's and PyTorch's aliases), its argument
schema (`schema`), its shape rule (`infer`), its parameter and state counts, its MACs and
element operations, its window for receptive fields, and how it prints (`__str__`, Flux's
way: `Conv((5, 5), 1 => 8, relu)`). Adding a layer touches one file.
"""
from __future__ import annotations

from collections.abc import MutableMapping
from contextvars import ContextVar
from functools import cached_property
from fractions import Fraction
from typing import Any, Callable, ClassVar

from ..records import dataclass, fields, replace
from .layout import CHANNELS_FIRST
from .shape import DTYPE_WORDS, FLOAT, INT, Shape

REQUIRED = object()


class ShapeProblem(Exception):
    """Raised by a layer's shape rule; check.py turns it into a positioned Diagnostic.

    `arg` names the argument whose span is the smallest that shows the problem (None: the
    whole call). `blame_input` adds a label at the layer that produced the input.
    """

    def __init__(self, code: str, message: str, *, label: str = "", help: str | None = None,
                 notes: tuple[str, ...] = (), arg: str | None = None, blame_input: bool = False,
                 output: Shape | None = None, join: bool = False):
        super().__init__(message)
        self.code, self.message, self.label, self.help = code, message, label, help
        self.notes, self.arg, self.blame_input = notes, arg, blame_input
        # The shape checking can continue with, when the layer's output is still well defined
        # (a channel mismatch still produces c_out channels): later errors are reported too.
        self.output = output
        self.join = join             # a join's problem: label every incoming branch


class ArgProblem(Exception):
    """Raised by an argument converter; `span` is the offending argument's (None: the call)."""

    def __init__(self, message: str, span=None, *, label: str = "", help: str | None = None,
                 code: str = "E0103"):
        super().__init__(message)
        self.message, self.span, self.label, self.help, self.code = message, span, label, help, code


@dataclass(frozen=True)
class Param:
    """One argument of a layer: a converter from an evaluated Arg to the field's value."""

    name: str
    convert: Callable
    default: Any = REQUIRED
    positional: bool = True
    aliases: tuple[str, ...] = ()
    doc: str = ""
    shown: str = ""            # how signatures show it, when not its name ("in => out")

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class Window:
    """A sliding window per spatial dimension, for receptive fields and Toeplitz views."""

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    pad_lo: tuple[int, ...]
    dilation: tuple[int, ...]

    @property
    def effective_kernel(self) -> tuple[int, ...]:
        """k' = d(k−1)+1."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation))


@dataclass(frozen=True)
class Resampling:
    """Where a layer without a sliding window reads, per spatial dimension, for receptive fields.

    Output n (0-based) depends only on inputs `n·ratio + lo … n·ratio + hi`: the tightest such
    band, in rational numbers (upsampling by 2 has ratio ½). Slices shift (ratio 1, lo = hi =
    the offset); channel operations keep every position (ratio 1, lo = hi = 0).

    Where the band is not exact (a ratio with a denominator b > 1), `reads` gives, per
    dimension, the exact first and last input of output n; they repeat every `periods` outputs
    (default b; always a multiple of b), period·ratio inputs further on. A `reads` entry of None
    means they are not known exactly: the band is then an upper bound.
    """

    ratio: tuple[Fraction, ...]
    lo: tuple[Fraction, ...]
    hi: tuple[Fraction, ...]
    reads: tuple[Callable[[int], tuple[int, int]] | None, ...] = ()
    periods: tuple[int, ...] = ()

    @classmethod
    def identity(cls, rank: int) -> Resampling:
        return cls((Fraction(1),) * rank, (Fraction(0),) * rank, (Fraction(0),) * rank)


@dataclass(frozen=True)
class Layer:
    """Base of every layer kind. Subclasses are frozen dataclasses whose fields are the schema."""

    kind: ClassVar[str] = ""
    names: ClassVar[tuple[str, ...]] = ()      # aliases accepted in specs, besides `kind`
    family: ClassVar[str] = "other"            # conv | pool | dense | norm | activation | join | reshape | regularize | input
    schema: ClassVar[tuple[Param, ...]] = ()
    arity: ClassVar[int] = 1                   # inputs; 0 for the model input, -1 for any (joins)
    summary: ClassVar[str] = ""
    # The dtypes its inputs may have (layers/shape.py), and whether its output has its first
    # input's dtype (a Slice of token ids is token ids) rather than float.
    dtypes: ClassVar[tuple[str, ...]] = (FLOAT,)
    passes_dtype: ClassVar[bool] = False
    # The PyTorch layout it takes and gives for values with channels (layers/layout.py):
    # CHANNELS_FIRST (convolutions), CHANNELS_LAST (per-token layers), ANY or EITHER.
    layout: ClassVar[str] = CHANNELS_FIRST

    # -- construction ------------------------------------------------------------------
    @classmethod
    def prepare(cls, positional: list, keywords: dict) -> tuple[list, dict]:
        """Rewrite alternative argument forms before binding (Dense(784, 200) → 784 => 200)."""
        return positional, keywords

    @classmethod
    def from_bound(cls, bound: dict[str, Any], spans: dict, alias: str) -> Layer:
        """Make the layer from converted arguments; `spans` locate them for ArgProblems."""
        return cls(**bound)

    # -- shape rule --------------------------------------------------------------------
    def resolve(self, inputs: list[Shape]) -> Layer:
        """Fill sizes written `_` from the incoming shapes (default: nothing to infer)."""
        return self

    def infer(self, inputs: list[Shape]) -> Shape:
        raise NotImplementedError

    def typed(self, inputs: list[Shape]) -> Shape:
        """The output type: the dtype rule around the shape rule (`infer`). An input whose
        dtype the layer does not take is E0312, at the layer, blaming the input."""
        for i, x in enumerate(inputs):
            if x.dtype not in self.dtypes:
                raise dtype_problem(self, x, i)
        out = self.infer(inputs)
        if self.passes_dtype and inputs and out.dtype == FLOAT:
            return out.with_dtype(inputs[0].dtype)
        return out

    # -- counts ------------------------------------------------------------------------
    def params(self) -> int:
        """Trainable parameters, as PyTorch counts them."""
        return 0

    def state(self) -> int:
        """Non-trainable state (buffers such as BatchNorm's running statistics)."""
        return 0

    def macs(self, inputs: list[Shape], out: Shape) -> int:
        """Multiply-accumulates of one forward pass of one sample."""
        return 0

    def elementwise(self, inputs: list[Shape], out: Shape) -> int:
        """Other element operations (activations, pooling comparisons, additions)."""
        return 0

    def saved(self, inputs: list[Shape], out: Shape) -> int:
        """Elements a layer keeps besides its output (attention's heads×L×L matrix)."""
        return 0

    def weight_shape(self) -> tuple[int, ...] | None:
        """The shape of its PyTorch module's `.weight`, for layers whose weight another layer
        may share (`tie=`, docs/language.md "Weight tying"); None: it has none to share."""
        return None

    def window(self) -> Window | None:
        """The sliding window, for layers that have one (conv, pool)."""
        return None

    def resampling(self, inputs: list[Shape]) -> Resampling | None:
        """Where outputs read, for layers without a window that keep positions (upsampling,
        slicing, channel operations); None: the layer has no such map."""
        return None

    # -- back ends ---------------------------------------------------------------------
    def torch(self, inputs: list[Shape], out: Shape):
        """The PyTorch mapping, a `torch_code.TorchCode` (data only; backends/torch.py renders it)."""
        raise NotImplementedError(f"{self.kind} has no PyTorch mapping")

    # -- printing ----------------------------------------------------------------------
    def args_text(self) -> list[str]:
        return []

    @cached_property
    def _text(self) -> str:
        args = self.args_text()
        return f"{self.kind}({', '.join(args)})" if args or self.arity != 1 else self.kind

    def __str__(self) -> str:
        # Made once: the analysis and the table both show it (a layer is immutable).
        return self._text

    def replace(self, **changes) -> Layer:
        return replace(self, **changes)


def dtype_problem(layer: Layer, x: Shape, index: int) -> ShapeProblem:
    takes = " or ".join(DTYPE_WORDS[d] for d in layer.dtypes)
    if x.dtype == INT:
        help_ = ("integer indices become vectors in an Embedding first: "
                 "`Embedding(vocab => d)`")
    elif INT in layer.dtypes:
        help_ = ("declare the input as integer indices (`tokens: 128 of int`), or give this "
                 "layer the output of one that makes them")
    else:
        help_ = "a boolean mask is given to attention (`mask=`), not to other layers"
    return ShapeProblem("E0312", f"{layer.kind} takes {takes} but receives {x.describe()}",
                        label=f"takes {takes}", blame_input=index == 0, help=help_)


class Registry(MutableMapping):
    """Name → layer class: the built-in kinds, and over them the kinds of the plugins in use.

    Built-in kinds are registered once, at import (`register`). A plugin's kinds
    (layers/plugins.py) are seen only inside `plugins.using(...)`, in that context (a
    ContextVar: one thread's or one call's plugins are never another's), so a later check
    without the plugin does not know its names.
    """

    def __init__(self):
        self.builtin: dict[str, type[Layer]] = {}
        self.overlay: ContextVar[dict[str, type[Layer]]] = ContextVar("archlang_plugin_kinds", default={})

    def __getitem__(self, name: str) -> type[Layer]:
        cls = self.builtin.get(name)
        if cls is None:
            return self.overlay.get()[name]
        return cls

    def get(self, name, default=None):
        return self.builtin.get(name) or self.overlay.get().get(name, default)

    def __contains__(self, name) -> bool:
        return name in self.builtin or name in self.overlay.get()

    def __iter__(self):
        yield from self.builtin
        yield from self.overlay.get()

    def __len__(self) -> int:
        return len(self.builtin) + len(self.overlay.get())

    def __setitem__(self, name: str, cls: type[Layer]) -> None:
        self.builtin[name] = cls

    def __delitem__(self, name: str) -> None:
        del self.builtin[name]


REGISTRY = Registry()
"""Every name a spec may call (kinds and aliases) → its class."""


def register(cls: type[Layer]) -> type[Layer]:
    for name in (cls.kind, *cls.names):
        assert name not in REGISTRY, f"layer name {name} declared twice"
        REGISTRY[name] = cls
    return cls


def kinds() -> list[type[Layer]]:
    """The built-in kinds (a plugin's are its own: plugins.Plugin.kinds)."""
    return list(dict.fromkeys(REGISTRY.builtin.values()))


def fields_of(layer: Layer) -> dict[str, Any]:
    return {f.name: getattr(layer, f.name) for f in fields(layer)}


def tup(values) -> str:
    """Python/Julia tuple text: (3,) for one element."""
    values = list(values)
    return f"({values[0]},)" if len(values) == 1 else "(" + ", ".join(str(v) for v in values) + ")"
