"""The IR's value type: a tensor's dims (the spec's Flux order, no batch) and its dtype.

Dims are W×H×C, L×C, W×H×D×C, or [n] (a vector); the last is channels unless the value is a
vector. The dtype says what the elements are: `float` (activations, every layer's output
unless it says otherwise), `int` (integer indices: token ids, read by Embedding) or `bool`
(masks). Float is the default, so code that builds `Shape(dims)` keeps its meaning.

`Shape` stays a tuple of dims: `len`, indexing, unpacking and comparing with a plain tuple
look at the dims only. Two Shapes are equal when their dims and their dtypes are.

How a value is laid out in PyTorch (channels first or last) is not part of its type: the
PyTorch back end decides it per value (layers/layout.py has the rule, backends/torch/layout.py
the choice).
"""
from __future__ import annotations

from math import prod

from ..symbolic import SymInt, dim_text

_RANK_WORDS = {0: "vector", 1: "sequence", 2: "image", 3: "volume"}

FLOAT, INT, BOOL = "float", "int", "bool"
DTYPES = (FLOAT, INT, BOOL)
"""The element types a spec can name (`tokens: 1024 of int`)."""

# Words people write for a dtype (PyTorch's and NumPy's names), each read as the spec's own
# word only to say which one was meant: `of long` is an error whose help says `of int`, so
# that a spec has one spelling of each type.
DTYPE_ALIASES = {
    "long": INT, "int64": INT, "int32": INT, "integer": INT, "index": INT, "token": INT, "tokens": INT,
    "boolean": BOOL, "mask": BOOL,
    "float32": FLOAT, "float64": FLOAT, "double": FLOAT, "real": FLOAT, "half": FLOAT,
}
MAX_DIMS = 6
"""The most dims a value may have: a model's inputs have at most 4 (3 spatial and channels),
reshape's intermediates up to 6 (a window partition of an image is W×H×C → ws×nw×ws×nh×C).
Convolutions, pools, BatchNorm and interpolation take at most 3 spatial dims
(layers/window.py `at_most_3d`)."""

DTYPE_WORDS = {FLOAT: "float values", INT: "integer indices", BOOL: "a boolean mask"}


class Shape(tuple):
    """A tuple of positive ints or SymInts (the dims) with a dtype; the last dim is channels unless the
    value is a vector."""

    def __new__(cls, dims, dtype: str | None = None):
        # ints stay ints (the concrete path is unchanged); a symbolic size (archlang/symbolic.py)
        # stays a formula of the input's named sizes
        self = super().__new__(cls, tuple(d if type(d) is int or isinstance(d, SymInt) else int(d)
                                          for d in dims))
        # Shape(other) keeps other's dtype; new dims are float unless told.
        self.dtype = dtype or getattr(dims, "dtype", FLOAT)
        return self

    def __getnewargs__(self):
        return tuple(self), self.dtype

    def __eq__(self, other):
        if isinstance(other, Shape) and other.dtype != self.dtype:
            return False
        return tuple.__eq__(self, other)

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return tuple.__hash__(self) if self.dtype == FLOAT else hash((tuple(self), self.dtype))

    @property
    def rank(self) -> int:
        """Number of spatial dimensions: 0 for a vector, 1 for L×C, 2 for W×H×C, 3 for W×H×D×C."""
        return max(0, len(self) - 1)

    @property
    def spatial(self) -> tuple[int, ...]:
        return tuple(self[:-1]) if len(self) > 1 else ()

    @property
    def channels(self) -> int:
        return self[-1]

    @property
    def numel(self) -> int:
        return prod(self)

    @property
    def is_vector(self) -> bool:
        return len(self) == 1

    @property
    def is_float(self) -> bool:
        return self.dtype == FLOAT

    def with_spatial(self, spatial, channels: int | None = None) -> Shape:
        return Shape((*spatial, self.channels if channels is None else channels), self.dtype)

    def with_dtype(self, dtype: str) -> Shape:
        return self if dtype == self.dtype else Shape(self, dtype)

    def kind(self) -> str:
        return _RANK_WORDS.get(self.rank, f"{self.rank}-D tensor")

    def describe(self) -> str:
        """'a 24×24×8 image', 'a vector of 784', 'a sequence of 1,024 integer indices'."""
        if self.dtype != FLOAT:
            if self.is_vector:
                return f"a sequence of {self[0]:,} {DTYPE_WORDS[self.dtype].replace('a ', '')}" \
                    if self.dtype == INT else f"a boolean mask of {self[0]:,}"
            return f"a {fmt_dims(self)} tensor of {DTYPE_WORDS[self.dtype].replace('a ', '')}"
        if self.is_vector:
            return f"a vector of {self[0]:,}"
        return f"a {self} {self.kind()}"

    def __str__(self) -> str:
        dims = fmt_dims(self)
        return dims if self.dtype == FLOAT else f"{dims} of {self.dtype}"

    def __repr__(self) -> str:
        return f"Shape({self})"


def dim_letters(shape) -> tuple[str, ...]:
    """The names of a shape's dims in spec order: L, C / W, H, C / W, H, D, C; d1, d2, …, C
    beyond 3 spatial dims (a reshape's intermediates); a vector's one dim is its elements."""
    rank = max(0, len(shape) - 1)
    spatial = {0: (), 1: ("L",), 2: ("W", "H"), 3: ("W", "H", "D")}.get(rank) or \
        tuple(f"d{i}" for i in range(1, rank + 1))
    return (*spatial, "C") if len(shape) > 1 else ("n",)


def rank_word(rank: int) -> str:
    return {1: "1-D", 2: "2-D", 3: "3-D"}.get(rank, f"{rank}-D")


def fmt_dims(dims) -> str:
    return "×".join(dim_text(d) for d in dims)
