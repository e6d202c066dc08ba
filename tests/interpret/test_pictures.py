"""Filter and activation pictures: the tiling, and one figure per kind of layer."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from archlang.interpret import filters, open_network, show_activations, show_filters  # noqa: E402
from archlang.interpret.pictures import MAX_OUT, filters_figure, mosaic, strip  # noqa: E402
from conftest import FIXTURES, SPECS  # noqa: E402


def test_mosaic_tiles_cells_with_blank_gaps():
    a, b, c = np.full((2, 3), 1.0), np.full((2, 3), 2.0), np.full((2, 3), 3.0)
    m = mosaic([[a, b], [c]])
    assert m.shape == (5, 7)
    assert (m[0:2, 0:3] == 1).all() and (m[0:2, 4:7] == 2).all() and (m[3:5, 0:3] == 3).all()
    assert np.isnan(m[2]).all() and np.isnan(m[:, 3]).all() and np.isnan(m[3:5, 4:7]).all()
    assert strip([a, b]).shape == (2, 7)


def test_a_large_layer_shows_its_first_channels_and_says_so():
    w = np.random.default_rng(0).normal(size=(64, 64, 3, 3))
    fig = filters_figure(w, "big")
    title = fig.axes[0].get_title()
    assert f"first {MAX_OUT} of 64 output channels" in title and "first 16 of 64 input channels" in title
    image = fig.axes[0].images[0].get_array()
    assert image.shape == (MAX_OUT * 4 - 1, 16 * 4 - 1)
    assert image.max() == pytest.approx(np.abs(w[:MAX_OUT, :16]).max())   # one symmetric scale
    lo, hi = fig.axes[0].images[0].get_clim()
    assert lo == -hi


@pytest.mark.parametrize("spec, layer, kind", [
    ("interpret/conv1d.arch", 1, "lines"),          # 1 input channel: a line per kernel
    ("interpret/conv1d.arch", 3, "grid"),           # 8 input channels: 8×3 maps per kernel
    ("interpret/conv3d.arch", 1, "grid"),
    ("interpret/rgb.arch", 1, "grid"),
])
def test_filter_pictures_for_1d_2d_3d(tmp_path, spec, layer, kind):
    net = open_network(FIXTURES / spec)
    out = show_filters(net, tmp_path / "f.png", layer)
    img = mpimg.imread(out)
    assert img.shape[0] > 150 and img.shape[1] > 150
    _, w = filters(net, layer)
    fig = filters_figure(w, "t")
    if kind == "lines":      # one plot per output channel, one line per input channel
        plots = [ax for ax in fig.axes if ax.lines]
        assert len(plots) == w.shape[0] and all(len(ax.lines) == w.shape[1] + 1 for ax in plots)
    else:                    # one tiled image (and its colour bar)
        assert len(fig.axes[0].images) == 1 and len(fig.axes) == 2


def test_a_3d_filter_cell_holds_its_depth_slices():
    w = np.arange(2 * 1 * 3 * 2 * 2, dtype=float).reshape(2, 1, 3, 2, 2)
    fig = filters_figure(w, "volume")
    image = fig.axes[0].images[0].get_array()
    # two output channels side by side, each 3 slices of 2×2 with gaps: 2 × (3·2 + 2) + 1 wide
    assert image.shape == (2, 2 * 8 + 1)
    assert np.array_equal(image[:, 0:2], w[0, 0, 0]) and np.array_equal(image[:, 6:8], w[0, 0, 2])
    assert np.array_equal(image[:, 9:11], w[1, 0, 0])


@pytest.mark.parametrize("spec, layer, x_shape", [
    ("book/model2.arch", 3, (1, 1, 28, 28)),
    ("interpret/conv1d.arch", 1, (1, 1, 40)),
    ("interpret/conv3d.arch", 2, (1, 2, 8, 12, 12)),
    ("book/model2.arch", 6, (1, 1, 28, 28)),           # a vector: the dense layer's 10 outputs
])
def test_activation_pictures(tmp_path, spec, layer, x_shape):
    root = SPECS if spec.startswith("book") else FIXTURES
    net = open_network(root / spec)
    x = torch.rand(x_shape, generator=torch.Generator().manual_seed(0))
    out = show_activations(net, tmp_path / "a.png", layer, x=x)
    assert mpimg.imread(out).shape[0] > 150
