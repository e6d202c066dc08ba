"""The spec ↔ PyTorch layout rule (archlang/layers/layout.py), against PyTorch's own ops."""
import pytest

from archlang.layers.layout import (CHANNELS_FIRST, CHANNELS_LAST, channel_dim, conversion,
                                    spec_order, torch_dim, torch_order)


@pytest.mark.parametrize("dims, first, last", [
    ((28, 28, 1), (1, 28, 28), (28, 28, 1)),
    ((32, 24, 3), (3, 24, 32), (24, 32, 3)),        # W×H×C: H before W in PyTorch
    ((196, 768), (768, 196), (196, 768)),
    ((8, 6, 4, 2), (2, 4, 6, 8), (4, 6, 8, 2)),
    ((784,), (784,), (784,)),
])
def test_torch_order_and_back(dims, first, last):
    assert torch_order(dims) == torch_order(dims, CHANNELS_FIRST) == first
    assert torch_order(dims, CHANNELS_LAST) == last
    assert spec_order(first) == spec_order(last, CHANNELS_LAST) == dims


@pytest.mark.parametrize("dims", [(5, 3), (4, 6, 3), (4, 6, 2, 3)])
def test_torch_dim_names_the_same_axis_in_both_layouts(dims):
    for d in range(1, len(dims) + 1):
        for layout in (CHANNELS_FIRST, CHANNELS_LAST):
            # PyTorch's size at that dim (after N) is the spec's size of dimension d.
            shape = (1, *torch_order(dims, layout))
            assert shape[torch_dim(len(dims), d, layout)] == dims[d - 1], (dims, d, layout)
    assert channel_dim(len(dims), CHANNELS_FIRST) == 1 and channel_dim(len(dims), CHANNELS_LAST) == -1


@pytest.mark.parametrize("dims", [(5, 3), (4, 6, 3), (4, 6, 2, 3)])
def test_conversions_move_a_tensor_between_the_layouts(dims):
    torch = pytest.importorskip("torch")
    x = torch.randn(2, *torch_order(dims))
    last = x.permute(*conversion(len(dims), CHANNELS_LAST))
    assert tuple(last.shape[1:]) == torch_order(dims, CHANNELS_LAST)
    assert torch.equal(last.permute(*conversion(len(dims), CHANNELS_FIRST)), x)
    # The same element: channel c at spatial position p in both (channels moved last).
    assert torch.equal(last, x.movedim(1, -1))
