"""Text data (train/text.py): vocabularies, language-model windows, labelled lines, the
bundled text, the next-token loss in both layouts and perplexity, and sampling."""
from __future__ import annotations

import json
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from archlang.ir.loss import Loss, LossTerm, parse_loss
from archlang.layers.shape import INT, Shape
from archlang.train import TrainError
from archlang.train.data import load_data, splits
from archlang.train.losses import NextToken, Objective, for_targets
from archlang.train.metrics import perplexity
from archlang.train.preflight import check_targets
from archlang.train.runs import Run
from archlang.train.sample import classify_text, sample
from archlang.train.text import BUNDLED, Vocabulary, text, text_classes

from .helpers import config, one_thread, quiet_train  # noqa: F401  (fixture)


def call(name, *args, **kwargs):
    return {"call": name, "args": list(args), "kwargs": kwargs}


# --- vocabularies -------------------------------------------------------------------------

def test_a_character_vocabulary_numbers_the_sorted_characters():
    v = Vocabulary.of("banana!")
    assert v.chars == ("!", "a", "b", "n") and v.size == 4
    assert v.encode("ban!").tolist() == [2, 1, 3, 0]
    assert v.decode([2, 1, 3, 1, 3, 1]) == "banana"


def test_a_byte_vocabulary_reads_any_text_as_utf8():
    v = Vocabulary.of("", "byte")
    assert v.size == 256
    assert v.encode("é!").tolist() == [0xC3, 0xA9, 0x21]
    assert v.decode([0xC3, 0xA9, 0x21]) == "é!"
    assert v.decode([0xC3]) == "\ufffd"          # half a character: the replacement mark


def test_a_padded_vocabulary_keeps_id_0_for_padding_and_drops_it_when_decoding():
    v = Vocabulary.of("ab", pad=True)
    assert v.size == 3 and v.encode("ba").tolist() == [2, 1]
    assert v.decode([1, 2, 0, 0]) == "ab"
    b = Vocabulary.of("", "byte", pad=True)
    assert b.size == 257 and b.encode("A").tolist() == [66]


def test_characters_outside_the_vocabulary_are_named():
    v = Vocabulary.of("abc")
    assert v.unknown("cabbage!") == ["g", "e", "!"]
    with pytest.raises(TrainError, match="'g', 'e', '!'"):
        v.encode("cabbage!")


def test_a_vocabulary_survives_its_json_form():
    v = Vocabulary.of("héllo\n", pad=True)
    assert Vocabulary.from_dict(json.loads(json.dumps(v.to_dict()))) == v


# --- language-model windows ------------------------------------------------------------------

