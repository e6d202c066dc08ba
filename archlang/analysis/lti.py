"""Book §5.1 as code: convolution in LTI systems, in probability and in polynomial products.

Pure Python over sequences, so exact numbers (`fractions.Fraction`) stay exact: the book's
p_Z(2) = 1/24 comes out as Fraction(1, 24), not 0.041666… . Sequences index from 0 unless
a function says otherwise; a probability mass function is a dict {value: probability}.

    >>> from fractions import Fraction as F
    >>> convolve([1, 2], [1, 1, 1])
    [1, 3, 3, 2]
    >>> pmf_of_sum({1: F(1, 4), 2: F(1, 2), 3: F(1, 4)}, {k: F(1, 6) for k in range(1, 7)})[2]
    Fraction(1, 24)
"""
from __future__ import annotations

from typing import Callable, Sequence


def convolve(x: Sequence, h: Sequence) -> list:
    """The full convolution (x ⋆ h)(t) = Σ_τ x(τ)·h(t − τ), t = 0 … len(x)+len(h)−2 (§5.1.1):
    "flip, shift and add". It is the coefficient list of the product of the polynomials
    whose coefficients are x and h (§5.1.3), and it commutes: convolve(x, h) == convolve(h, x)."""
    if not x or not h:
        raise ValueError("both sequences must be non-empty")
    zero = 0 * x[0] * h[0]
    return [sum((x[tau] * h[t - tau] for tau in range(len(x)) if 0 <= t - tau < len(h)), zero)
            for t in range(len(x) + len(h) - 1)]


def correlate(x: Sequence, h: Sequence) -> list:
    """x ⋆̃ h (t) = Σ_τ x(τ)·h(τ − t) for every t where the two overlap, t = −(len(h)−1) …
    len(x)−1: the book's "correlation", the convolution with h reversed. It does not commute
    (correlate(h, x) is correlate(x, h) reversed). Neural-network "convolutions" compute this."""
    return convolve(x, list(reversed(h)))


def sliding(x: Sequence, h: Sequence, padding: int | tuple[int, int] = 0, stride: int = 1) -> list:
    """The book's §5.3.1 pictures: pad x with zeros, slide h over it `stride` steps at a time
    and take the inner product at each place (h not flipped, as a network layer does).
    Output length (n_x + P_start + P_end − n_h) // S + 1, see `output_size`."""
    lo, hi = (padding, padding) if isinstance(padding, int) else padding
    if min(lo, hi) < 0 or stride < 1:
        raise ValueError("padding must be ≥ 0 and stride ≥ 1")
    zero = 0 * x[0]
    padded = [zero] * lo + list(x) + [zero] * hi
    count = output_size(len(x), len(h), (lo, hi), stride)
    return [sum((h[j] * padded[i * stride + j] for j in range(len(h))), 0 * zero)
            for i in range(count)]


def output_size(n_x: int, n_h: int, padding: int | tuple[int, int] = 0, stride: int = 1) -> int:
    """The book's key formula (§5.3.1): (n_x + 2P − n_h) / S + 1, with P_start + P_end in
    place of 2P for uneven padding; a stride that does not divide rounds down (PyTorch's and
    Flux's rule). Raises ValueError when the filter does not fit the padded signal."""
    lo, hi = (padding, padding) if isinstance(padding, int) else padding
    span = n_x + lo + hi - n_h
    if span < 0:
        raise ValueError(f"a filter of {n_h} does not fit a signal of {n_x} padded by ({lo}, {hi})")
    return span // stride + 1


def impulse(length: int, at: int = 0) -> list[int]:
    """δ(t − at) for t = 0 … length−1: 1 at `at`, 0 elsewhere."""
    return [1 if t == at else 0 for t in range(length)]


def impulse_response(system: Callable[[list], list], length: int) -> list:
    """h = O(δ): what the system does to a unit impulse at t = 0 (§5.1.1). For an LTI
    system this one response determines everything: O(x) == convolve(x, h) (truncated to
    the system's output length)."""
    return list(system(impulse(length)))


def pmf_of_sum(p_x: dict, p_y: dict) -> dict:
    """The distribution of Z = X + Y for independent integer-valued X and Y (§5.1.2):
    p_Z(t) = Σ_τ p_Y(τ)·p_X(t − τ) = (p_Y ⋆ p_X)(t), over t from min X + min Y to
    max X + max Y. Probabilities are kept as given (Fractions stay exact)."""
    if not p_x or not p_y:
        raise ValueError("both distributions need at least one value")
    lo_x, lo_y = min(p_x), min(p_y)
    dense_x = [p_x.get(v, 0) for v in range(lo_x, max(p_x) + 1)]
    dense_y = [p_y.get(v, 0) for v in range(lo_y, max(p_y) + 1)]
    return {lo_x + lo_y + t: p for t, p in enumerate(convolve(dense_y, dense_x))}


def polynomial_product(x: Sequence, y: Sequence) -> list:
    """Coefficients z_0 … z_{m+n} of z(t) = x(t)·y(t), with x(t) = Σ x_i tⁱ and y(t) = Σ y_j tʲ:
    z_t = Σ_{i+j=t} x_i·y_j (§5.1.3), i.e. convolve(x, y)."""
    return convolve(x, y)


def toeplitz_matrix(x: Sequence, n: int) -> list[list]:
    """T(x) of §5.1.3 as nested lists (exact entries): the (len(x)+n−1)×n matrix with
    T[t][j] = x[t − j], so that T(x)·y == convolve(x, y) for any y of length n. For x of
    length 3 and n = 6 this is the book's 8×6 matrix. (`archlang.toeplitz` is the numpy
    version with padding and stride.)"""
    zero = 0 * x[0]
    return [[x[t - j] if 0 <= t - j < len(x) else zero for j in range(n)]
            for t in range(len(x) + n - 1)]


def matvec(T: Sequence[Sequence], v: Sequence) -> list:
    """T·v for nested lists, exact for Fractions."""
    return [sum((a * b for a, b in zip(row, v)), 0 * v[0]) for row in T]
