"""Inner-layer interpretation (book §5.7): learned filters and activation maps.

Layers are named by `archlang check`'s row numbers. From Python:

    from archlang import interpret
    net = interpret.open_network("runs/model2", spec="specs/book/model2.arch")
    row, w = interpret.filters(net)                   # the first convolution: 8×1×5×5
    row, a = interpret.activations(net, layer=2, index=0)
    interpret.show_filters(net, "filters.png")
    interpret.show_activations(net, "maps.png", layer=1, input="digit.png")

`archlang show filters|activations RUN` is the same from the command line.
"""
from __future__ import annotations

from pathlib import Path

from .errors import InterpretError
from .network import Network, load_input, open_network
from .rows import RowMap, row_values, weights_of

__all__ = ["InterpretError", "Network", "RowMap", "activations", "filters", "load_input",
           "open_network", "row_values", "show_activations", "show_filters", "weights_of"]


def _network(net, spec=None, model=None) -> Network:
    return net if isinstance(net, Network) else open_network(net, spec=spec, model=model)


def default_layer(net: Network) -> int:
    """The first convolution row, else row 1."""
    convs = net.rows.conv_rows()
    return convs[0].index if convs else 1


def filters(net, layer: int | None = None, *, spec=None, model=None):
    """(LayerInfo, weights) of convolution row `layer` (default: the first one) as a numpy
    array output channels × input channels × kernel (PyTorch's order; a transposed
    convolution's in/out axes are swapped to match). `net`: a Network or what
    `open_network` opens."""
    net = _network(net, spec, model)
    info, w = weights_of(net.rows, net.module, default_layer(net) if layer is None else layer)
    if info.layer.kind == "ConvTranspose":
        w = w.transpose(0, 1)
    return info, w.cpu().numpy()


def activations(net, x=None, layer: int | None = None, *, input=None, index: int | None = None,
                spec=None, model=None):
    """(LayerInfo, output) of row `layer` (default: the first convolution) for one input, the
    output without the batch axis in PyTorch's order (C×H×W, C×L, C×D×H×W or F). The input
    is `x` (a 1-sample batch in PyTorch layout), else `input` (a file, see load_input), else
    sample `index` of the run's data."""
    net = _network(net, spec, model)
    if x is None:
        x = load_input(net, input, index)
    row = default_layer(net) if layer is None else layer
    info = net.rows.info(row)
    value = row_values(net.rows, net.module, x, [row])[row]
    return info, value[0].detach().cpu().numpy()


def show_filters(net, out, layer: int | None = None, *, spec=None, model=None) -> Path:
    """Draw `filters` to the picture `out` (png, svg or pdf, by its suffix)."""
    from .pictures import filters_figure
    net = _network(net, spec, model)
    info, w = filters(net, layer)
    title = f"{net.name}, row {info.index}: {info.layer} — {_dims(w.shape)} weights"
    return save(filters_figure(w, title), out)


def show_activations(net, out, layer: int | None = None, *, x=None, input=None,
                     index: int | None = None, spec=None, model=None) -> Path:
    """Draw `activations` (beside the input) to the picture `out`."""
    from .pictures import activations_figure
    net = _network(net, spec, model)
    if x is None:
        x = load_input(net, input, index)
    info, value = activations(net, x, layer)
    title = f"{net.name}, row {info.index}: {info.layer} → {info.out}"
    return save(activations_figure(x[0].cpu().numpy(), value, title), out)


def save(fig, out) -> Path:
    """Write a figure to `out` (its format from the suffix) and close it; InterpretError
    if it cannot be written."""
    import matplotlib.pyplot as plt
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=110, bbox_inches="tight")
    except ValueError as err:      # an unknown picture format
        raise InterpretError(f"cannot write {out}: {err}", "name a .png, .svg or .pdf file") from None
    except OSError as err:
        raise InterpretError(f"cannot write {out}: {err.strerror or err}") from None
    finally:
        plt.close(fig)
    return out


def _dims(shape) -> str:
    return "×".join(str(d) for d in shape)

