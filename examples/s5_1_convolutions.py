"""Book §5.1, "Background on convolutions", as code: every number the section gives.

    python examples/s5_1_convolutions.py [--plot docs/img/s5_1_convolutions.png]

Each step asserts the book's figures; the script fails loudly if one is off.
"""
from __future__ import annotations

import argparse
from fractions import Fraction as F
from pathlib import Path

import numpy as np

import archlang
from archlang.analysis.lti import (convolve, correlate, impulse, impulse_response, matvec,
                                   pmf_of_sum, polynomial_product, sliding, toeplitz_matrix)

ROOT = Path(__file__).resolve().parent.parent


def echo(x: list) -> list:
    """An LTI system written as a rule, not as a convolution: each sample plus half the
    previous one plus a quarter of the one before (an echo that fades)."""
    at = lambda t: x[t] if 0 <= t < len(x) else 0   # noqa: E731
    return [at(t) + F(1, 2) * at(t - 1) + F(1, 4) * at(t - 2) for t in range(len(x))]


def lti() -> list:
    """§5.1.1: an LTI system is the convolution of its input with its impulse response."""
    h = impulse_response(echo, 6)
    assert h == [1, F(1, 2), F(1, 4), 0, 0, 0]
    x = [3, -1, 4, 1, -5, 9]
    assert echo(x) == convolve(x, h)[:len(x)]                     # y = x ⋆ h
    # the two properties that make it so
    x2 = [2, 7, 1, 8, 2, 8]
    assert echo([2 * a + 3 * b for a, b in zip(x, x2)]) == \
        [2 * a + 3 * b for a, b in zip(echo(x), echo(x2))]        # linearity
    shifted = [0, 0] + x[:-2]
    assert echo(shifted) == [0, 0] + echo(x)[:-2]                 # time invariance
    # commutativity: x ⋆ h = h ⋆ x; the correlation x ⋆̃ h does not commute
    assert convolve(x, h) == convolve(h, x)
    assert correlate(x, h) != correlate(h, x)
    assert correlate(h, x) == correlate(x, h)[::-1]
    print(f"§5.1.1  impulse response of the echo: h = {[str(v) for v in h[:3]]}; "
          f"O(x) = x ⋆ h for x = {x}: {[str(v) for v in echo(x)]}")
    return h


def dice() -> dict:
    """§5.1.2: X pays 1, 2, 3 with 1/4, 1/2, 1/4; Y is a fair die; p_Z = p_Y ⋆ p_X."""
    p_x = {1: F(1, 4), 2: F(1, 2), 3: F(1, 4)}
    p_y = {k: F(1, 6) for k in range(1, 7)}
    p_z = pmf_of_sum(p_x, p_y)
    assert sorted(p_z) == list(range(2, 10))                      # non-zero for t = 2 … 9
    assert p_z[2] == F(1, 24) and p_z[4] == F(1, 6) and p_z[9] == F(1, 24)   # the book's three
    assert [p_z[t] for t in range(2, 10)] == \
        [F(1, 24), F(1, 8), F(1, 6), F(1, 6), F(1, 6), F(1, 6), F(1, 8), F(1, 24)]  # the exercise
    assert sum(p_z.values()) == 1
    print("§5.1.2  p_Z(t), t = 2…9: " + ", ".join(str(p_z[t]) for t in range(2, 10)))
    return p_z


def polynomials() -> None:
    """§5.1.3: z = x·y for degrees 2 and 5; z = T(x) y with the 8×6 Toeplitz T(x), = T(y) x."""
    x = [2, 3, 5]                      # x_0 + x_1 t + x_2 t²
    y = [1, 4, 1, 5, 9, 2]             # y_0 + … + y_5 t⁵
    z = polynomial_product(x, y)
    assert len(z) == 8                                            # degree 7 = 5 + 2
    assert z[0] == x[0] * y[0] and z[2] == x[0] * y[2] + x[1] * y[1] + x[2] * y[0]
    assert z[7] == x[2] * y[5]
    t_x, t_y = toeplitz_matrix(x, 6), toeplitz_matrix(y, 3)
    assert (len(t_x), len(t_x[0])) == (8, 6) and (len(t_y), len(t_y[0])) == (8, 3)
    assert t_x[3] == [0, x[2], x[1], x[0], 0, 0]                  # the book's row z_3
    assert matvec(t_x, y) == z == matvec(t_y, x)                  # T(x) y = T(y) x = x ⋆ y
    assert np.array_equal(archlang.toeplitz(np.array(x), 6), np.array(t_x))   # the numpy one
    print(f"§5.1.3  ({x}) × ({y}) = {z}; T(x) is {len(t_x)}×{len(t_x[0])}, T(y) {len(t_y)}×{len(t_y[0])}")


