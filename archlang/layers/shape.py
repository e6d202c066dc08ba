"""Shapes without the batch dimension, in the spec's (Flux) order: W×H×C, L×C, W×H×D×C, or [n]."""
from __future__ import annotations

from math import prod

_RANK_WORDS = {0: "vector", 1: "sequence", 2: "image", 3: "volume"}


class Shape(tuple):
    """A tuple of positive ints; the last is channels unless the shape is a vector."""

    def __new__(cls, dims):
        return super().__new__(cls, tuple(int(d) for d in dims))

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

    def with_spatial(self, spatial, channels: int | None = None) -> Shape:
        return Shape((*spatial, self.channels if channels is None else channels))

    def kind(self) -> str:
        return _RANK_WORDS.get(self.rank, f"{self.rank}-D tensor")

    def describe(self) -> str:
        """'a 24×24×8 image', 'a vector of 784'."""
        if self.is_vector:
            return f"a vector of {self[0]:,}"
        return f"a {self} {self.kind()}"

    def __str__(self) -> str:
        return "×".join(str(d) for d in self)

    def __repr__(self) -> str:
        return f"Shape({self})"


def rank_word(rank: int) -> str:
    return {1: "1-D", 2: "2-D", 3: "3-D"}.get(rank, f"{rank}-D")


def fmt_dims(dims) -> str:
    return "×".join(str(d) for d in dims)
