"""The convolution matrix of book §5.1.3."""
from __future__ import annotations

import numpy as np
import pytest

import archlang


def test_the_books_T_of_x():
    x = np.array([2.0, 3.0, 5.0])          # x_0, x_1, x_2
    T = archlang.toeplitz(x, 6)
    assert T.shape == (8, 6)
    expected = np.zeros((8, 6))
    for c in range(6):                     # column c holds x_0, x_1, x_2 from row c down
        expected[c:c + 3, c] = x
    assert np.array_equal(T, expected)


def test_the_books_T_of_y():
    y = np.arange(1.0, 7.0)                # y_0 … y_5
    T = archlang.toeplitz(y, 3)
    assert T.shape == (8, 3)
    assert T[:, 0].tolist() == [1, 2, 3, 4, 5, 6, 0, 0]
    assert T[:, 2].tolist() == [0, 0, 1, 2, 3, 4, 5, 6]
    x = np.array([2.0, 3.0, 5.0])
    # Convolution commutes: T(x) y == T(y) x == x ⋆ y
    assert np.allclose(T @ x, archlang.toeplitz(x, 6) @ y)


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
@pytest.mark.parametrize("k,n", [(1, 1), (2, 7), (3, 6), (4, 9), (5, 5), (6, 11)])
def test_matches_numpy_convolve(mode, k, n):
    rng = np.random.default_rng(k * 100 + n)
    h, x = rng.normal(size=k), rng.normal(size=n)
    assert np.allclose(archlang.toeplitz(h, n, mode) @ x, np.convolve(h, x, mode))


def test_stride_and_padding():
    h, x = np.array([1.0, 2.0, 3.0]), np.arange(10.0)
    full = np.convolve(h, x)
    assert np.allclose(archlang.toeplitz(h, 10, stride=2) @ x, full[::2])
    # padding=1 on each side: the "same" result for an odd kernel
    assert np.allclose(archlang.toeplitz(h, 10, padding=1) @ x, np.convolve(h, x, "same"))
    assert np.allclose(archlang.toeplitz(h, 10, padding=(0, 2)) @ x, full[2:])


def test_errors():
    with pytest.raises(ValueError):
        archlang.toeplitz([1, 2, 3], 2, "valid")
    with pytest.raises(ValueError):
        archlang.toeplitz([1, 2], 4, "circular")
