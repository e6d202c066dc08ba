"""The convolution matrix (book §5.1.3): T(h) such that T(h) @ x == np.convolve(h, x)."""
from __future__ import annotations

MODES = ("full", "valid", "same")


def toeplitz(h, n: int, mode: str = "full", stride: int = 1, padding: int | tuple[int, int] | None = None):
    """The matrix of the linear map x ↦ h ⋆ x for inputs x of length `n` (book §5.1.3).

    Row t holds h reversed and shifted so that (T @ x)[t] = Σ_i h[i]·x[t − i]: the book's
    polynomial product z = x·y. With h of length 3 and n = 6, mode "full" gives the book's
    8×6 matrix T(x); `toeplitz(y, 3)` gives its 8×3 T(y).

    mode: "full" (length n + k − 1, as np.convolve), "valid" (n − k + 1, only whole overlaps)
    or "same" (n, centred as np.convolve(..., "same")). `padding` (zeros per side, or (lo, hi))
    overrides the mode's padding; `stride` keeps every stride-th row, as a strided layer does.
    The zero-padded input of the mode is implied: T has one column per input sample.
    """
    import numpy as np          # here, so that `archlang check` does not pay for numpy

    h = np.asarray(h)
    k = h.shape[0]
    if h.ndim != 1 or k == 0:
        raise ValueError("h must be a non-empty 1-D array")
    if n < 1 or stride < 1:
        raise ValueError("n and stride must be positive")
    if padding is None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        total = {"full": 2 * (k - 1), "valid": 0, "same": k - 1}[mode]
        # np.convolve's "same" keeps the centre of the full result, dropping (k − 1)//2 of
        # its first outputs: the low padding is what remains of the full mode's k − 1.
        lo = {"full": k - 1, "valid": 0, "same": (k - 1) - (k - 1) // 2}[mode]
        hi = total - lo
    else:
        lo, hi = (padding, padding) if isinstance(padding, int) else padding
    rows = (n + lo + hi - k) // stride + 1
    if rows < 1:
        raise ValueError(f"a kernel of {k} does not fit an input of {n} padded by ({lo}, {hi})")
    T = np.zeros((rows, n), dtype=np.result_type(h.dtype, np.float64) if h.dtype.kind in "iub" else h.dtype)
    for r in range(rows):
        # Output r covers padded positions r·s … r·s + k − 1, i.e. input positions shifted by lo;
        # the kernel is flipped (a convolution, not a correlation): T[t, t − i] = h[i].
        first = r * stride - lo
        for j in range(k):
            col = first + j
            if 0 <= col < n:
                T[r, col] = h[k - 1 - j]
    return T
