"""Presentation: how archlang's results look, on a terminal, in JSON and in a notebook.

This package sits ABOVE the core (tests/test_layering.py): check.py's CheckResult and
ModelReport, analysis's Analysis and diagnostics' Diagnostic hold data and never import
from here. Instead, importing this package installs their views on them (archlang/__init__
imports it, so every user of archlang sees them):

    str(diagnostic), SpecError's message     render.render_text (rustc-style text)
    SpecError in IPython (_render_traceback_) the same text, in colour
    analysis.table(columns, depth), str()     table.analysis_table (check's per-layer table)
    _repr_html_ / _repr_svg_ in notebooks     html.py, imported on the first display
    str(diff) (archlang.diff's Diff)          diffview.render_diff, imported on first use

Modules: render.py (Diagnostic → terminal text and JSON), table.py (check's per-layer table:
rows, columns, aligned text), html.py (notebook HTML), diffview.py (`archlang diff`'s table).
"""
from __future__ import annotations

from ..analysis.diff import Diff
from ..analysis.report import Analysis
from ..check import CheckResult, ModelReport
from ..diagnostics import Diagnostic, SpecError
from .render import render_text
from .table import analysis_table


def _html():
    # Imported on the first notebook display: a command never pays for HTML (or drawing).
    from . import html
    return html


def _diff_text(diff: Diff) -> str:
    # Imported on first use: checking a spec never shows a comparison.
    from .diffview import render_diff
    return render_diff(diff)


def _render_traceback_(error: SpecError) -> list[str]:
    """IPython/Jupyter show this instead of a traceback through archlang's internals."""
    return [render_text(d, colour=True) + "\n" for d in error.diagnostics]


def _result_html(result: CheckResult) -> str:
    return _html().result_html(result)


def _report_html(report: ModelReport) -> str:
    return _html().report_html(report)


def _analysis_html(analysis: Analysis) -> str:
    return _html().analysis_html(analysis)


def _analysis_svg(analysis: Analysis) -> str | None:
    return _html().analysis_svg(analysis)


Diagnostic.__str__ = render_text
SpecError._render_traceback_ = _render_traceback_
Analysis.table = analysis_table
Analysis.__str__ = analysis_table
Analysis._repr_html_ = _analysis_html
Analysis._repr_svg_ = _analysis_svg
ModelReport._repr_html_ = _report_html
CheckResult._repr_html_ = _result_html
Diff.__str__ = _diff_text
