"""How a drawing looks: one table of colours per family, and the HTML-like labels of DOT.

Pastel fills with a darker border of the same hue; the layer as written in bold, its output
shape and parameter count small and grey beneath it.
"""
from __future__ import annotations

from html import escape

FONT = "Helvetica,Arial,sans-serif"

# A tied weight (`tie=`): the owner's box to the tied layer's, dashed, not an edge of the flow.
TIE = {"style": "dashed", "arrowhead": "none", "constraint": "false", "color": "#a61e4d",
       "fontcolor": "#a61e4d", "fontsize": "9"}

# family → (fill, border, legend text), in the order the legend lists them.
FAMILIES = {
    "input":      ("#ffffff", "#495057", "input / output"),
    "conv":       ("#d0e2ff", "#4a78c2", "convolution"),
    "pool":       ("#d3f2dc", "#3d9a5c", "pooling"),
    "dense":      ("#ffe2c2", "#d07a1f", "dense"),
    "norm":       ("#fff3b5", "#b59a16", "normalisation"),
    "activation": ("#fbd5e3", "#c2537d", "activation"),
    "join":       ("#e6d8f8", "#7b55b8", "join (+, cat)"),
    "upsample":   ("#c5f6fa", "#1098ad", "upsampling"),
    "channel":    ("#f3f0ff", "#9775fa", "channel split / shuffle"),
    "scale":      ("#fff4e6", "#e8590c", "per-channel scale"),
    "attention":  ("#d0ebff", "#1c7ed6", "attention"),
    "param":      ("#fff0f6", "#a61e4d", "learned tensor"),
    "reshape":    ("#e9ecef", "#868e96", "reshape"),
    "regularize": ("#f1f3f5", "#868e96", "dropout"),
    "block":      ("#dde4f7", "#3b4f8c", "folded block"),
    "other":      ("#f1f3f5", "#868e96", "other"),
    "error":      ("#ffc9c9", "#d6336c", "failed check"),
}
FAMILIES["output"] = FAMILIES["input"]

# `archlang diff`'s drawing: a stage's mark → (fill, border, legend text), in the order a box
# holding several marks takes the first (a removed or added stage, then a changed one). The
# stages that are the same are grey, so that the differences are what the eye finds.
DIFF = {
    "removed": ("#ffc9c9", "#e03131", "removed (A only)"),
    "added":   ("#b2f2bb", "#2f9e44", "added (B only)"),
    "changed": ("#ffe8a3", "#f08c00", "changed"),
    "same":    ("#f1f3f5", "#adb5bd", "the same"),
}

GRAPH = dict(fontname=FONT, fontsize="11", nodesep="0.22", ranksep="0.32", pad="0.3",
             newrank="true", bgcolor="white", compound="true")
NODE = dict(shape="box", style="rounded,filled", fontname=FONT, fontsize="11",
            margin="0.14,0.05", penwidth="1.2", height="0.3")
EDGE = dict(color="#868e96", arrowsize="0.6", penwidth="1.1", fontname=FONT, fontsize="9",
            fontcolor="#495057")
# Nested clusters alternate between two light greys so their edges stay visible.
CLUSTER_FILLS = ("#f5f7fa", "#e9edf3")
CLUSTER_BORDER = "#aab4c3"
PNG_DPI = 150                      # dot's default, 96, looks blurred on slides
# Text of one label line, in characters: dot refuses an HTML label over 16,384 characters, and a
# box as wide as a long line is unreadable long before. Longer text is clipped in the middle.
MAX_LINE = 160
MAX_RUNS = 4                       # runs of merged activations listed in one box


def colours(family: str) -> tuple[str, str]:
    fill, border, _ = FAMILIES.get(family, FAMILIES["other"])
    return fill, border


def small(text: str, colour: str = "#5c6773", size: int = 9) -> str:
    return f'<font point-size="{size}" color="{colour}">{escape(text)}</font>'


def count(n: int) -> str:
    return f"{n:,}"


def clip(text: str, limit: int = MAX_LINE) -> str:
    """The text, or its start and end around `…` so that it has `limit` characters."""
    if len(text) <= limit:
        return text
    head = (limit - 1) * 2 // 3
    return text[:head] + "…" + text[len(text) - (limit - 1 - head):]


def runs(names: list[str]) -> list[str]:
    """Merged activations as at most MAX_RUNS runs: [relu] * 2,000 → ["relu × 2,000"]; more
    runs end in "… N more". The length of a chain never lengthens its label."""
    folded: list[list] = []
    for name in names:
        if folded and folded[-1][0] == name:
            folded[-1][1] += 1
        else:
            folded.append([name, 1])
    out = [clip(f"{n} × {k:,}" if k > 1 else n, MAX_LINE // 2) for n, k in folded[:MAX_RUNS]]
    if len(folded) > MAX_RUNS:
        out.append(f"… {sum(k for _, k in folded[MAX_RUNS:]):,} more")
    return out


def html(*lines: str) -> str:
    """A DOT HTML-like label from lines that are already HTML."""
    return "<" + "<br/>".join(lines) + ">"


def legend_table(title: str, families: list[str], table: dict = FAMILIES) -> str:
    """The graph's label: the model's signature and totals, then one swatch per family (a
    key of `table`: FAMILIES, or DIFF for a comparison)."""
    cells = []
    for f in families:
        fill, border, text = table[f]
        cells.append(f'<td bgcolor="{fill}" color="{border}" border="1" style="rounded" '
                     f'cellpadding="3">{small(text, "#343a40")}</td>')
    rows = [f'<tr><td colspan="{max(len(cells), 1)}"><font point-size="13">{title}</font></td></tr>']
    if cells:
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<<table border="0" cellspacing="4" cellpadding="2">{"".join(rows)}</table>>'
