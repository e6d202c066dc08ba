"""Pictures of learned filters and of activation maps (book §5.7), as matplotlib figures.

Filters use a diverging map centred on 0 (red positive, blue negative) with one scale for
the whole layer, so filters can be compared; activation maps share one scale per picture,
so a dead channel shows as dark. Large layers show their first channels and say so.
"""
from __future__ import annotations

import math

import numpy as np

MAX_OUT = 32          # output channels drawn
MAX_IN = 16           # input channels drawn per output channel
MAX_MAPS = 64         # activation maps drawn
MAX_SLICES = 16       # depth slices of a volume
LINE_CHANNELS = 4     # 1-D filters with at most this many input channels are drawn as lines


def _plt():
    import matplotlib
    matplotlib.use("Agg")          # files only; never needs a display
    import matplotlib.pyplot as plt
    return plt


def mosaic(cells: list[list[np.ndarray]], gap: int = 1) -> np.ndarray:
    """Cells (rows of equal-sized 2-D arrays) tiled into one array, NaN between them (drawn
    blank). Every cell of a row must have the same height, every column the same width."""
    h = max(c.shape[0] for row in cells for c in row)
    w = max(c.shape[1] for row in cells for c in row)
    ncols = max(len(row) for row in cells)
    out = np.full((len(cells) * (h + gap) - gap, ncols * (w + gap) - gap), np.nan)
    for r, row in enumerate(cells):
        for c, cell in enumerate(row):
            out[r * (h + gap):r * (h + gap) + cell.shape[0],
                c * (w + gap):c * (w + gap) + cell.shape[1]] = cell
    return out


def strip(slices, gap: int = 1) -> np.ndarray:
    """2-D slices side by side (a volume's depth slices), NaN between them."""
    return mosaic([list(slices)], gap)


def _size(image: np.ndarray, extra_w: float) -> tuple[float, float]:
    """Figure inches for a mosaic: about 0.12 in per pixel, 4–12 in wide, plus `extra_w`
    for a colour bar and side panels; the height follows the mosaic's aspect."""
    width = min(12.0, max(4.0, image.shape[1] * 0.12))
    height = min(18.0, width * image.shape[0] / image.shape[1] + 1.0)
    return width + extra_w, height


def _grid(n: int) -> tuple[int, int]:
    cols = math.ceil(math.sqrt(n))
    return math.ceil(n / cols), cols


def _square(cells: list, prefix: str = "") -> tuple[list[list], list[list[str]]]:
    """Cells in a near-square grid, row by row, with their 1-based numbers as labels."""
    rows, cols = _grid(len(cells))
    grid = [cells[r * cols:(r + 1) * cols] for r in range(rows)]
    return grid, [[f"{prefix}{r * cols + c + 1}" for c in range(len(g))] for r, g in enumerate(grid)]


def _more(shown: int, total: int, what: str) -> str:
    return f"; first {shown} of {total} {what}" if shown < total else ""


def filters_figure(weight: np.ndarray, title: str):
    """The kernels of a convolution, weight O×I×k (1-D), O×I×kh×kw (2-D) or O×I×kd×kh×kw
    (3-D), as one figure: a cell per output channel (and per input channel where there are
    several); 1-D kernels with few input channels as line plots, 3-D ones as depth slices."""
    plt = _plt()
    w = np.asarray(weight, dtype=np.float64)
    n_out, n_in, dims = w.shape[0], w.shape[1], w.ndim - 2
    shown_out = min(n_out, MAX_OUT)
    note = _more(shown_out, n_out, "output channels")
    if dims == 1 and n_in <= LINE_CHANNELS:
        return _line_filters(w[:shown_out], title + note)
    shown_in = min(n_in, MAX_IN if dims < 3 else 4)
    note += _more(shown_in, n_in, "input channels")
    if dims == 1:                                   # many input channels: I×k heat maps
        grid, labels = _square([w[o] for o in range(shown_out)], "out ")
        xlabel, ylabel = "each cell: input channels (rows) × kernel positions", ""
    elif n_in == 1:
        grid, labels = _square([w[o, 0] if dims == 2 else strip(w[o, 0, :MAX_SLICES])
                                for o in range(shown_out)])
        xlabel = "output channels" + (" (each: depth slices left to right)" if dims == 3 else "")
        ylabel = ""
    else:                                           # rows: output channels, columns: inputs
        grid = [[w[o, i] if dims == 2 else strip(w[o, i, :MAX_SLICES]) for i in range(shown_in)]
                for o in range(shown_out)]
        labels = None
        xlabel = "input channel" + (" (each: depth slices left to right)" if dims == 3 else "")
        ylabel = "output channel"
    image = mosaic(grid)
    limit = float(np.nanmax(np.abs(image))) or 1.0
    cell_h, cell_w = grid[0][0].shape
    fig, ax = plt.subplots(figsize=_size(image, extra_w=1.8), layout="constrained")
    im = ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    if labels is None:
        ax.set_xticks([i * (cell_w + 1) + (cell_w - 1) / 2 for i in range(len(grid[0]))])
        ax.set_xticklabels([str(i + 1) for i in range(len(grid[0]))], fontsize=7)
        ax.set_yticks([o * (cell_h + 1) + (cell_h - 1) / 2 for o in range(len(grid))])
        ax.set_yticklabels([str(o + 1) for o in range(len(grid))], fontsize=7)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
        for r, row in enumerate(labels):
            for c, text in enumerate(row):
                ax.text(c * (cell_w + 1) + (cell_w - 1) / 2, r * (cell_h + 1) - 0.6, text,
                        ha="center", va="bottom", fontsize=6)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(title + note, fontsize=9, pad=14 if labels is not None else 6)
    fig.colorbar(im, ax=ax, shrink=0.8, label="weight")
    return fig


