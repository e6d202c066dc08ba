"""How a TrainResult shows itself in Jupyter: the summary, the per-epoch table and the
learning curves (curves.png, inlined)."""
from __future__ import annotations

import base64
import math
from html import escape


def _pct(x: float) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{100 * x:.2f}%"


def train_result_html(result) -> str:
    rows = "".join(
        f"<tr><td>{r['epoch']}</td><td>{r['train_loss']:.4f}</td><td>{_pct(r['train_acc'])}</td>"
        f"<td>{r['val_loss']:.4f}</td><td>{_pct(r['val_acc'])}</td>"
        f"<td>{r.get('lr', math.nan):.3g}</td><td>{r['samples_per_s']:,.0f}</td></tr>"
        for r in result.history)
    picture = ""
    try:
        data = base64.b64encode(result.curves.read_bytes()).decode()
        picture = f"<br><img src='data:image/png;base64,{data}' style='max-width:100%'>"
    except OSError:
        pass
    head = (f"<b>{escape(result.name)}</b>: best validation accuracy "
            f"{_pct(result.best_val_acc)} (epoch {result.best_epoch}), final "
            f"{_pct(result.final_val_acc)}" + (", stopped early" if result.stopped_early else "")
            + f"; outputs in <code>{escape(str(result.out))}</code>")
    return (f"<div>{head}<table><tr><th>epoch</th><th>loss</th><th>acc</th><th>val loss</th>"
            f"<th>val acc</th><th>lr</th><th>samples/s</th></tr>{rows}</table>{picture}</div>")
