"""Generated localisation data (book §5.8.1), its metrics, and the data-source hook."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from archlang.train import TrainError, load_data
from archlang.train.localization import (SHAPES, boxes, boxes_figure, iou, localization, metrics,
                                         shifted_digits)


def test_labels_are_the_books_and_match_the_pixels():
    d = localization(32, count=200, empty=0.3, noise=0.0, seed=5)
    assert d.x.shape == (200, 1, 32, 32) and d.y.shape == (200, 15) and d.y.dtype == torch.float32
    present = d.y[:, 0] == 1
    assert 0.6 < present.float().mean() < 0.8                       # about 1 − empty
    assert (d.y[~present] == 0).all() and (d.x[~present] == 0).all()   # nothing: all zeros
    assert (d.y[present, 5:].sum(1) == 1).all()                     # one class each
    for i in torch.nonzero(present).flatten()[:40].tolist():
        _, x, y, h, w = (float(v) * 32 for v in d.y[i, :5])
        assert h == w and 8 <= h <= 16 and x + w <= 32 and y + h <= 32
        x, y, h, w = int(round(x)), int(round(y)), int(round(h)), int(round(w))
        outside = d.x[i, 0].clone()
        outside[y:y + h, x:x + w] = 0
        assert (outside == 0).all() and d.x[i, 0, y:y + h, x:x + w].sum() > 1   # ink only inside


def test_digit_classes_are_the_glyphs_labels():
    from sklearn.datasets import load_digits
    d = localization(16, count=50, empty=0.0, min_side=8, max_side=8, noise=0.0, seed=1)
    glyphs = load_digits()
    for i in range(10):   # an 8×8 object at scale 1 is a glyph as it is
        x, y = (int(round(float(v) * 16)) for v in d.y[i, 1:3])
        patch = d.x[i, 0, y:y + 8, x:x + 8].numpy()
        label = int(d.y[i, 5:].argmax())
        matches = [k for k in np.flatnonzero(glyphs.target == label)
                   if np.allclose(glyphs.images[k] / 16.0, patch, atol=1e-6)]
        assert matches, i


def test_shapes_and_shifted_digits():
    s = localization(24, count=30, kind="shapes", empty=0.0, seed=2)
    assert s.y.shape == (30, 5 + len(SHAPES)) and (s.y[:, 0] == 1).all()
    c = shifted_digits(28, count=40, seed=3)
    assert c.x.shape == (40, 1, 28, 28) and c.y.dtype == torch.int64 and set(c.y.tolist()) <= set(range(10))
    assert torch.equal(shifted_digits(28, count=40, seed=3).x, c.x)        # seeded
    assert not torch.equal(shifted_digits(28, count=40, seed=4).x, c.x)


@pytest.mark.parametrize("kwargs, message", [
    ({"kind": "cats"}, "unknown kind `cats`"),
    ({"min_side": 20, "max_side": 10}, "sizes must satisfy"),
    ({"empty": 1.0}, "0 ≤ empty < 1"),
])
def test_bad_settings(kwargs, message):
    with pytest.raises(TrainError, match=message):
        localization(32, count=5, **kwargs)


def test_data_source_hook_sizes_to_the_spec():
    d = load_data({"call": "localization", "args": [], "kwargs": {"count": 6}}, (48, 48, 1))
    assert d.x.shape == (6, 1, 48, 48) and d.y.shape == (6, 15)
    flat = load_data({"call": "shifted_digits", "args": [], "kwargs": {"count": 4}}, (784,))
    assert flat.x.shape == (4, 784)


def test_iou_by_hand():
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]])
    b = torch.tensor([[1.0, 1.0, 3.0, 3.0], [0.0, 0.0, 1.0, 1.0], [2.0, 2.0, 3.0, 3.0]])
    assert iou(a, b).tolist() == pytest.approx([1 / 7, 1.0, 0.0])
    # rows [p_c, x, y, h, w]: a box 0.2 wide and 0.1 tall at (0.3, 0.4)
    assert boxes(torch.tensor([[1.0, 0.3, 0.4, 0.1, 0.2]]))[0].tolist() == pytest.approx([0.3, 0.4, 0.5, 0.5])


def test_metrics_by_hand():
    y = torch.tensor([[1, .1, .1, .2, .2, 1, 0, 0],
                      [1, .5, .5, .2, .2, 0, 1, 0],
                      [0, 0, 0, 0, 0, 0, 0, 0],
                      [0, 0, 0, 0, 0, 0, 0, 0]], dtype=torch.float32)
    out = torch.tensor([[.9, .1, .1, .2, .2, .8, .1, .1],      # right, IoU 1
                        [.7, .6, .5, .2, .2, .9, .2, .0],      # wrong class, IoU 1/3
                        [.6, 0, 0, 0, 0, 0, 0, 0],             # a false alarm
                        [.1, 0, 0, 0, 0, 0, 0, 0]])
    m = metrics(out, y)
    assert m["presence"] == 0.75 and m["class"] == 0.5 and m["present"] == 2 and m["images"] == 4
    assert m["iou"] == pytest.approx((1 + 1 / 3) / 2)


def test_boxes_figure_titles_say_what_was_seen():
    d = localization(32, count=4, empty=0.5, seed=0)
    fig = boxes_figure(d.x, d.y, d.y, "t", columns=2)
    titles = [ax.get_title() for ax in fig.axes]
    for ax_title, row in zip(titles, d.y):
        label = str(int(row[5:].argmax())) if row[0] > 0.5 else "none"
        assert ax_title.startswith(f"true {label} · pred {label}")
    assert sum(len(ax.patches) for ax in fig.axes) == 2 * int((d.y[:, 0] > 0.5).sum())
