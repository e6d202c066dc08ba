"""Book §5.1 as code (archlang/analysis/lti.py): the book's numbers, numpy and PyTorch as oracles."""
from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest
import torch

from archlang.analysis.lti import (convolve, correlate, impulse_response, matvec, output_size,
                                   pmf_of_sum, polynomial_product, sliding, toeplitz_matrix)


def test_dice_distribution_is_the_books():
    p_x = {1: F(1, 4), 2: F(1, 2), 3: F(1, 4)}
    p_y = {k: F(1, 6) for k in range(1, 7)}
    p_z = pmf_of_sum(p_x, p_y)
    assert p_z == {2: F(1, 24), 3: F(1, 8), 4: F(1, 6), 5: F(1, 6), 6: F(1, 6), 7: F(1, 6),
                   8: F(1, 8), 9: F(1, 24)}


def test_pmf_of_sum_against_enumeration():
    p_x = {-1: F(1, 3), 2: F(2, 3)}
    p_y = {0: F(1, 2), 1: F(1, 4), 5: F(1, 4)}
    brute: dict = {}
    for a, pa in p_x.items():
        for b, pb in p_y.items():
            brute[a + b] = brute.get(a + b, 0) + pa * pb
    got = {t: p for t, p in pmf_of_sum(p_x, p_y).items() if p}
    assert got == brute


@pytest.mark.parametrize("m,n", [(1, 1), (3, 6), (4, 2), (7, 5)])
def test_convolve_is_numpy_convolve_and_commutes(m, n):
    rng = np.random.default_rng(m * 10 + n)
    x, h = rng.integers(-9, 9, m).tolist(), rng.integers(-9, 9, n).tolist()
    assert convolve(x, h) == np.convolve(x, h).tolist() == convolve(h, x)


def test_correlation_is_numpy_correlate_and_does_not_commute():
    x, h = [1, 2, 3, 4], [1, 0, -1]
    assert correlate(x, h) == np.correlate(x, h, "full").tolist()
    assert correlate(h, x) == correlate(x, h)[::-1] != correlate(x, h)


def test_toeplitz_is_the_books_8x6_and_commutes():
    x, y = [F(2), F(3), F(5)], [F(1, 2), 4, 1, 5, 9, 2]
    T = toeplitz_matrix(x, 6)
    assert len(T) == 8 and {len(r) for r in T} == {6}
    assert T[0] == [2, 0, 0, 0, 0, 0] and T[7] == [0, 0, 0, 0, 0, 5]
    assert matvec(T, y) == polynomial_product(x, y) == matvec(toeplitz_matrix(y, 3), x)


def test_impulse_response_determines_an_lti_system():
    def system(x):  # y(t) = 2 x(t) − x(t − 3)
        return [2 * x[t] - (x[t - 3] if t >= 3 else 0) for t in range(len(x))]
    h = impulse_response(system, 5)
    assert h == [2, 0, 0, -1, 0]
    x = [1, 5, -2, 7, 3]
    assert system(x) == convolve(x, h)[:5]


@pytest.mark.parametrize("pad,stride,expected", [
    (2, 1, [F(1, 3), 1, 2, 2, 2, 2, 2, 2, 2, F(5, 3), 1]),
    (0, 1, [2] * 7),
    (1, 2, [1, 2, 2, 2, F(5, 3)]),
])
def test_moving_average_is_the_books_and_pytorchs(pad, stride, expected):
    x = [1, 2, 3, 1, 2, 3, 1, 2, 3]
    y = sliding(x, [F(1, 3)] * 3, pad, stride)
    assert y == expected
    assert len(y) == output_size(9, 3, pad, stride)
    got = torch.nn.functional.conv1d(torch.tensor([[x]], dtype=torch.float64),
                                     torch.full((1, 1, 3), 1 / 3, dtype=torch.float64),
                                     padding=pad, stride=stride).flatten().tolist()
    assert np.allclose(got, [float(v) for v in expected])


def test_output_size_uneven_padding_and_errors():
    assert output_size(9, 3, (2, 0), 1) == 9
    assert output_size(10, 3, 0, 3) == 3        # (10 − 3) / 3 + 1 rounds down
    with pytest.raises(ValueError):
        output_size(2, 5)
    with pytest.raises(ValueError):
        convolve([], [1])
