"""Data sources and fitting them to a spec's input shape."""

import gzip
import struct

import numpy as np
import pytest
import torch

from archlang.train import TrainError, digits, load_data, mnist, mnist1d, npz, torch_input_shape
from archlang.train.data import Dataset, fit_to_spec, split
from archlang.train.idx import read_idx


@pytest.mark.parametrize("spec, torch_shape", [
    ((28, 28, 1), (1, 28, 28)), ((32, 24, 3), (3, 24, 32)), ((40, 1), (1, 40)),
    ((16, 16, 8, 2), (2, 8, 16, 16)), ((784,), (784,)), (784, (784,))])
def test_torch_input_shape(spec, torch_shape):
    assert torch_input_shape(spec) == torch_shape


def test_digits_are_real_and_resampled():
    small, big = digits(), digits(28)
    assert small.x.shape == (1797, 1, 8, 8) and big.x.shape == (1797, 1, 28, 28)
    assert 0 <= big.x.min() and big.x.max() <= 1 and torch.equal(small.y, big.y)
    assert set(small.y.tolist()) == set(range(10))


@pytest.mark.parametrize("spec, shape", [
    ((28, 28, 1), (1, 28, 28)),   # the book's model2
    ((784,), (784,)),             # the book's model1: 28×28 digits, flattened
    ((8, 8, 1), (1, 8, 8)), (64, (64,))])
def test_digits_follow_the_spec(spec, shape):
    data = load_data({"call": "digits", "args": [], "kwargs": {}}, spec)
    assert data.sample_shape == shape


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(TrainError) as err:
        load_data({"call": "digits", "args": [8], "kwargs": {}}, (28, 28, 1))
    assert err.value.message == "digits gives 8×8×1 images but the spec's input is 28×28×1"
    assert "digits(S)" in err.value.hint


def test_unknown_source_suggests_a_name():
    with pytest.raises(TrainError, match="unknown data source `mnsit`") as err:
        load_data({"call": "mnsit", "args": [], "kwargs": {}}, (28, 28, 1))
    assert "mnist" in err.value.hint


def _idx_bytes(array: np.ndarray, type_byte: int) -> bytes:
    """An IDX file written by hand from its specification (the oracle for read_idx)."""
    header = bytes([0, 0, type_byte, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.mark.parametrize("gz", [False, True])
def test_idx_mnist_folder_round_trip(tmp_path, gz):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    for stem, arr in (("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels)):
        raw = _idx_bytes(arr, 0x08)
        (tmp_path / (stem + (".gz" if gz else ""))).write_bytes(gzip.compress(raw) if gz else raw)
    data = mnist(tmp_path)
    assert data.x.shape == (5, 1, 28, 28) and data.y.tolist() == [3, 1, 4, 1, 5]
    assert torch.allclose(data.x[:, 0], torch.from_numpy(images / 255.0).float())


def test_idx_other_types_and_errors(tmp_path):
    floats = np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5
    (tmp_path / "f.idx").write_bytes(_idx_bytes(floats, 0x0D))
    assert np.array_equal(read_idx(tmp_path / "f.idx"), floats)
    shorts = np.array([-300, 2, 30000], dtype=np.int16)
    (tmp_path / "s.idx").write_bytes(_idx_bytes(shorts, 0x0B))
    assert read_idx(tmp_path / "s.idx").tolist() == [-300, 2, 30000]

    (tmp_path / "bad").write_bytes(b"PK\x03\x04junk")
    with pytest.raises(TrainError, match="is not an IDX file"):
        read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(_idx_bytes(floats, 0x0D)[:-3])
    with pytest.raises(TrainError, match="holds 21 data bytes but its header"):
        read_idx(tmp_path / "short")
    with pytest.raises(TrainError, match="has no train-images-idx3-ubyte"):
        mnist(tmp_path)


def test_npz_in_spec_order_torch_order_and_without_channel(tmp_path):
    torch_x = np.random.default_rng(1).random((6, 3, 4, 5), dtype=np.float32)  # N×C×H×W
    spec = (5, 4, 3)                                                               # W×H×C
    y = np.arange(6)
    np.savez(tmp_path / "t.npz", x=torch_x, y=y)
    np.savez(tmp_path / "s.npz", x=torch_x.transpose(0, 3, 2, 1), y=y)  # N×W×H×C, as Julia writes
    a = fit_to_spec(npz(tmp_path / "t.npz"), spec)
    b = fit_to_spec(npz(tmp_path / "s.npz"), spec)
    assert torch.equal(a.x, torch.from_numpy(torch_x)) and torch.equal(b.x, a.x)
    gray = (np.arange(2 * 28 * 28) % 256).astype(np.uint8).reshape(2, 28, 28)
    np.savez(tmp_path / "g.npz", x=gray, y=np.array([0, 1]))
    g = fit_to_spec(npz(tmp_path / "g.npz"), (28, 28, 1))
    assert g.x.shape == (2, 1, 28, 28) and float(g.x.max()) == 1.0
    np.savez(tmp_path / "nox.npz", y=y)
    with pytest.raises(TrainError, match="has no array named x"):
        npz(tmp_path / "nox.npz")


def test_mnist1d_is_local_and_matches_the_package():
    data = fit_to_spec(mnist1d(num_samples=200), (40, 1))
    assert data.x.shape == (200, 1, 40) and set(data.y.tolist()) == set(range(10))
    mnist1d_pkg = pytest.importorskip("mnist1d.data")
    from mnist1d.utils import ObjectView
    from archlang.train.mnist1d import generate
    state = np.random.get_state()
    ref = mnist1d_pkg.make_dataset(ObjectView(mnist1d_pkg.get_dataset_args(as_dict=True)))
    np.random.set_state(state)
    x, y = generate()
    assert np.array_equal(x, np.concatenate([ref["x"], ref["x_test"]]))
    assert np.array_equal(y, np.concatenate([ref["y"], ref["y_test"]]))


def test_split_is_seeded_and_sized():
    data = digits()
    train_a, val_a, test_a = split(data, 0.25, seed=3)
    train_b, val_b, _ = split(data, 0.25, seed=3)
    assert torch.equal(train_a.x, train_b.x) and len(val_a) == round(1797 * 0.25)
    assert test_a is None
    train_c, val_c, _ = split(data, 500, seed=3, train_size=700)  # counts, as in the book's 5,000/5,000
    assert (len(train_c), len(val_c)) == (700, 500)
    with pytest.raises(TrainError, match="leave no training data"):
        split(data, 1797, seed=0)


def test_a_test_split_is_disjoint_and_leaves_validation_unchanged():
    data = Dataset(torch.arange(1000, dtype=torch.float32)[:, None], torch.zeros(1000,
                   dtype=torch.int64), "ids")        # each sample is its own index
    _, val_a, _ = split(data, 0.2, seed=3)
    train, val, test = split(data, 0.2, seed=3, test_split=0.1)
    assert torch.equal(val.x, val_a.x)                 # adding a test split moves no val sample
    assert (len(train), len(val), len(test)) == (700, 200, 100)
    ids = [set(part.x[:, 0].int().tolist()) for part in (train, val, test)]
    assert set().union(*ids) == set(range(1000)) and sum(map(len, ids)) == 1000