def test_windows_are_l_plus_one_tokens_with_targets_shifted_by_one(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("abcdefghijklmnopqrst")              # 20 characters, ids 0 … 19
    d = text((4,), path, val=0.25)                       # train: the first 15 ids
    assert d.x.dtype == torch.int64 and d.name == "text:t.txt"
    # Windows start every L = 4 tokens: 0, 4, 8 (a fourth, at 12, would need id 16).
    assert d.x.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    assert d.y.tolist() == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
    assert text((4,), path, stride=2, val=0.25).x[:, 0].tolist() == [0, 2, 4, 6, 8, 10]
    val = text((4,), path, part="val", val=0.25)         # the last 5 ids: 15 … 19
    assert val.x.tolist() == [[15, 16, 17, 18]] and val.y.tolist() == [[16, 17, 18, 19]]


def test_the_validation_part_is_the_end_of_the_text_not_a_random_split(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("".join(chr(ord("a") + i % 26) for i in range(400)))
    cfg = config(tmp_path, data=call("text", str(path)), val_split=0.5)
    train, val, test = splits(cfg, (9,))
    assert len(train) == (360 - 10) // 9 + 1 and len(val) == (40 - 10) // 9 + 1
    assert test is None and train.vocab == val.vocab


def test_the_bundled_genesis_is_the_kjv_text_and_kjv_reads_it():
    content = BUNDLED.read_text(encoding="utf-8")
    assert len(content) == 197_458 and content.startswith(
        "Genesis 1\n\nIn the beginning God created the heaven and the earth.\n")
    d = load_data(call("kjv"), (64,))
    assert d.vocab.size == 70 and d.vocab.level == "char"
    # 90% of 197,458 = 177,712 training tokens: windows of 65 every 64 tokens.
    assert d.x.shape == (2776, 64) and d.name == "kjv"
    assert d.vocab.decode(d.x[0]).startswith("Genesis 1\n\nIn the beginning")
    assert load_data(call("kjv", level="byte"), (64,)).vocab.size == 256


@pytest.mark.parametrize("shape, message", [
    ((28, 28, 1), "spec's input is 28×28×1"), ((190_000,), "fewer than one window")])
def test_a_text_source_needs_an_input_of_token_ids_it_can_fill(shape, message):
    with pytest.raises(TrainError, match=message):
        load_data(call("kjv"), shape)


def test_text_file_mistakes_are_train_errors(tmp_path):
    with pytest.raises(TrainError, match="no such text file"):
        load_data(call("text", str(tmp_path / "none.txt")), (8,))
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(TrainError, match="not UTF-8"):
        load_data(call("text", str(tmp_path / "bin.txt")), (8,))
    with pytest.raises(TrainError, match="unknown text level"):
        load_data(call("kjv", level="word"), (8,))
    with pytest.raises(TrainError, match="validation share"):
        load_data(call("kjv", val=1.5), (8,))


# --- sequence classification -------------------------------------------------------------------

def test_labelled_lines_are_padded_or_cut_to_the_input_length(tmp_path):
    path = tmp_path / "reviews.tsv"
    path.write_text("label\ttext\npos\tgood\n\nneg\tbad, so bad\npos\tok\n")
    d = text_classes((5,), path)
    assert d.classes == ["neg", "pos"] and d.y.tolist() == [1, 0, 1]
    v = d.vocab                                           # id 0 pads
    assert v.pad and d.x[0].tolist() == v.encode("good").tolist() + [0]
    assert d.x[1].tolist() == v.encode("bad, ").tolist()  # cut to 5
    assert v.decode(d.x[2]) == "ok"
    assert load_data(call("text_classes", str(path)), (5,)).x.tolist() == d.x.tolist()


def test_integer_labels_are_the_class_numbers_and_a_bad_line_is_named(tmp_path):
    path = tmp_path / "n.tsv"
    path.write_text("1\tone\n0\tzero\n")
    d = text_classes((3,), path)
    assert d.classes is None and d.y.tolist() == [1, 0]
    path.write_text("1\tone\nzero without a tab\n")
    with pytest.raises(TrainError, match="line 2 is not `label<TAB>text`"):
        text_classes((3,), path)


# --- next-token loss ---------------------------------------------------------------------------

def _reference(scores_nlv, y):
    """The mean over every position of −log softmax(scores)[target], written out."""
    logp = scores_nlv.log_softmax(-1)
    n, length = y.shape
    return -sum(logp[i, t, y[i, t]] for i in range(n) for t in range(length)) / (n * length)


@pytest.mark.parametrize("vocab", [7, 5])               # 5 = L: only the layout tells
def test_the_next_token_loss_reads_either_layout(vocab):
    torch.manual_seed(0)
    scores = torch.randn(3, 5, vocab)                    # N×L×V
    y = torch.randint(0, vocab, (3, 5))
    want = float(_reference(scores, y))
    assert float(NextToken("channels_last")(scores, y)) == pytest.approx(want, rel=1e-6)
    first = scores.transpose(1, 2).contiguous()          # N×V×L, as a convolution returns it
    assert float(NextToken("channels_first")(first, y)) == pytest.approx(want, rel=1e-6)
    if vocab != 5:                                       # no layout: the shapes tell
        assert float(NextToken()(scores, y)) == pytest.approx(want, rel=1e-6)
        assert float(NextToken()(first, y)) == pytest.approx(want, rel=1e-6)
    else:
        assert float(NextToken("channels_first")(scores, y)) != pytest.approx(want, rel=1e-3)


def test_per_token_targets_make_the_default_loss_next_token():
    out, y = torch.zeros(2, 4, 9), torch.zeros(2, 4, dtype=torch.int64)
    assert str(for_targets("crossentropy", out, y)) == "next_token"
    assert for_targets(parse_loss("mse"), out, y) == parse_loss("mse")
    assert str(for_targets("crossentropy", torch.zeros(2, 9), y[:, 0])) == "crossentropy"
    assert str(parse_loss("lm")) == "next_token"


def test_a_vocabulary_larger_than_the_output_is_a_train_error():
    objective = Objective(Loss((LossTerm(1.0, "next_token"),)), None, ["channels_last"])
    y = torch.tensor([[3, 69]])
    with pytest.raises(TrainError, match=r"token ids up to 69 \(70 tokens\) but the model's "
                                         r"output scores 50 per position") as err:
        check_targets(objective, torch.zeros(1, 2, 50), y, "kjv")
    assert "Embedding(70 => d)" in err.value.hint
    with pytest.raises(TrainError, match="one label per sample"):
        check_targets(objective, torch.zeros(1, 2, 50), y[:, 0], "digits")


def test_perplexity_is_exp_of_the_loss_and_infinite_past_overflow():
    assert perplexity(math.log(70)) == pytest.approx(70)
    assert perplexity(1000.0) == math.inf


# --- training and sampling ---------------------------------------------------------------------

class TinyLM(nn.Module):
    """Embedding → per-token MLP over the token and its position: N×L ids → N×L×V."""

    def __init__(self, vocab: int = 70, length: int = 16, d: int = 24, first: bool = False):
        super().__init__()
        self.embed, self.pos = nn.Embedding(vocab, d), nn.Parameter(torch.zeros(length, d))
        self.head = nn.Sequential(nn.Linear(d, 48), nn.ReLU(), nn.Linear(48, vocab))
        self.first = first

    def forward(self, x):
        out = self.head(self.embed(x) + self.pos)         # N×L×V
        return out.transpose(1, 2) if self.first else out


def _lm_run(tmp_path, first=False, **settings):
    torch.manual_seed(0)
    cfg = config(tmp_path, **{"data": call("kjv", stride=8), "epochs": 2, "batch": 128,
                              "lr": 0.01, **settings})
    layout = "channels_first" if first else "channels_last"
    return quiet_train(TinyLM(first=first), Shape((16,), INT), cfg, meta={"output_layouts": [layout]})


def test_a_language_model_trains_on_the_bundled_text_and_reports_perplexity(tmp_path):
    result, log = _lm_run(tmp_path)
    h = result.history
    assert "the loss is next_token" in log[0]
    assert h[1]["train_loss"] < h[0]["train_loss"] < math.log(70)
    assert h[-1]["val_ppl"] == pytest.approx(math.exp(h[-1]["val_loss"]))
    assert math.isnan(h[-1]["val_acc"]) and "validation perplexity" in log[-1]
    assert json.loads((result.out / "vocab.json").read_text())["chars"][:3] == "\n !"
    assert "val_ppl" in (result.out / "metrics.csv").read_text().splitlines()[0]
    # The same model returning N×V×L (channels first) trains to the same numbers: equal in
    # the first epoch; the second differs by the rounding of another summation order (4e-5
    # relative seen on a loaded machine), where a loss over the wrong axis would differ by 10%.
    other, _ = _lm_run(tmp_path / "first", first=True)
    first, second = ([r["train_loss"] for r in run.history] for run in (other, result))
    assert first[0] == pytest.approx(second[0], rel=1e-5)
    assert first == pytest.approx(second, rel=1e-3)


def _run(result, model):
    from archlang.train import checkpoint
    state = checkpoint.load(result.best)
    model.load_state_dict(state["model"])
    cfg = config(result.out, loss=state["config"]["loss"])
    return Run(result.out, result.best, model.eval(), cfg, (16,), "lm", state)


def test_sampling_is_reproducible_and_reads_the_model_greedily_at_temperature_0(tmp_path):
    result, _ = _lm_run(tmp_path, epochs=1)
    run = _run(result, TinyLM())
    text = sample(run, "And God said", 40, seed=3)
    assert len(text) == 40 and text == sample(run, "And God said", 40, seed=3)
    assert set(text) <= set(run.state["vocab"]["chars"])
    # Greedy: each next character is the argmax at the prompt's last position.
    vocab = Vocabulary.from_dict(run.state["vocab"])
    ids = vocab.encode("In the").tolist()
    x = torch.tensor([ids + [0] * (16 - len(ids))])
    best = int(run.model(x)[0, len(ids) - 1].argmax())
    assert sample(run, "In the", 1, temperature=0) == vocab.chars[best]
    with pytest.raises(TrainError, match="lacks: 'Q', 'é'"):
        sample(run, "Qué", 5)


def test_a_text_classifier_classifies_a_prompt(tmp_path):
    path = tmp_path / "c.tsv"
    path.write_text("".join(f"{label}\t{word}\n" for label, word in
                            [("a", "aaa"), ("b", "bbb")] * 20))

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed, self.out = nn.Embedding(3, 8), nn.Linear(8, 2)

        def forward(self, x):
            return self.out(self.embed(x).mean(1))

    torch.manual_seed(0)
    cfg = config(tmp_path, data=call("text_classes", str(path)), epochs=15, lr=0.05)
    result, _ = quiet_train(Classifier(), Shape((4,), INT), cfg)
    assert result.final_val_acc == 1.0 and result.classes == ["a", "b"]
    run = _run(result, Classifier())
    run.input_shape = (4,)
    assert classify_text(run, "bb").label == 1 and classify_text(run, "a").label == 0
    with pytest.raises(TrainError, match="not a language model"):
        sample(run, "a")


def test_a_run_records_the_layout_each_output_is_returned_in():
    from archlang.api import checked, run_meta
    from archlang.backends.torch import generate
    text = ("model per_token(x: 16×8) = Dense(8 => 5)\n"
            "model conv(x: 16×8) = Conv((3,), 8 => 5, pad=(2, 0))\n")
    for name, layout in (("per_token", "channels_last"), ("conv", "channels_first")):
        report = checked(text, name)
        assert run_meta(generate([report], ""), report, "<string>")["output_layouts"] == [layout]


def test_token_ids_and_next_tokens_of_your_own_train_a_language_model(tmp_path):
    import numpy as np
    ids = np.arange(200, dtype=np.int64) % 7                # a cycle: easy to learn
    windows = np.lib.stride_tricks.sliding_window_view(ids, 17)[::4]
    np.savez(tmp_path / "tokens.npz", x=windows[:, :-1], y=windows[:, 1:])
    torch.manual_seed(0)
    cfg = config(tmp_path, data=call("npz", str(tmp_path / "tokens.npz")), epochs=3, lr=0.03)
    result, log = quiet_train(TinyLM(vocab=7), Shape((16,), INT), cfg,
                              meta={"output_layouts": ["channels_last"]})
    assert "the loss is next_token" in log[0]
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
