"""Static analysis of a checked model: MACs, memory, receptive fields, the Toeplitz view.

`analyze_report` analyses a ModelReport; the Python API's `archlang.analyze` (api.py) reads a
spec and calls it, and `check`'s table and `--json` use the same records. Modules: memory
(dtypes, peak, training estimate), receptive_field, toeplitz, report (records, totals), lti
(the book's 1-D linear time-invariant examples). How an Analysis is shown: archlang/present.
"""
from __future__ import annotations

from .memory import DTYPES, dtype_bytes
from .receptive_field import RF, receptive_fields
from .report import Analysis, LayerRecord, Totals, analyze_report
from .toeplitz import toeplitz


__all__ = ["Analysis", "DTYPES", "LayerRecord", "RF", "Totals", "analyze_report",
           "receptive_fields", "toeplitz"]
