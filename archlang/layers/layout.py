"""The spec ↔ PyTorch layout rule: the one place that maps a spec's dims to PyTorch's.

A spec writes a value's dims the Flux way, fastest-varying first and channels last: W×H×C,
L×C, W×H×D×C, or a vector [n]. PyTorch holds the same value, after the batch dim N, in one
of two layouts:

- CHANNELS_FIRST: N×C×H×W, N×C×L, N×C×D×H×W, the reverse of the spec's dims. It is also
  the spec's memory order (Julia is column-major, PyTorch row-major), so `flatten` and
  `reshape` mean the same in both; convolutions, pooling and BatchNorm take it.
- CHANNELS_LAST: N×H×W×C, N×L×C: the spatial dims reversed, channels last. Per-token and
  per-pixel layers take it (nn.Linear, nn.LayerNorm, attention, embeddings, recurrent
  layers), as in torchvision's ViT and Swin and in Hugging Face's transformers.

A vector (N×F) and an integer sequence of token ids (N×L) are the same in both.

Which layout each value of a compiled model takes is chosen by the PyTorch back end
(backends/torch/layout.py); layers declare what they take (`Layer.layout`). A model's
inputs are channels first (as data loaders give images); each output is in the layout of
the layer that made it, which the generated class's docstring states.
"""
from __future__ import annotations

CHANNELS_FIRST = "channels_first"
CHANNELS_LAST = "channels_last"
ANY = "any"
"""Layers that act element by element (activations, dropout, joins): the output takes the
layout of the inputs, and the PyTorch code is the same in both."""
EITHER = "either"
"""Layers that work in both layouts but must know which, to name a dim (Select, Slice, cat,
Chunk) or to lay out a tensor (Parameter): their `torch` method takes the layout."""


def has_layout(dims) -> bool:
    """Whether a value's layout matters: anything with a channel dim besides a position."""
    return len(dims) > 1


def torch_order(dims, layout: str = CHANNELS_FIRST) -> tuple[int, ...]:
    """The per-sample PyTorch shape of a value with spec dims `dims`.

    (28, 28, 1) → (1, 28, 28) channels first, (28, 28, 1) channels last (H×W×C: 28, 28, 1);
    (196, 768) → (768, 196) or (196, 768); (784,) → (784,)."""
    dims = tuple(int(d) for d in dims)
    if not has_layout(dims):
        return dims
    spatial = tuple(reversed(dims[:-1]))
    return (dims[-1], *spatial) if layout != CHANNELS_LAST else (*spatial, dims[-1])


def spec_order(torch_dims, layout: str = CHANNELS_FIRST) -> tuple[int, ...]:
    """The inverse of `torch_order`: (1, 28, 28) → (28, 28, 1)."""
    dims = tuple(int(d) for d in torch_dims)
    if len(dims) < 2:
        return dims
    if layout == CHANNELS_LAST:
        return (*reversed(dims[:-1]), dims[-1])
    return (*reversed(dims[1:]), dims[0])


def torch_dim(ndims: int, d: int, layout: str = CHANNELS_FIRST) -> int:
    """Spec dimension `d` (1-based, W×H×C order) of an `ndims`-dim value → PyTorch's dim
    counting the batch (N is dim 0). Channels first: channels are dim 1 and the spatial dims
    come reversed after it; channels last: the spatial dims reversed, then channels."""
    if ndims < 2:
        return 1
    if layout == CHANNELS_LAST:
        return ndims if d == ndims else ndims - d
    return 1 if d == ndims else ndims - d + 1


def channel_dim(ndims: int, layout: str = CHANNELS_FIRST) -> int:
    """Where a value's channels are in PyTorch (1, or -1 channels last)."""
    return -1 if layout == CHANNELS_LAST and ndims > 1 else 1


def rev(values) -> tuple:
    """Spec order (W, H, D) → PyTorch order (D, H, W): a window's sizes per spatial dim."""
    return tuple(reversed(tuple(values)))


def conversion(ndims: int, to: str) -> tuple[int, ...]:
    """The `permute` dims (N first) that take a value of `ndims` spec dims to layout `to`
    from the other one: (0, 2, 3, 1) channels first → last for an image, (0, 3, 1, 2) back;
    for a sequence both are (0, 2, 1), a transpose of dims 1 and 2."""
    spatial = list(range(2, ndims + 1))
    if to == CHANNELS_LAST:
        return (0, *spatial, 1)
    return (0, ndims, *range(1, ndims))
