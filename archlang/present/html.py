"""HTML for notebooks: how CheckResult and ModelReport show themselves in Jupyter
(`_repr_html_`): the per-layer table of `archlang check` and the diagnostics, not a
dataclass dump. No torch."""
from __future__ import annotations

from html import escape

_STYLE = ("<style>.archlang td,.archlang th{padding:1px 8px;font-family:monospace}"
          ".archlang td.r{text-align:right}.archlang pre{margin:4px 0}</style>")


def report_html(report, depth: int | None = None, style: bool = True) -> str:
    """A model's table (#, layer, output, params) and its totals, as an HTML table."""
    from .table import fmt_int, rows
    model = report.model
    title = f"{model.name}({model.input_name}: {model.input_shape}) → {report.output_shape}"
    if not report.ok:
        return f"<div class='archlang'><b>{escape(title)}</b>: has errors</div>"
    body = []
    for r in rows(report, depth):
        out = str(r.info.out) if r.info is not None and r.info.out is not None else ""
        body.append(f"<tr><td class='r'>{'' if r.index is None else r.index}</td>"
                    f"<td style='padding-left:{8 + 16 * r.depth}px'>{escape(r.label)}</td>"
                    f"<td class='r'>{escape(out)}</td><td class='r'>{fmt_int(r.params)}</td></tr>")
    return ((_STYLE if style else "") + f"<div class='archlang'><b>{escape(title)}</b><table>"
            "<tr><th>#</th><th>layer</th><th>output</th><th>params</th></tr>"
            + "".join(body) + f"</table>total params: {fmt_int(report.params)}</div>")


def result_html(result) -> str:
    """Every model's table, then the diagnostics as `archlang check` prints them."""
    from .render import render_text
    parts = [report_html(m, style=False) for m in result.models]
    if result.diagnostics:
        text = "\n\n".join(render_text(d) for d in result.diagnostics)
        parts.append(f"<div class='archlang'><pre>{escape(text)}</pre></div>")
    if not parts:
        parts.append(f"<div class='archlang'>{escape(str(result.path))}: no models</div>")
    return _STYLE + "".join(parts)
