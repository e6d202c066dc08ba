"""MNIST-1D generated locally: 10 one-dimensional digit templates, randomly padded, scaled,
translated, noised and sheared into length-40 signals.

A line-for-line port of `make_dataset` from the `mnist1d` package (Greydanus & Kobak,
"Scaling down deep learning with MNIST-1D", ICML 2024, arXiv:2011.14439;
github.com/greydanus/mnist1d, mnist1d/data.py and transform.py, Apache-2.0). The package's
`get_dataset` downloads a pickle and writes it to the working folder; this port never
touches the network or disk and draws from its own `RandomState(seed)` (the same stream
as the package's global `np.random.seed(seed)`), so with the default arguments it returns
the package's data set bit for bit (tests/train/test_data.py checks this when it is installed).
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import interp1d
from scipy.ndimage import gaussian_filter

# mnist1d's get_dataset_args(), minus the download url and the train/test split
DEFAULTS = dict(num_samples=5000, template_len=12, padding=(36, 60), scale_coeff=0.4,
                max_translation=48, corr_noise_scale=0.25, iid_noise_scale=2e-2,
                shear_scale=0.75, final_seq_length=40, seed=42)


def templates() -> tuple[np.ndarray, np.ndarray]:
    """The 10 digit templates (10×12, whitened, starting at 0) and their time axis."""
    d = np.asarray([
        [5, 6, 6.5, 6.75, 7, 7, 7, 7, 6.75, 6.5, 6, 5],
        [5, 3, 3, 3.4, 3.8, 4.2, 4.6, 5, 5.4, 5.8, 5, 5],
        [5, 6, 6.5, 6.5, 6, 5.25, 4.75, 4, 3.5, 3.5, 4, 5],
        [5, 6, 6.5, 6.5, 6, 5, 5, 6, 6.5, 6.5, 6, 5],
        [5, 4.4, 3.8, 3.2, 2.6, 2.6, 5, 5, 5, 5, 5, 5],
        [5, 3, 3, 3, 3, 5, 6, 6.5, 6.5, 6, 4.5, 5],
        [5, 4, 3.5, 3.25, 3, 3, 3, 3, 3.25, 3.5, 4, 5],
        [5, 7, 7, 6.6, 6.2, 5.8, 5.4, 5, 4.6, 4.2, 5, 5],
        [5, 4, 3.5, 3.5, 4, 5, 5, 4, 3.5, 3.5, 4, 5],
        [5, 4, 3.5, 3.5, 4, 5, 5, 5, 5, 4.7, 4.3, 5]])
    d -= d.mean(1, keepdims=True)
    d /= d.std(1, keepdims=True)
    d -= d[:, :1]
    return d / 6.0, np.linspace(-5, 5, d.shape[1]) / 6.0


def _interpolate(x: np.ndarray, n: int) -> np.ndarray:
    return interp1d(np.linspace(0, 1, len(x)), x, axis=0, kind="linear")(np.linspace(0, 1, n))


def _transform(x: np.ndarray, rng: np.random.RandomState, a: dict) -> np.ndarray:
    """One random variant of template x (mnist1d.transform.transform, same draw order)."""
    low, high = a["padding"]
    p = low + int(rng.rand() * (high - low + 1))                     # pad
    x = np.concatenate([x + 1e-8, np.zeros(p)])
    x = _interpolate(x, a["template_len"] + high)                    # dilate
    x = x * (1 + a["scale_coeff"] * (rng.rand() - 0.5))              # scale
    k = rng.choice(a["max_translation"])                             # translate
    x = np.concatenate([x[-k:], x[:-k]])
    mask = x != 0                                                    # correlated noise
    x = mask * x + (1 - mask) * gaussian_filter(a["corr_noise_scale"] * rng.randn(*x.shape), 2)
    x = x + a["iid_noise_scale"] * rng.randn(*x.shape)               # iid noise
    x = x - a["shear_scale"] * (rng.rand() - 0.5) * np.linspace(-0.5, 0.5, len(x))  # shear
    return _interpolate(x, a["final_seq_length"])                    # subsample


def generate(**overrides) -> tuple[np.ndarray, np.ndarray]:
    """x: float64 num_samples×final_seq_length (zero mean, unit std), y: int64 labels,
    shuffled; the package's x followed by x_test."""
    a = {**DEFAULTS, **overrides}
    rng = np.random.RandomState(a["seed"])
    xs_t, _ = templates()
    per_class = a["num_samples"] // len(xs_t)
    xs = [_transform(xs_t[label], rng, a) for label in range(len(xs_t)) for _ in range(per_class)]
    ys = [label for label in range(len(xs_t)) for _ in range(per_class)]
    order = rng.permutation(len(ys))
    x = np.stack(xs)[order]
    y = np.asarray(ys, dtype=np.int64)[order]
    return (x - x.mean()) / x.std(), y
