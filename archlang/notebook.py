"""Jupyter: `%load_ext archlang` gives the `%%arch` cell magic.

    %%arch [--model NAME] [--as VAR]
    model model2(x: 28×28×1) = Chain(Conv((5, 5), 1 => 8, relu), MaxPool((2, 2)), ...)

checks the cell and shows every model's table and drawing, or the diagnostics (rustc-style,
as `archlang check` prints them). `--as VAR` keeps the CheckResult in the notebook as VAR.
Imports in a cell resolve beside the notebook's working directory. IPython is imported only
when the extension is loaded.
"""
from __future__ import annotations

import html
import shlex

from .analysis import analyze_report
from .check import check_source
from .present.render import render_text
from .source import Source


class CellResult:
    """What a `%%arch` cell shows: rendered by Jupyter through `_repr_html_`."""

    def __init__(self, result, model: str | None = None):
        self.result = result
        self.model = model

    def _repr_html_(self) -> str:
        parts = []
        if self.result.diagnostics:
            text = "\n\n".join(render_text(d) for d in self.result.diagnostics)
            colour = "#e03131" if not self.result.ok else "#f08c00"
            parts.append(f'<pre style="border-left:4px solid {colour};padding:6px 10px;'
                         f'background:#fff5f5">{html.escape(text)}</pre>')
        for m in self.result.models:
            if self.model and m.name != self.model or not m.ok:
                continue
            # The analysis's view holds the table and, folded, the drawing: shown open here.
            parts.append(analyze_report(m)._repr_html_().replace("<details>", "<details open>", 1))
        if not parts:
            parts.append("<p>no model in this cell</p>")
        return "\n".join(parts)

    def __repr__(self) -> str:
        if not self.result.ok:
            return "\n\n".join(str(d) for d in self.result.diagnostics)
        return "\n\n".join(f"{m.name}: {m.input_shape} → {m.output_shape}, {m.params:,} params"
                           for m in self.result.models) or "no model"


def arch_magic(line: str, cell: str, namespace: dict | None = None) -> CellResult:
    """The `%%arch` magic: check `cell`; options in `line` (--model NAME, --as VAR)."""
    words = shlex.split(line)
    names = {"--model": "model", "-m": "model", "--as": "as"}
    options = {}
    while words:
        flag = words.pop(0)
        if flag in names and words:
            options[names[flag]] = words.pop(0)
        else:
            raise ValueError(f"%%arch: unknown option {flag!r}; use --model NAME or --as VAR")
    result = check_source(Source("<cell>", cell))
    if namespace is not None and "as" in options:
        namespace[options["as"]] = result
    return CellResult(result, options.get("model"))


def load_ipython_extension(ipython) -> None:
    """Register `%%arch` with IPython (`%load_ext archlang`)."""
    def arch(line, cell):
        return arch_magic(line, cell, ipython.user_ns)
    ipython.register_magic_function(arch, magic_kind="cell", magic_name="arch")
