"""The Python API behind `import archlang` (the package re-exports it)."""
from __future__ import annotations

import os
from pathlib import Path

from .check import CheckResult, check_source
from .diagnostics import Diagnostic, SpecError
from .ir.program import read_source
from .source import Source


def as_source(path_or_text: str | os.PathLike) -> Source | Diagnostic:
    """A Path, or a string naming an existing `.arch` file, is read; any other string is spec text."""
    if isinstance(path_or_text, os.PathLike):
        return read_source(path_or_text)
    text = str(path_or_text)
    if "\n" not in text and "(" not in text and (text.endswith(".arch") or Path(text).is_file()):
        return read_source(text)
    return Source("<string>", text)


def check(path_or_text: str | os.PathLike) -> CheckResult:
    """Check a spec (a file or text): every model's shapes and counts, and all diagnostics.

    Never raises for a bad spec: look at `result.ok` and `result.diagnostics`.
    """
    source = as_source(path_or_text)
    if isinstance(source, Diagnostic):
        return CheckResult(str(path_or_text), diagnostics=[source])
    return check_source(source)


def checked(path_or_text, model: str | None = None):
    """The ModelReport of one model, raising SpecError if the file has errors."""
    result = check(path_or_text)
    if not result.ok:
        raise SpecError(result.errors)
    if not result.models:
        raise SpecError([Diagnostic("E0015", "the spec defines no model", None)])
    try:
        return result.model(model)
    except KeyError:
        raise SpecError([Diagnostic("E0016", f"no model named `{model}`; the spec defines "
                                    + ", ".join(m.name for m in result.models), None)]) from None
