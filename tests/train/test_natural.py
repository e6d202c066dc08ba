"""archlang/train/natural.py: the sizes a data source's samples have of themselves, bound to a
model's named input sizes (`x: W×H×1`) when `train` is not given them."""
from __future__ import annotations

import functools
import gzip
import struct

import numpy as np
import pytest

import archlang
from archlang.train import TrainError
from archlang.train.idx import idx_dims
from archlang.train.natural import bind_from_data, natural
from conftest import FIXTURES

SPEC = FIXTURES / "train" / "named_sizes.arch"


@functools.cache
def checked():
    return archlang.check(SPEC)


def model(name: str):
    return checked().model(name)


def call(text: str) -> dict:
    """The data source as --data names it."""
    from archlang.train import TrainConfig
    return TrainConfig.from_section({"data": text}).data


def write_idx(path, array):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(gzip.compress(header + array.astype(">u1").tobytes()))


def test_mnist_gives_its_header_size(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((3, 28, 20), np.uint8))
    assert idx_dims(tmp_path / "train-images-idx3-ubyte.gz") == (3, 28, 20)
    bound = bind_from_data(model("cnn"), call(f"mnist({tmp_path})"))
    assert bound.sizes == {"W": 20, "H": 28}            # 28 rows of 20 columns: W×H = 20×28
    assert bound.lines()[0] == "sizes from the data (mnist: 20×28×1 images): W = 20, H = 28"


def test_digits_fixed_or_fitted_to_the_model():
    assert bind_from_data(model("cnn"), call("digits(12)")).sizes == {"W": 12, "H": 12}
    # the embedded digits (no --data) are 8×8, resampled: 8 is valid for cnn (W ≥ 4) ...
    assert bind_from_data(model("cnn"), None).sizes == {"W": 8, "H": 8}
    # ... and for skip8 (multiples of 8); digits(12) is not resampled: outside is E0315 later
    assert bind_from_data(model("skip8"), None).sizes == {"W": 8, "H": 8}
    assert bind_from_data(model("skip8"), call("digits(12)")).sizes == {"W": 12, "H": 12}


def test_a_flexible_source_takes_the_nearest_valid_size():
    bound = bind_from_data(model("skip8"), call("localization"))
    assert bound.sizes == {"W": 32, "H": 32}             # its own 32 is a multiple of 8
    bound = bind_from_data(model("skip8"), call("shifted_digits"))
    assert bound.sizes == {"W": 24, "H": 24}             # 28 → 24 (the smaller on a tie with 32)


def test_csv_columns_fix_a_square_side_only(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("label," + ",".join(f"p{i}" for i in range(64)) + "\n1," + "0," * 63 + "0\n")
    assert natural(call(str(table)), ("S", "S", 1)).flat == 64
    assert bind_from_data(model("square"), call(str(table))).sizes == {"S": 8}
    with pytest.raises(TrainError, match=r"2 sizes \(W, H\) cannot all be read from it") as err:
        bind_from_data(model("cnn"), call(str(table)))
    assert err.value.hint == "give the sizes: --size W=N,H=N"
    # one of them given: the other is the rest of the row
    assert bind_from_data(model("cnn"), call(str(table)), given={"W": 16}).sizes == {"H": 4}


def test_npz_in_either_order(tmp_path):
    for name, x in (("torch.npz", np.zeros((4, 1, 28, 20))),      # N×C×H×W
                    ("spec.npz", np.zeros((4, 20, 28, 1))),       # N×W×H×C (the spec's order)
                    ("grey.npz", np.zeros((4, 28, 20)))):         # N×H×W, no channel axis
        np.savez(tmp_path / name, x=x, y=np.zeros(4, dtype=int))
        assert bind_from_data(model("cnn"), call(str(tmp_path / name))).sizes == \
            {"W": 20, "H": 28}, name


def test_an_image_folder_takes_its_most_common_size(tmp_path):
    from PIL import Image
    for k, (cls, size) in enumerate([("a", (40, 24)), ("a", (40, 24)), ("b", (40, 24)),
                                     ("b", (16, 16))]):
        (tmp_path / cls).mkdir(exist_ok=True)
        Image.new("L", size).save(tmp_path / cls / f"{k}.png")
    bound = bind_from_data(model("cnn"), call(str(tmp_path)))
    assert bound.sizes == {"W": 40, "H": 24}
    assert bound.source == f"{tmp_path.name}: 40×24 images (3 of the 4 read; the others are resized to it)"


def test_text_takes_the_largest_length_of_a_bounded_set():
    bound = bind_from_data(model("lm"), call("kjv"))
    assert bound.sizes == {"T": 24} and bound.source == "kjv, at the model's largest size"
    with pytest.raises(TrainError, match=r"the data \(kjv\) have no size of their own for T, "
                                         r"and the model takes T of any size from 1"):
        bind_from_data(model("convlm"), call("kjv"))


def test_text_classes_take_the_longest_text_within_the_set(tmp_path):
    lines = tmp_path / "l.tsv"
    lines.write_text("1\tshort\n0\t" + "x" * 40 + "\n")
    assert bind_from_data(model("convlm"), call(f"text_classes({lines})")).sizes == {"T": 40}
    assert bind_from_data(model("lm"), call(f"text_classes({lines})")).sizes == {"T": 24}   # cut


def test_fit_binds_from_arrays_and_rejects_a_size_outside_the_set(tmp_path, capsys):
    x = np.random.default_rng(0).random((64, 1, 12, 12)).astype(np.float32)
    y = np.arange(64) % 10
    result = archlang.fit(SPEC, "cnn", data=(x, y), epochs=1, out=str(tmp_path / "r"), progress=True)
    assert "sizes from the data (data: samples of 1×12×12): W = 12, H = 12" in capsys.readouterr().out
    assert len(result.history) == 1
    with pytest.raises(archlang.SpecError) as err:
        archlang.fit(SPEC, "skip8", data=(x, y), epochs=1, out=str(tmp_path / "s"))
    first = err.value.diagnostics[0]
    assert first.code == "E0315" and first.notes[0] == "valid: W ∈ {8, 16, 24, …} (the other sizes at H = 224)"
    assert first.notes[1].startswith("W = 12 comes from the data (data: samples of 1×12×12)")
    result = archlang.fit(SPEC, "skip8", data=(np.zeros((32, 1, 16, 16), np.float32), y[:32]),
                          epochs=1, out=str(tmp_path / "t"), progress=False, sizes={"H": 16, "W": 16})
    assert len(result.history) == 1
