"""Diagnostics as data: code, message, span, labels, notes and a help line; and a collector.

A Diagnostic is an object before it is text (archlang/present/render.py), so the CLI,
`--json`, an editor and the Python API all show the same thing. Rendering sits above the core:
archlang/present installs `Diagnostic.__str__` (the terminal text) and SpecError's IPython
view when archlang is imported.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from .records import dataclass, field
from .source import Span


@dataclass(frozen=True)
class Label:
    """A secondary span with a short message (rendered `---` under the cause)."""

    span: Span
    message: str = ""


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    span: Span | None
    label: str = ""                      # text beside the primary carets
    labels: tuple[Label, ...] = ()
    notes: tuple[str, ...] = ()
    help: str | None = None
    severity: str = "error"              # "error" | "warning" | "note" (the count of those cut)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def with_note(self, note: str) -> Diagnostic:
        return Diagnostic(self.code, self.message, self.span, self.label, self.labels,
                          self.notes + (note,), self.help, self.severity)


class SpecError(Exception):
    """Raised at the edges (Python API) when a spec has errors; carries every diagnostic."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class Problem(Exception):
    """Internal control flow: a stage raises one Diagnostic where it cannot go on locally."""

    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        super().__init__(diagnostic.message)


@dataclass
class Diagnostics:
    """Collects diagnostics across stages; never raises."""

    items: list[Diagnostic] = field(default_factory=list)
    # Errors only counted, not built: what `dedupe` would key them by → their span. A stage
    # that may find errors by the thousand (shape checking) counts those past MAX_DIAGNOSTICS:
    # 90,000 shape errors built 70 MB of diagnostics to print 200 (docs/performance.md).
    counted: dict[tuple, Span] = field(default_factory=dict)

    def add(self, d: Diagnostic) -> None:
        self.items.append(d)

    def count(self, code: str, message: str, span: Span) -> None:
        """An error past the ones shown: kept as its key and position only."""
        self.counted.setdefault(dedupe_key(code, message, span), span)

    def error(self, code: str, message: str, span: Span | None, **kw) -> Diagnostic:
        d = Diagnostic(code, message, span, **kw)
        self.items.append(d)
        return d

    def warning(self, code: str, message: str, span: Span | None, **kw) -> Diagnostic:
        d = Diagnostic(code, message, span, severity="warning", **kw)
        self.items.append(d)
        return d

    def extend(self, ds) -> None:
        self.items.extend(ds)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.is_error]

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def dedupe_key(code: str, message: str, span: Span | None) -> tuple:
    """What makes two diagnostics one problem: a block called five times with the same
    mistake says it once (check.dedupe), and counts once past the cap (Diagnostics.count)."""
    return (code, message, id(span.source) if span else None, span.start if span else None)


# ---- internal errors ------------------------------------------------------------------------
# The part of the input being worked on, kept up to date by the stages (lowering a term,
# checking a node, generating a model) so that a failure inside archlang can be reported at
# the input that caused it.
_WHERE: ContextVar[Span | None] = ContextVar("archlang_where", default=None)


def working_on(span: Span | None) -> None:
    """Record the input position being worked on (for `internal_error`)."""
    _WHERE.set(span)


# Memory running out deep in a recursive stage (a 2^17-layer graph built through 17 levels of
# blocks) left CPython none to unwind with: each frame's traceback entry failed in turn and it
# aborted ("Cannot recover from MemoryErrors", exit 134). A check holds a reserve, which the
# first handler to see a MemoryError lets go (`release_reserve`), so the rest unwinds to E0206.
_RESERVE: list[bytearray] = []
RESERVE_BYTES = 4 << 20


@contextmanager
def memory_reserve():
    """Hold RESERVE_BYTES while the block runs (a stage may let them go: release_reserve);
    without them where memory is already that short."""
    for size in (RESERVE_BYTES, RESERVE_BYTES >> 4):
        try:
            _RESERVE.append(bytearray(size))
            break
        except MemoryError:
            continue
    try:
        yield
    finally:
        _RESERVE.clear()


def release_reserve() -> None:
    """Let the reserve go: call it where a MemoryError is first caught, then re-raise."""
    _RESERVE.clear()


def internal_error(exc: BaseException, span: Span | None = None) -> Diagnostic:
    """The diagnostic for an exception that escaped a stage: never a bare traceback.

    Exhausting the stack or memory is the input's size, and says so; anything else is a bug
    in archlang, reported as such, at the position being worked on, with where it happened.
    """
    span = span if span is not None else _WHERE.get()
    if isinstance(exc, RecursionError):
        return Diagnostic("E0009", "the spec is nested too deeply to analyse", span,
                          label="while working on this",
                          help="split the network into blocks or shallower expressions")
    if isinstance(exc, MemoryError):
        return Diagnostic("E0206", "the spec needs more memory than this machine has", span,
                          label="while working on this", help="are some sizes or counts too large?")
    import traceback             # only when archlang fails: not paid by every start
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "archlang" in f.filename]
    where = (f"{frames[-1].filename.rsplit('archlang', 1)[-1].lstrip('/')}:{frames[-1].lineno} "
             f"in {frames[-1].name}") if frames else "unknown"
    return Diagnostic(
        "E0999", f"internal error: {type(exc).__name__}: {exc}", span,
        label="archlang failed while working on this",
        notes=(f"raised at archlang/{where}",),
        help="this is a bug in archlang, not necessarily in your spec; please report it to the "
             "archlang maintainers with the spec and this message")
