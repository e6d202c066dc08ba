"""Training on token ids: an `of int` input is fed int64 ids (never cast to float), floats
given for ids are a TrainError, and a run folder remembers its input's dtype."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import archlang  # noqa: E402
from archlang.layers.shape import INT, Shape  # noqa: E402
from archlang.train import TrainError  # noqa: E402
from archlang.train.data import as_dtype, from_python, fit_to_spec  # noqa: E402
from archlang.train.runs import load_run  # noqa: E402

from .helpers import one_thread  # noqa: E402,F401  (autouse)

# Is token 3 in the sequence? A bag of embeddings learns it.
SPEC = "model bag(tokens: 6 of int) = Chain(Embedding(8 => 4; pad=0), GlobalMeanPool(), flatten, Dense(4 => 2))\n"


def token_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 8, size=(n, 6))
    return x, (x == 3).any(axis=1).astype(np.int64)


def test_token_ids_stay_integers():
    x, y = token_data()
    data = fit_to_spec(from_python((x, y), "ids"), Shape((6,), INT))
    assert data.x.dtype == torch.int64 and torch.equal(data.x, torch.from_numpy(x))
    # The same integers for a float input are float32 features, as before dtypes.
    floats = fit_to_spec(from_python((x, y), "ids"), Shape((6,)))
    assert floats.x.dtype == torch.float32 and torch.equal(floats.x, torch.from_numpy(x).float())
    # Bytes are token ids too (byte-level text), and pixels for a float input.
    b = np.array([[0, 255, 7, 1, 2, 3]], np.uint8)
    assert as_dtype(torch.from_numpy(b), Shape((6,), INT), "b").tolist() == [[0, 255, 7, 1, 2, 3]]
    assert as_dtype(torch.from_numpy(b), Shape((6,)), "b")[0, 1] == 1.0


def test_floats_for_token_ids_are_a_train_error():
    x, y = token_data()
    with pytest.raises(TrainError) as err:
        fit_to_spec(from_python((x.astype(np.float32), y), "floats"), Shape((6,), INT))
    assert str(err.value).startswith("floats gives torch.float32 values but the spec's input 6 of int "
                                     "takes token ids (integers)")
    with pytest.raises(TrainError, match="token ids count from 0"):
        fit_to_spec(from_python((x - 1, y), "negative"), Shape((6,), INT))


def test_a_token_model_trains_and_its_run_remembers_int(tmp_path):
    x, y = token_data(200)
    result = archlang.fit(SPEC, data=(x, y), epochs=3, batch=16, lr=0.1, out=str(tmp_path / "r"),
                          progress=False, device="cpu")
    pad_row = result.model.embed1.weight[0]
    assert torch.count_nonzero(pad_row) == 0                      # the padding row never moved
    run = load_run(result.out)
    assert run.input_shape == Shape((6,), INT)
    with torch.no_grad():
        assert run.model(torch.from_numpy(x[:4])).shape == (4, 2)


def test_a_token_id_outside_the_vocabulary_is_named(tmp_path):
    x, y = token_data()
    x[5, 2] = 8                                                  # Embedding(8 => 4): ids 0 … 7
    with pytest.raises(TrainError) as err:
        archlang.fit(SPEC, data=(x, y), epochs=1, batch=16, out=str(tmp_path / "r"),
                     progress=False, device="cpu", val_split=0.0)
    assert "index out of range" in str(err.value)
    assert "the samples hold token ids 0 … 8: each must be below the vocabulary" in str(err.value)


def test_predict_reads_token_ids_from_npy(tmp_path):
    from archlang.train.predict import read_inputs
    x, _ = token_data(3)
    np.save(tmp_path / "ids.npy", x)
    ((name, got),) = read_inputs([tmp_path / "ids.npy"], Shape((6,), INT))
    assert got.dtype == torch.int64 and torch.equal(got, torch.from_numpy(x))
    np.save(tmp_path / "f.npy", x.astype(np.float32))
    with pytest.raises(TrainError, match="takes token ids"):
        read_inputs([tmp_path / "f.npy"], Shape((6,), INT))