def moving_average() -> dict:
    """§5.3.1: x = [1 2 3 1 2 3 1 2 3], h = [1 1 1]/3 with P = 2, 0, 1 and S = 1, 1, 2."""
    x = [1, 2, 3, 1, 2, 3, 1, 2, 3]
    h = [F(1, 3)] * 3
    cases = {(2, 1): [F(1, 3), 1, 2, 2, 2, 2, 2, 2, 2, F(5, 3), 1],
             (0, 1): [2] * 7,
             (1, 2): [1, 2, 2, 2, F(5, 3)]}
    out = {}
    for (pad, stride), expected in cases.items():
        y = sliding(x, h, pad, stride)
        assert y == expected, (pad, stride, y)
        out[(pad, stride)] = y
    assert [len(y) for y in out.values()] == [11, 7, 5]
    assert out[(2, 1)] == convolve(x, h)                          # P = k − 1: the full x ⋆ h
    # the same through PyTorch's conv1d (a network's layer) and through archlang's sizes
    import torch
    xt = torch.tensor([x], dtype=torch.float64).unsqueeze(0)
    ht = torch.full((1, 1, 3), 1 / 3, dtype=torch.float64)
    for (pad, stride), y in out.items():
        yt = torch.nn.functional.conv1d(xt, ht, padding=pad, stride=stride).flatten().tolist()
        assert np.allclose(yt, [float(v) for v in y])
    sizes = {m.name: m.output_shape for m in archlang.check(ROOT / "specs/book/sizes.arch").models}
    assert [sizes[n][0] for n in ("conv_pad2", "conv_pad0", "conv_pad1_stride2")] == [11, 7, 5]
    print("§5.3.1  moving average: " + "; ".join(
        f"P={p}, S={s}: {len(y)} values {[str(v) for v in y]}" for (p, s), y in out.items()))
    return out


def plot(h, p_z, out, path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    x = [3, -1, 4, 1, -5, 9]
    ax = axes[0]
    ax.stem(range(len(x)), x, linefmt="C0-", markerfmt="C0o", basefmt="k-", label="input x")
    ax.stem(np.arange(len(x)) + 0.25, [float(v) for v in echo(x)], linefmt="C1-",
            markerfmt="C1s", basefmt="k-", label="O(x) = x ⋆ h")
    ax.stem(np.arange(3) - 0.25, [float(v) for v in h[:3]], linefmt="C2-", markerfmt="C2^",
            basefmt="k-", label="impulse response h")
    ax.set_title("§5.1.1 an LTI system (echo)")
    ax.set_xlabel("t")
    ax.legend(fontsize=8)
    ax = axes[1]
    ts = sorted(p_z)
    ax.bar(ts, [float(p_z[t]) for t in ts], color="C0")
    for t in ts:
        ax.annotate(str(p_z[t]), (t, float(p_z[t])), ha="center", va="bottom", fontsize=8)
    ax.set_title("§5.1.2 p_Z = p_Y ⋆ p_X")
    ax.set_xlabel("t (total payoff)")
    ax.set_ylabel("P(Z = t)")
    ax.set_ylim(0, 0.2)
    ax = axes[2]
    for (pad, stride), y in out.items():
        ax.plot(range(1, len(y) + 1), [float(v) for v in y], "o-",
                label=f"P={pad}, S={stride}: {len(y)} outputs")
    ax.set_title("§5.3.1 moving average of [1 2 3 1 2 3 1 2 3]")
    ax.set_xlabel("output index")
    ax.set_ylim(0, 2.4)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"wrote {path}")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--plot", metavar="PNG", help="also draw the three results")
    args = p.parse_args(argv)
    h = lti()
    p_z = dice()
    polynomials()
    out = moving_average()
    if args.plot:
        plot(h, p_z, out, args.plot)


if __name__ == "__main__":
    main()
