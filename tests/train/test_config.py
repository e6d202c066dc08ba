"""TrainConfig: building from a spec's train section, flags, validation messages."""

import pytest

from archlang.train import TrainConfig, TrainError, parse_freeze

BOOK_SECTION = {"data": {"call": "mnist", "args": ["data/mnist"], "kwargs": {}},
                "loss": "crossentropy",
                "optimizer": {"call": "Adam", "args": [], "kwargs": {"lr": 0.005}},
                "batch": 1000, "epochs": 20}


def test_from_section_reads_the_book_example():
    cfg = TrainConfig.from_section(BOOK_SECTION)
    assert cfg.data == {"call": "mnist", "args": ["data/mnist"], "kwargs": {}}
    assert (cfg.optimizer, cfg.lr, cfg.batch, cfg.epochs, str(cfg.loss)) == ("adam", 0.005, 1000, 20, "crossentropy")


def test_flags_win_and_none_flags_are_ignored():
    cfg = TrainConfig.from_section(BOOK_SECTION).merge({"lr": 0.01, "epochs": None, "batch-size": 64})
    assert (cfg.lr, cfg.epochs, cfg.batch) == (0.01, 20, 64)


@pytest.mark.parametrize("value, expected", [
    ("digits", {"call": "digits", "args": [], "kwargs": {}}),
    ("digits(28)", {"call": "digits", "args": [28], "kwargs": {}}),
    ("mnist(data/mnist, split=test)", {"call": "mnist", "args": ["data/mnist"], "kwargs": {"split": "test"}}),
    ("runs/x.npz", {"call": "npz", "args": ["runs/x.npz"], "kwargs": {}}),
])
def test_data_strings_become_calls(value, expected):
    assert TrainConfig.from_section({"data": value}).data == expected


def test_flux_optimizer_spellings():
    cfg = TrainConfig.from_section({"optimizer": {"call": "Momentum", "args": [0.01], "kwargs": {}}})
    assert (cfg.optimizer, cfg.lr, cfg.optimizer_kwargs) == ("sgd", 0.01, {"momentum": 0.9})
    assert TrainConfig.from_section({"optimizer": "AdamW", "weight_decay": 0.01}).optimizer == "adamw"


@pytest.mark.parametrize("section, words", [
    ({"epochs": 0}, "`epochs` must be an integer ≥ 1"),
    ({"batch": "many"}, "`batch` must be an integer"),
    ({"lr": -1}, "`lr` must be > 0"),
    ({"optimizer": "adamm"}, "unknown optimizer `adamm`"),
    ({"loss": "hinge"}, "unknown loss `hinge`"),
    ({"amp": "fp8"}, "unknown amp mode"),
    ({"device": "tpu"}, "unknown device"),
    ({"val_split": 1.5}, "`val_split` must be"),
    ({"freeze": "4:1"}, "bad freeze range"),
    ({"epoch": 3}, "unknown train setting `epoch`"),
])
def test_bad_values_raise_train_error_with_a_hint(section, words):
    with pytest.raises(TrainError) as err:
        TrainConfig.from_section(section)
    assert words in err.value.message
    if "epoch`" in words:
        assert "epochs" in err.value.hint  # did you mean


def test_parse_freeze():
    assert parse_freeze("1:3") == [1, 2, 3] == parse_freeze("1-3")
    assert parse_freeze("2, conv1, 5") == [2, "conv1", 5]
    assert parse_freeze(None) == [] == parse_freeze("")


def test_to_dict_is_plain():
    d = TrainConfig.from_section(BOOK_SECTION).to_dict()
    assert TrainConfig(**d) == TrainConfig.from_section(BOOK_SECTION)
