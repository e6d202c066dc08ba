"""Static analysis of a checked model: MACs, memory, receptive fields, the Toeplitz view.

`analyze` is the Python API (`archlang.analyze`); `check`'s table and `--json` use the same
records. Modules: memory (dtypes, peak, training estimate), receptive_field, toeplitz,
report (records, totals, HTML).
"""
from __future__ import annotations

from .memory import DTYPES, dtype_bytes
from .receptive_field import RF, receptive_fields
from .report import Analysis, LayerRecord, Totals, analyze_report
from .toeplitz import toeplitz


def analyze(path_or_text, model: str | None = None, batch: int = 1, dtype: str = "fp32") -> Analysis:
    """Analyse one model of a spec (a file or text): per-layer records and totals.

    `model` picks a model by name (default: the first). Raises SpecError when the spec has
    errors, ValueError for an unknown dtype or a batch below 1.
    """
    from ..api import checked
    dtype_bytes(dtype)                 # fail on a bad dtype before reading the spec
    return analyze_report(checked(path_or_text, model), batch=batch, dtype=dtype)


__all__ = ["Analysis", "DTYPES", "LayerRecord", "RF", "Totals", "analyze", "analyze_report",
           "receptive_fields", "toeplitz"]