def _line_filters(w: np.ndarray, title: str):
    plt = _plt()
    rows, cols = _grid(len(w))
    fig, axes = plt.subplots(rows, cols, figsize=(min(16, 2.2 * cols + 0.5), 1.7 * rows + 0.8),
                             sharex=True, sharey=True, squeeze=False)
    positions = np.arange(1, w.shape[2] + 1)
    for o, ax in enumerate(axes.flat):
        if o >= len(w):
            ax.axis("off")
            continue
        for i in range(w.shape[1]):
            ax.plot(positions, w[o, i], "o-", ms=3, label=f"input channel {i + 1}")
        ax.axhline(0, color="0.6", lw=0.6)
        ax.set_title(f"out {o + 1}", fontsize=8)
        ax.tick_params(labelsize=7)
    if w.shape[1] > 1:
        axes.flat[0].legend(fontsize=6)
    fig.supxlabel("kernel position", fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def activations_figure(x: np.ndarray, value: np.ndarray, title: str):
    """The input x (C×…) beside the output `value` of one layer for it (C×H×W maps,
    C×L sequences, C×D×H×W volumes, or a vector F)."""
    plt = _plt()
    value = np.asarray(value, dtype=np.float64)
    if value.ndim == 1:
        fig, (ax_in, ax) = plt.subplots(1, 2, figsize=(11, 3.5), width_ratios=(1, 3))
        _show_input(ax_in, x)
        ax.bar(np.arange(1, len(value) + 1), value, color="C0")
        ax.set_xlabel("unit")
        ax.set_title(title, fontsize=9)
        fig.tight_layout()
        return fig
    n = value.shape[0]
    shown = min(n, MAX_MAPS)
    title += _more(shown, n, "channels")
    if value.ndim == 2:                                          # C×L
        fig, (ax_in, ax) = plt.subplots(2, 1, figsize=(10, 2 + 0.18 * shown + 1.5),
                                        height_ratios=(1, max(1.0, shown / 8)))
        _show_input(ax_in, x)
        im = ax.imshow(value[:shown], aspect="auto", cmap="viridis", interpolation="nearest",
                       extent=(0.5, value.shape[1] + 0.5, shown + 0.5, 0.5))
        ax.set_xlabel("position")
        ax.set_ylabel("channel")
        ax.set_title(title, fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.9)
        fig.tight_layout()
        return fig
    if value.ndim == 3:                                          # C×H×W
        grid, labels = _square([value[c] for c in range(shown)])
    else:                                                        # C×D×H×W: depth slices
        shown = min(shown, 16)
        grid = [[value[ch, d] for d in range(min(value.shape[1], MAX_SLICES))] for ch in range(shown)]
        labels = [[f"ch {ch + 1}" if d == 0 else "" for d in range(len(g))] for ch, g in enumerate(grid)]
    image = mosaic(grid)
    cell_h, cell_w = grid[0][0].shape
    width, height = _size(image, extra_w=4.5)
    fig, (ax_in, ax) = plt.subplots(1, 2, figsize=(width, max(height, 3.2)), layout="constrained",
                                    width_ratios=(1, max(1.5, width - 4.5) / 2.2))
    _show_input(ax_in, x)
    im = ax.imshow(image, cmap="viridis", interpolation="nearest")
    for r, row in enumerate(labels):
        for c, text in enumerate(row):
            if text:
                ax.text(c * (cell_w + 1) + 0.5, r * (cell_h + 1) + 0.5, text, color="white",
                        ha="left", va="top", fontsize=6)
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(title, fontsize=9)
    if value.ndim == 4:
        ax.set_xlabel("depth slices left to right; one row per channel")
    fig.colorbar(im, ax=ax, shrink=0.8, label="activation")
    return fig


def _show_input(ax, x: np.ndarray) -> None:
    x = np.asarray(x, dtype=np.float64)
    ax.set_title("input", fontsize=9)
    if x.ndim == 1:
        ax.plot(x)
    elif x.ndim == 2:                                            # C×L
        for c in range(min(len(x), 4)):
            ax.plot(np.arange(1, x.shape[1] + 1), x[c], lw=1)
        ax.set_xlim(0.5, x.shape[1] + 0.5)
    else:
        img = x if x.ndim == 3 else x[:, x.shape[1] // 2]           # a volume: its middle slice
        if img.shape[0] == 3:
            lo, hi = img.min(), img.max()
            ax.imshow(((img - lo) / (hi - lo or 1)).transpose(1, 2, 0), interpolation="nearest")
        else:
            ax.imshow(img[0], cmap="gray", interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
