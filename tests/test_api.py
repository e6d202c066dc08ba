"""The Python API in one place: check, select, fit (compile, draw and analyze have their own)."""
from __future__ import annotations

import pytest

import archlang
from archlang.api import select, train_settings
from conftest import SPECS


def test_select_names_the_models_it_has():
    result = archlang.check(SPECS / "book/sizes.arch")
    assert select(result, "conv_pad0").name == "conv_pad0"
    with pytest.raises(archlang.SpecError, match="no model named `nope`; the spec defines conv_pad2"):
        select(result, "nope")
    with pytest.raises(archlang.SpecError):
        select(archlang.check(SPECS / "book/model2_as_printed.arch"))


def test_train_settings_are_plain_data(tmp_spec):
    spec = tmp_spec("""model m(x: 64) = Dense(64, 10)
train m { data = digits(8)  optimizer = Adam(lr = 1/100)  batch = 2^5  epochs = 1 }""")
    assert train_settings(spec) == {"data": {"call": "digits", "args": [8], "kwargs": {}},
                                    "optimizer": {"call": "Adam", "args": [], "kwargs": {"lr": 0.01}},
                                    "batch": 32, "epochs": 1}


def test_fit_trains_a_spec(tmp_path, tmp_spec):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    spec = tmp_spec("model m(x: 64) = Chain(Dense(64, 32, relu), Dense(32, 10))\n"
                    "train m { data = digits(8)  optimizer = Adam(lr = 0.01)  epochs = 1 }")
    result = archlang.fit(spec, epochs=3, out=str(tmp_path / "run"), seed=0)
    assert len(result.history) == 3 and result.best_val_acc > 0.6     # measured 0.88; chance 0.1
    assert result.curves.exists()
    # fit seeds before building the module: the same call gives bit-identical weights
    again = archlang.fit(spec, epochs=3, out=str(tmp_path / "again"), seed=0)
    a, b = (torch.load(r.last, weights_only=True)["model"] for r in (result, again))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert again.history[-1]["val_loss"] == result.history[-1]["val_loss"]


def test_a_spec_without_models_cannot_be_compiled(tmp_spec):
    spec = tmp_spec("block B(c) = Dense(c, c)\n")
    with pytest.raises(archlang.SpecError) as info:
        archlang.compile(spec)
    (d,) = info.value.diagnostics
    assert d.code == "E0015" and (d.span.line, d.span.column) == (1, 1) and "add `model" in d.help
