"""Source text and spans: byte-free character offsets → line/column, and excerpts for diagnostics."""
from __future__ import annotations

import bisect
from functools import cached_property


class Source:
    """A named piece of `.arch` text. Compared by identity: two files may hold the same text."""

    __slots__ = ("path", "text", "__dict__")

    def __init__(self, path: str, text: str):
        self.path = path
        self.text = text

    @cached_property
    def _line_starts(self) -> list[int]:
        starts = [0]
        for i, ch in enumerate(self.text):
            if ch == "\n":
                starts.append(i + 1)
        return starts

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset (clamped to the text)."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1

    def line_text(self, line: int) -> str:
        starts = self._line_starts
        if not 1 <= line <= len(starts):
            return ""
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[starts[line - 1]:end].rstrip("\r")

    def span(self, start: int, end: int | None = None) -> Span:
        return Span(self, start, start + 1 if end is None else end)

    def __repr__(self) -> str:
        return f"Source({self.path!r})"


class Span:
    """A half-open range [start, end) of character offsets in a Source. Compared by identity.

    Immutable by convention, not enforced: a plain class with slots is made in a third of
    the time of a frozen dataclass, and a 10,000-layer spec makes hundreds of thousands.
    """

    __slots__ = ("source", "start", "end")

    def __init__(self, source: Source, start: int, end: int):
        self.source = source
        self.start = start
        self.end = end

    @property
    def line(self) -> int:
        return self.source.line_col(self.start)[0]

    @property
    def column(self) -> int:
        return self.source.line_col(self.start)[1]

    @property
    def text(self) -> str:
        return self.source.text[self.start:self.end]

    def end_line_col(self) -> tuple[int, int]:
        return self.source.line_col(max(self.start, self.end - 1))

    def to(self, other: Span) -> Span:
        """The span covering self and other (same source)."""
        return Span(self.source, min(self.start, other.start), max(self.end, other.end))

    def location(self) -> str:
        return f"{self.source.path}:{self.line}:{self.column}"

    def __repr__(self) -> str:
        return f"<{self.location()} {self.text[:30]!r}>"
