"""A localisation run judged on its validation images (book §5.8.1): presence and class
accuracy, mean IoU, and a picture of predicted against true boxes."""
from __future__ import annotations

from .errors import WrongChoice
from .network import Network


def predict(net: Network, x, batch: int = 512):
    """The module's outputs for samples x (PyTorch layout), in eval mode, without gradients."""
    import torch
    net.module.eval()
    with torch.no_grad():
        return torch.cat([net.module(x[i:i + batch]) for i in range(0, len(x), batch)])


def judge(net: Network, out_png=None, count: int = 18, class_names=None) -> dict:
    """Metrics of `train.localization.metrics` on the run's validation images; with
    `out_png`, also the first `count` of them with their boxes. WrongChoice if the run's
    targets are not [p_c, x, y, h, w, p_1, …] rows."""
    from ..train.localization import boxes_figure, metrics
    val = net.validation()
    if val.y.dim() != 2 or val.y.shape[1] < 5:
        raise WrongChoice(f"{net.source} was not trained for localisation: its targets are "
                          f"{'class labels' if val.y.dim() == 1 else 'not [p_c, x, y, h, w, …] rows'}",
                          "train with data = localization(...) and loss = localization")
    out = predict(net, val.x)
    if out.shape[1] != val.y.shape[1]:
        raise WrongChoice(f"the model gives {out.shape[1]} outputs per image but the targets "
                          f"have {val.y.shape[1]}")
    result = metrics(out, val.y)
    if out_png is not None:
        from . import save
        n = min(count, len(val.x))
        title = (f"{net.name}: presence {100 * result['presence']:.1f}%, class "
                 f"{100 * result['class']:.1f}%, mean IoU {result['iou']:.2f} "
                 f"({result['images']} validation images)")
        save(boxes_figure(val.x[:n], out[:n], val.y[:n], title, class_names), out_png)
    return result
