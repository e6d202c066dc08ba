"""Opening runs and specs, and reading one input for a network."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from archlang.interpret import InterpretError, load_input, open_network  # noqa: E402
from archlang.interpret.errors import WrongChoice  # noqa: E402
from archlang.train import TrainError, digits  # noqa: E402
from conftest import FIXTURES, SPECS  # noqa: E402
from interpret.helpers import fake_run  # noqa: E402

MODEL2 = SPECS / "book/model2.arch"


def test_a_run_folder_gives_back_its_weights(tmp_path):
    run = fake_run(tmp_path / "run", MODEL2, seed=3, data="digits(28)")
    net = open_network(run, spec=MODEL2)
    fresh = open_network(MODEL2, seed=3)
    assert net.name == "model2" and net.input_shape == (28, 28, 1)
    assert net.data == {"call": "digits", "args": [28], "kwargs": {}}
    for a, b in zip(net.module.state_dict().values(), fresh.module.state_dict().values()):
        assert torch.equal(a, b)
    assert not torch.equal(net.module.conv1.weight, open_network(MODEL2, seed=4).module.conv1.weight)


def test_the_spec_is_found_in_the_run_folder_or_must_be_named(tmp_path):
    with_spec = fake_run(tmp_path / "a", MODEL2, copy_spec=True)
    assert open_network(with_spec).name == "model2"
    recorded = fake_run(tmp_path / "c", MODEL2, record_spec=True)
    assert open_network(recorded).name == "model2"
    without = fake_run(tmp_path / "b", MODEL2)
    with pytest.raises(WrongChoice) as err:
        open_network(without)
    assert "does not say which spec it was trained from" in err.value.message
    assert "--spec" in err.value.hint


def test_weights_of_another_model_are_refused(tmp_path):
    run = fake_run(tmp_path / "run", MODEL2)
    with pytest.raises(WrongChoice) as err:
        open_network(run, spec=FIXTURES / "interpret/skip.arch")
    assert err.value.message == ("the run trained model `model2`, which "
                                 f"{FIXTURES / 'interpret/skip.arch'} does not define (it defines skip)")
    five = SPECS.parent / "examples/specs/model2_five.arch"
    with pytest.raises(InterpretError) as err:
        open_network(run, spec=five, model="model2_five")
    assert f"the weights in {run} do not fit model `model2_five`" in err.value.message
    assert "fc1.weight" in err.value.hint


def test_missing_or_corrupt_checkpoints(tmp_path):
    with pytest.raises(TrainError, match="no checkpoint at"):
        open_network(tmp_path, spec=MODEL2)
    (tmp_path / "best.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(TrainError, match="cannot read checkpoint"):
        open_network(tmp_path, spec=MODEL2)


def test_index_picks_a_sample_of_the_runs_data(tmp_path):
    net = open_network(fake_run(tmp_path / "run", MODEL2, data="digits(28)"), spec=MODEL2)
    x = load_input(net, index=7)
    assert x.shape == (1, 1, 28, 28)
    assert torch.equal(x, digits(28).x[7:8])
    with pytest.raises(InterpretError, match="1797 samples; there is no sample 1797"):
        load_input(net, index=1797)


def test_npy_inputs_in_either_order_and_stacks(tmp_path):
    net = open_network(FIXTURES / "interpret/rgb.arch")           # 16×16×3
    img = np.random.default_rng(0).random((3, 16, 16)).astype(np.float32)   # C×H×W
    np.save(tmp_path / "torch.npy", img)
    np.save(tmp_path / "spec.npy", img.transpose(2, 1, 0))                  # W×H×C
    np.save(tmp_path / "stack.npy", np.stack([img * 0, img]))
    for name in ("torch.npy", "spec.npy"):
        assert torch.equal(load_input(net, tmp_path / name)[0], torch.from_numpy(img))
    assert torch.equal(load_input(net, tmp_path / "stack.npy", index=1)[0], torch.from_numpy(img))
    np.save(tmp_path / "bad.npy", np.zeros((5, 7)))
    with pytest.raises(InterpretError, match="holds an array of 5×7, which is neither one input of 16×16×3"):
        load_input(net, tmp_path / "bad.npy")


def test_an_image_file_is_made_grey_and_resized(tmp_path):
    rgb = np.zeros((56, 56, 3), dtype=np.float32)
    rgb[10:40, 20:30] = (1.0, 1.0, 1.0)                     # a white bar on black
    plt.imsave(tmp_path / "bar.png", rgb)
    net = open_network(MODEL2)
    x = load_input(net, tmp_path / "bar.png")
    assert x.shape == (1, 1, 28, 28)
    assert x[0, 0, 12, 12] == pytest.approx(1.0, abs=1e-3)  # inside the bar (halved coordinates)
    assert x[0, 0, 2, 2] == pytest.approx(0.0, abs=1e-3)
    assert x[0, 0].sum() == pytest.approx(15 * 5, rel=0.05)


def test_a_spec_without_data_asks_for_an_input():
    net = open_network(FIXTURES / "interpret/conv1d.arch")
    with pytest.raises(WrongChoice) as err:
        load_input(net)
    assert "--input FILE" in err.value.hint and "40×1" in err.value.hint


def test_token_ids_stay_integers_and_floats_are_refused(tmp_path):
    net = open_network(FIXTURES / "interpret/tokens.arch")      # ids: 12 of int
    ids = np.arange(12, dtype=np.uint8) * 4                      # byte-level ids: not pixels
    np.save(tmp_path / "ids.npy", ids)
    x = load_input(net, tmp_path / "ids.npy")
    assert x.dtype == torch.int64 and x.tolist() == [list(range(0, 48, 4))]
    np.save(tmp_path / "floats.npy", ids.astype(np.float32))
    with pytest.raises(TrainError, match="gives torch.float32 values but the spec's input 12 of int"):
        load_input(net, tmp_path / "floats.npy")
