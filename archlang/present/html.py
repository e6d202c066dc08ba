"""HTML for notebooks: how CheckResult, ModelReport and Analysis show themselves in Jupyter
(`_repr_html_`, `_repr_svg_`): the per-layer table of `archlang check` and the diagnostics,
not a dataclass dump. Imported on the first display (archlang/present/__init__.py). No torch."""
from __future__ import annotations

from html import escape

from .render import render_text
from .table import COLUMNS, DEFAULT_COLUMNS, fmt_int, rows, summary_lines

_STYLE = ("<style>.archlang td,.archlang th{padding:1px 8px;font-family:monospace}"
          ".archlang td.r{text-align:right}.archlang pre{margin:4px 0}</style>")


def report_html(report, depth: int | None = None, style: bool = True) -> str:
    """A model's table (#, layer, output, params) and its totals, as an HTML table."""
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
    parts = [report_html(m, style=False) for m in result.models]
    if result.diagnostics:
        text = "\n\n".join(render_text(d) for d in result.diagnostics)
        parts.append(f"<div class='archlang'><pre>{escape(text)}</pre></div>")
    if not parts:
        parts.append(f"<div class='archlang'>{escape(str(result.path))}: no models</div>")
    return _STYLE + "".join(parts)


def analysis_html(analysis) -> str:
    """An Analysis: check's default columns and activation memory, the totals, the drawing."""
    cols = [COLUMNS[c] for c in DEFAULT_COLUMNS + ["memory"]]
    e = escape
    out = [f"<div><strong>{e(analysis.table_title())}</strong>", "<table>", "<thead><tr>"]
    out += [f'<th style="text-align:{"left" if c.align == "<" else "right"}">{e(c.header)}</th>'
            for c in cols]
    out.append("</tr></thead><tbody>")
    for r in rows(analysis.report):
        out.append("<tr>")
        for c in cols:
            text = c.cell(r, analysis)
            style = "left" if c.align == "<" else "right"
            if c.name == "layer":
                text = text.lstrip()
                pad = f"padding-left:{1.2 * r.depth:.1f}em;"
                weight = "font-style:italic;" if r.is_group else ""
                out.append(f'<td style="text-align:left;{pad}{weight}white-space:pre">{e(text)}</td>')
            else:
                out.append(f'<td style="text-align:{style}">{e(text)}</td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    out.append("<pre>" + e("\n".join(summary_lines(analysis.report, analysis))) + "</pre>")
    drawing = analysis_svg(analysis)
    if drawing:
        # Notebooks prefer HTML over SVG, so the drawing also travels inside the HTML view.
        out.append(f"<details><summary>drawing</summary>{drawing}</details>")
    out.append("</div>")
    return "\n".join(out)


def analysis_svg(analysis) -> str | None:
    """The model's drawing for Jupyter; None (no SVG) when Graphviz's `dot` is missing."""
    from ..draw import DotMissing, svg      # the draw package is loaded on the first drawing
    try:
        return svg(analysis.report, collapse=len(analysis.report.infos) > 60)
    except DotMissing:
        return None
