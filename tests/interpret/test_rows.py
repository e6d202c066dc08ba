"""Check's row numbers in the compiled module: weights and row outputs, PyTorch as oracle."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from archlang.interpret import filters, open_network, row_values
from archlang.interpret.errors import WrongChoice
from conftest import FIXTURES, SPECS


@pytest.fixture(scope="module")
def skip():
    net = open_network(FIXTURES / "interpret/skip.arch")
    net.module.eval()
    for bn in (net.module.bn1, net.module.residual1.bn1):   # non-trivial running statistics
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
    return net


def test_every_row_of_a_residual_network(skip):
    m = skip.module
    x = torch.randn(3, 2, 8, 8, generator=torch.Generator().manual_seed(1))
    values = row_values(skip.rows, m, x, list(range(1, 10)))
    with torch.no_grad():
        r1 = m.conv1(x)
        r2 = F.relu(m.bn1(r1))
        r3 = m.residual1.conv1(r2)
        r4 = m.residual1.bn1(r3)
        r5 = r4 + r2
        r6 = F.relu(r5)
        r7 = m.pool1(r6)
        expected = [r1, r2, r3, r4, r5, r6, r7, r7.flatten(1), m(x)]
    for row, want in enumerate(expected, 1):
        assert torch.equal(values[row], want), row
    assert not torch.equal(values[5], values[6])           # the `+` row is before its relu


def test_a_fused_activation_is_part_of_the_row():
    net = open_network(SPECS / "book/model2.arch")
    x = torch.rand(2, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    got = row_values(net.rows, net.module, x, [1, 2, 5])
    with torch.no_grad():
        r1 = F.relu(net.module.conv1(x))                     # Conv((5, 5), 1 => 8, relu)
    assert torch.equal(got[1], r1) and (got[1] >= 0).all()
    assert torch.equal(got[2], F.max_pool2d(r1, 2))
    assert got[5].shape == (2, 400)


def test_row_values_leave_the_module_as_it_was(skip):
    skip.module.train()
    row_values(skip.rows, skip.module, torch.zeros(1, 2, 8, 8), [2])
    assert skip.module.training
    assert not skip.module.conv1._forward_hooks
    skip.module.eval()


def test_filters_of_conv_rows_and_their_numbering(skip):
    info, w = filters(skip, 3)
    assert str(info.layer) == "Conv((3, 3), 4 => 4, pad=1)"
    assert torch.equal(torch.from_numpy(w), skip.module.residual1.conv1.weight.detach())
    assert filters(skip)[0].index == 1                       # default: the first convolution


def test_transposed_convolution_filters_are_out_by_in():
    net = open_network(FIXTURES / "interpret/rgb.arch")
    info, w = filters(net, 3)
    assert info.layer.kind == "ConvTranspose" and w.shape == (4, 6, 2, 2)
    assert torch.equal(torch.from_numpy(w), net.module.convt1.weight.detach().transpose(0, 1))


@pytest.mark.parametrize("row, message", [
    (2, "row 2 of skip is BatchNorm(4, relu), not a convolution"),
    (10, "skip has no row 10"),
    (0, "skip has no row 0"),
])
def test_wrong_rows_name_the_right_ones(skip, row, message):
    with pytest.raises(WrongChoice) as err:
        filters(skip, row)
    assert err.value.message == message
    assert ("convolution rows: 1 (Conv((3, 3), 2 => 4, pad=1)), 3 (Conv((3, 3), 4 => 4, pad=1))"
            if row == 2 else "rows go from 1 to 9") in err.value.hint
