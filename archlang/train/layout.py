"""Spec shapes (W×H×C, no batch) ↔ the PyTorch shapes of a model's inputs (C×H×W, no batch).

A model's inputs are channels first (layers/layout.py, the one owner of the rule): this
module applies it to data, which knows no layouts but that one.
"""
from ..layers.layout import spec_order, torch_order


def torch_input_shape(spec_shape) -> tuple[int, ...]:
    """The per-sample PyTorch shape of a spec's input shape.

    Specs write shapes the Flux.jl way, fastest-varying axis first: W×H×C for images,
    L×C for sequences, W×H×D×C for volumes, a bare integer for vectors. A model's inputs are
    channels first, C×H×W, C×L, C×D×H×W, F: exactly the reverse (Julia is column-major, so
    both name the same memory order). Examples:
    (28, 28, 1) → (1, 28, 28); (40, 1) → (1, 40); (784,) → (784,); 784 → (784,).
    """
    if isinstance(spec_shape, int):
        spec_shape = (spec_shape,)
    shape = tuple(int(d) for d in spec_shape)
    if not shape or any(d <= 0 for d in shape):
        raise ValueError(f"a shape needs positive sizes, got {spec_shape!r}")
    return torch_order(shape)


def spec_shape_of(torch_shape) -> tuple[int, ...]:
    """Inverse of `torch_input_shape`: (1, 28, 28) → (28, 28, 1)."""
    return spec_order(torch_shape)


def format_shape(spec_shape) -> str:
    """A spec shape as the user writes it: (28, 28, 1) → '28×28×1', (784,) → '784'."""
    if isinstance(spec_shape, int):
        return str(spec_shape)
    return "×".join(str(int(d)) for d in spec_shape)
