"""Loss expressions over a multi-output module's named outputs (a tuple-returning module
with a class attribute `output_names`), written by hand here so they work before the
language produces such modules."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from archlang.train import TrainConfig, TrainError
from archlang.train.lossexpr import Term, parse_loss
from archlang.train.losses import Localization, Objective

from .helpers import config, quiet_train


class TwoHeads(nn.Module):
    """A GoogLeNet-like classifier of the 8×8 digits with an auxiliary head."""

    output_names = ("out", "aux1")

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU())
        self.head = nn.Linear(32, 10)
        self.aux = nn.Linear(32, 10)

    def forward(self, x):
        h = self.body(x)
        return self.head(h), self.aux(h)


class BoxAndClass(nn.Module):
    """The book's §5.8.1 network with two heads: box [p_c, x, y, h, w] and 2 class logits."""

    output_names = ("box", "cls")

    def __init__(self):
        super().__init__()
        self.box = nn.Linear(4, 5)
        self.cls = nn.Linear(4, 2)

    def forward(self, x):
        return self.box(x), self.cls(x)


def test_parse_loss_expressions():
    assert parse_loss("crossentropy(out) + 0.3 * crossentropy(aux1)") == [
        Term(1.0, "crossentropy", ("out",)), Term(0.3, "crossentropy", ("aux1",))]
    assert parse_loss("localization(box, cls)") == [Term(1.0, "localization", ("box", "cls"))]
    assert parse_loss("mse(a) * 2") == [Term(2.0, "mse", ("a",))]
    assert parse_loss("crossentropy") == [Term(1.0, "crossentropy", ())]
    for bad, message in (("crossentropy(out) - mse(x)", "only sums"),
                         ("crossentropy(out) * mse(x)", "needs a number"),
                         ("crossentropy(1)", "must be output names"),
                         ("crossentrop(out)", "did you mean `crossentropy`"),
                         ("crossentropy + mse(aux)", "names no output"),
                         ("__import__('os')", "must be output names")):
        with pytest.raises(TrainError, match=message):
            parse_loss(bad)
    assert TrainConfig().merge({"loss": {"call": "localization", "args": ["box", "cls"],
                                         "kwargs": {}}}).loss == "localization(box, cls)"


def test_weighted_sum_of_losses_on_named_outputs():
    out, aux = torch.randn(6, 10), torch.randn(6, 10)
    y = torch.tensor([0, 3, 9, 2, 2, 7])
    objective = Objective("crossentropy(out) + 0.3 * crossentropy(aux1)", TwoHeads.output_names)
    expected = F.cross_entropy(out, y) + 0.3 * F.cross_entropy(aux, y)
    assert torch.allclose(objective((out, aux), y), expected)
    assert objective.correct((out, aux), y) == (out.argmax(1) == y).sum()   # from `out`
    swapped = Objective("crossentropy(aux1)", TwoHeads.output_names)
    assert torch.allclose(swapped((out, aux), y), F.cross_entropy(aux, y))
    with pytest.raises(TrainError, match="the model's outputs are out, aux1") as err:
        Objective("crossentropy(aux)", TwoHeads.output_names)
    assert err.value.hint == "did you mean `aux1`?"
    with pytest.raises(TrainError, match="the model has one output"):
        Objective("crossentropy(out) + mse(aux1)", None)


def test_localization_on_two_heads_is_the_books_loss_on_5_plus_k_columns():
    box, cls = torch.rand(4, 5), torch.rand(4, 2)
    y = torch.tensor([[1, .2, .3, .4, .5, 1, 0], [0, 9, 9, 9, 9, 9, 9],
                      [1, .5, .5, .1, .1, 0, 1], [0, 0, 0, 0, 0, 0, 0]], dtype=torch.float32)
    objective = Objective("localization(box, cls)", BoxAndClass.output_names)
    joined = torch.cat([box, cls], 1)
    assert torch.allclose(objective((box, cls), y), Localization()(joined, y))
    # by hand: all 7 squared errors where an object is present, only p_c's where not
    by_hand = torch.stack([((joined[0] - y[0]) ** 2).sum(), (joined[1, 0] - 0) ** 2,
                           ((joined[2] - y[2]) ** 2).sum(), (joined[3, 0] - 0) ** 2]).mean()
    assert torch.allclose(objective((box, cls), y), by_hand)


def test_training_a_two_output_module(tmp_path):
    cfg = config(tmp_path, data="digits(8)", epochs=3,
                 loss="crossentropy(out) + 0.3 * crossentropy(aux1)")
    result, log = quiet_train(TwoHeads(), (8, 8, 1), cfg)
    # measured 0.898 after 3 epochs (seed 0, 539 validation digits); chance is 0.10
    assert result.best_val_acc > 0.75
    saved = torch.load(result.last, weights_only=True)
    assert saved["output_names"] == ["out", "aux1"] and saved["config"]["loss"] == \
        "crossentropy(out) + 0.3 * crossentropy(aux1)"


def test_a_bare_loss_on_several_outputs_uses_the_first_with_a_note(tmp_path):
    result, log = quiet_train(TwoHeads(), (8, 8, 1), config(tmp_path, data="digits(8)", epochs=1))
    assert log[0] == ("note: the model has 2 outputs (out, aux1); the loss crossentropy is "
                      "computed on the first, `out` (name outputs in the loss to use others)")
    assert result.best_val_acc > 0.6          # measured 0.751 after 1 epoch
