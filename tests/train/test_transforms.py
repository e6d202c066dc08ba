"""Transforms: each augmentation on a hand-made image with its output worked out by hand,
normalisation given and measured, the per-sample random numbers (the same with 0 or N
workers, in a batch or alone), evaluation applying the deterministic part only, and the
settings' diagnostics in a spec and on the command line."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("PIL")

from archlang.cli import main  # noqa: E402
from conftest import SPECS  # noqa: E402
from archlang.train import TrainConfig, TrainError  # noqa: E402
from archlang.train.batches import feeder  # noqa: E402
from archlang.train.data import splits  # noqa: E402
from archlang.train.dataset import Dataset  # noqa: E402
from archlang.train.folders import image_folder  # noqa: E402
from archlang.train.transforms import (ColorJitter, Flip, Pipeline, ResizedCrop,  # noqa: E402
                                       RandomCrop, Rotate, _mix_int, build, measure,
                                       normalized, sample_keys, uniform, uniform_one)

from .helpers import one_thread, quiet_train  # noqa: E402,F401  (one_thread: autouse)
from .own_data import write_images, write_split_folder  # noqa: E402

IMAGE = torch.tensor([[1., 2., 3.],
                      [4., 5., 6.]]).view(1, 1, 2, 3)       # one sample, one channel, 2×3


def steps(text: str) -> list[dict]:
    return TrainConfig().merge({"augment": text}).augment


# ---- each transform, by hand ----------------------------------------------------------------

def test_flip_mirrors_left_right_and_vflip_upside_down():
    assert Flip(0.5).apply(IMAGE, [True]).view(2, 3).tolist() == [[3, 2, 1], [6, 5, 4]]
    assert Flip(0.5).apply(IMAGE, [False]).view(2, 3).tolist() == [[1, 2, 3], [4, 5, 6]]
    assert Flip(0.5, -2).apply(IMAGE, [True]).view(2, 3).tolist() == [[4, 5, 6], [1, 2, 3]]
    two = Flip(0.5).apply(torch.cat([IMAGE, IMAGE]), [False, True])       # per sample
    assert two[0].view(2, 3).tolist() == [[1, 2, 3], [4, 5, 6]]
    assert two[1].view(2, 3).tolist() == [[3, 2, 1], [6, 5, 4]]


def test_random_crop_pads_with_zeros_and_cuts_at_the_offset():
    # Padded by 1: a 4×5 image with the 2×3 in its middle; offsets are (row, column).
    crop = RandomCrop(1)
    assert crop.apply(IMAGE, [(0, 2)]).view(2, 3).tolist() == [[0, 0, 0], [2, 3, 0]]
    assert crop.apply(IMAGE, [(2, 0)]).view(2, 3).tolist() == [[0, 4, 5], [0, 0, 0]]
    assert crop.apply(IMAGE, [(1, 1)]).view(2, 3).tolist() == [[1, 2, 3], [4, 5, 6]]
    batch = crop.apply(torch.cat([IMAGE, IMAGE * 10]), [(0, 2), (2, 0)])   # gathered per sample
    assert batch[0].view(2, 3).tolist() == [[0, 0, 0], [2, 3, 0]]
    assert batch[1].view(2, 3).tolist() == [[0, 40, 50], [0, 0, 0]]
    # Offsets cover 0..2·pad, both ends included.
    assert {o for u in (0.0, 0.5, 0.999) for o in crop.params(lambda k: [u], 1)[0]} == {0, 1, 2}


def test_rotate_by_90_degrees_is_a_quarter_turn_anticlockwise():
    x = torch.arange(9.).view(1, 1, 3, 3)
    assert torch.allclose(Rotate(90).apply(x, [90.0]), torch.rot90(x, 1, (-2, -1)), atol=1e-5)
    # A 3×5 image turned a quarter: its middle 3×3 is covered, the sides fall outside.
    turned = Rotate(90).apply(torch.ones(1, 1, 3, 5), [90.0]).view(3, 5)
    assert torch.allclose(turned, torch.tensor([[0., 1, 1, 1, 0]] * 3), atol=1e-5)
    assert Rotate(15).params(lambda k: [0.0, 0.5, 1.0], 3) == [-15.0, 0.0, 15.0]


def test_color_jitter_by_hand():
    grey = torch.tensor([0.2, 0.6]).view(1, 1, 1, 2)
    # Brightness ×1.5: 0.3, 0.9; contrast ×0.5 about their mean 0.6: 0.45, 0.75.
    out = ColorJitter(0.5, 0.5, 0.5).apply(grey, [(1.5, 0.5, 9.0)])       # no saturation in grey
    assert torch.allclose(out.view(2), torch.tensor([0.45, 0.75]))
    red = torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1)
    # Saturation 0: the pixel's grey, 0.299·R + 0.587·G + 0.114·B, in every channel.
    assert torch.allclose(ColorJitter(0, 0, 1).apply(red, [(1, 1, 0.0)]).view(3),
                          torch.full((3,), 0.299))
    assert ColorJitter(0.2, 0, 0).params(lambda k: [0.0], 1)[0][0] == pytest.approx(0.8)


def test_resized_crop_of_the_whole_image_is_the_image():
    x = torch.rand(1, 3, 4, 6)
    whole = ResizedCrop((1.0, 1.0), (1.0, 1.0)).apply(x, [(1.0, 1.0, 0.0, 0.0)])
    assert torch.allclose(whole, x, atol=1e-6)
    # The left half of a 1×4 image [4, 5, 6, 7], stretched: output centres at 0.25, 0.75,
    # 1.25, 1.75 input pixels, between input centres 0.5, 1.5, 2.5 (the edge repeated).
    half = ResizedCrop((0.5, 0.5), (1.0, 1.0)).apply(
        torch.arange(4., 8.).view(1, 1, 1, 4), [(0.5, 1.0, -0.5, 0.0)])
    assert torch.allclose(half.view(4), torch.tensor([4.0, 4.25, 4.75, 5.25]))


def test_normalize_given_numbers():
    x = torch.tensor([[0.5, 1.0], [0.0, 0.25]]).view(1, 2, 1, 2)         # two channels
    out = normalized(x, torch.tensor([0.5, 0.0]), torch.tensor([0.25, 0.5]))
    assert out.view(2, 2).tolist() == [[0.0, 2.0], [0.0, 0.5]]
    flat = normalized(torch.tensor([[1.0, 3.0]]), torch.tensor([1.0]), torch.tensor([2.0]))
    assert flat.tolist() == [[0.0, 1.0]]
    assert TrainConfig().merge({"normalize": "(0.485,0.456,0.406),(0.229,0.224,0.225)"}).normalize \
        == {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}


def test_auto_normalize_measures_each_channel():
    # Channel 0 holds 0, 0, 2, 2 (mean 1, std 1); channel 1 is always 1 (std 0 → 1: centred).
    x = torch.tensor([[[[0., 0.]], [[1., 1.]]], [[[2., 2.]], [[1., 1.]]]])
    data = Dataset(x, torch.tensor([0, 1]), "tiny")
    assert measure(data) == ([1.0, 1.0], [1.0, 1.0])
    pipeline = build(TrainConfig().merge({"normalize": "auto"}), data)
    assert pipeline.stats == {"mean": [1.0, 1.0], "std": [1.0, 1.0]}
    assert pipeline.eval(x)[1].view(2, 2).tolist() == [[1.0, 1.0], [0.0, 0.0]]


# ---- the random numbers ----------------------------------------------------------------------

def test_the_generator_is_splitmix64_and_agrees_per_sample_and_per_batch():
    assert _mix_int(0) == 0xE220A8397B1DCDAF            # splitmix64's first output for seed 0
    keys = sample_keys(7, 3, torch.arange(1000))
    u = uniform(keys, 2)
    assert 0 <= float(u.min()) and float(u.max()) < 1 and abs(float(u.mean()) - 0.5) < 0.05
    assert [uniform_one(int(k) % 2**64, 2) for k in keys[:5]] == u[:5].tolist()
    assert not torch.equal(uniform(sample_keys(7, 4, torch.arange(1000)), 2), u)   # epochs differ
    p = Pipeline(steps("random_crop(2), flip, rotate(20), color_jitter(0.3), random_resized_crop"),
                 {"mean": [0.5], "std": [0.5]}, seed=7)
    x = torch.rand(4, 3, 8, 8)
    one_by_one = torch.stack([p.train_one(x[i], 3, 10 + i) for i in range(4)])
    assert torch.allclose(p.train(x, 3, torch.arange(10, 14)), one_by_one, atol=1e-6)


def test_in_memory_batches_are_augmented_in_training_and_only_normalised_in_evaluation():
    x = torch.rand(6, 1, 4, 4)
    data = Dataset(x, torch.arange(6), "six")
    p = Pipeline(steps("flip(p = 1)"), {"mean": [0.5], "std": [0.25]}, seed=0)
    feed = feeder(data, torch.device("cpu"), pipeline=p)
    order = torch.tensor([5, 0, 3, 1, 4, 2])
    trained = torch.cat([xb for xb, _ in feed.batches(order, 4, epoch=1)])
    assert torch.allclose(trained, (x[order].flip(-1) - 0.5) / 0.25)
    evaluated = torch.cat([xb for xb, _ in feed.in_order(4)])
    assert torch.allclose(evaluated, (x - 0.5) / 0.25)


def test_image_files_are_transformed_alike_with_0_and_2_workers(tmp_path):
    root = write_images(tmp_path / "pets", {"blue": 3, "red": 3}, size=(6, 6))
    data = image_folder(root, (6, 6, 3))
    p = Pipeline(steps("random_crop(1), flip, rotate(10)"), {"mean": [0.5], "std": [0.5]}, seed=1)
    order = torch.tensor([4, 1, 5, 0, 2, 3])
    plain = torch.stack([data[i][0] for i in range(6)])
    runs = []
    for workers in (0, 2):
        feed = feeder(data, torch.device("cpu"), workers=workers, pipeline=p)
        runs.append([torch.cat([xb for xb, _ in feed.batches(order, 4, epoch=e)]) for e in (1, 2)])
        runs[-1].append(torch.cat([xb for xb, _ in feed.in_order(4)]))
    assert all(torch.equal(a, b) for a, b in zip(*runs))
    epoch1, epoch2, evaluated = runs[0]
    assert torch.allclose(epoch1, p.train(plain[order], 1, order), atol=1e-6)
    assert not torch.equal(epoch1, epoch2)
    assert torch.allclose(evaluated, (plain - 0.5) / 0.5)


# ---- training runs ---------------------------------------------------------------------------

def _train(root, tmp_path, name, **settings):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(192, 2))
    cfg = TrainConfig.from_section({"data": str(root), "epochs": 2, "batch": 4, "seed": 3,
                                    "device": "cpu", "out": str(tmp_path / name), **settings})
    result, log = quiet_train(model, (8, 8, 3), cfg)
    return model[1].weight.detach().clone(), result, log


def test_augmented_runs_are_bit_identical_with_any_workers(tmp_path):
    root = write_images(tmp_path / "pets", {"blue": 6, "red": 6})
    aug = {"augment": "random_crop(pad = 2), flip, rotate(15), color_jitter(0.2)",
           "normalize": "auto"}
    first, result, log = _train(root, tmp_path, "a", **aug)
    again, _, _ = _train(root, tmp_path, "b", **aug)
    two, _, _ = _train(root, tmp_path, "c", workers=2, **aug)
    plain, _, _ = _train(root, tmp_path, "d", normalize="auto")
    assert torch.equal(first, again) and torch.equal(first, two)
    assert not torch.equal(first, plain)                       # the augmentation did something
    saved = torch.load(result.last, weights_only=True)["normalize"]
    train_part, _, _ = splits(TrainConfig.from_section({"data": str(root), "seed": 3}), (8, 8, 3))
    assert len(train_part) == 10                 # measured on the training split alone
    assert (saved["mean"], saved["std"]) == measure(train_part)
    assert any(line.startswith("normalize auto: mean (") for line in log)


def test_evaluate_and_predict_normalise_without_augmenting(tmp_path, tmp_spec):
    import archlang
    from archlang.train.evaluate import evaluate
    from archlang.train.predict import predict
    from archlang.train.runs import load_run
    root = write_split_folder(tmp_path / "colours")
    spec = tmp_spec("model m(x: 8×8×3) = Chain(flatten, Dense(192 => 2))\n")
    result = archlang.fit(spec, data=root, epochs=1, batch=4, out=str(tmp_path / "run"),
                          progress=False, device="cpu", augment="flip(p = 1)",
                          normalize=((0.2, 0.3, 0.4), 0.5))
    run = load_run(result.out)
    test = image_folder(root, (8, 8, 3), "test")
    x = torch.stack([test[i][0] for i in range(len(test))])
    mean = torch.tensor([0.2, 0.3, 0.4]).view(1, 3, 1, 1)
    with torch.no_grad():
        expected = run.model((x - mean) / 0.5)
    labels = torch.tensor([test[i][1] for i in range(len(test))])
    scored = evaluate(run)                        # the test images, normalised, not flipped
    assert scored.loss == pytest.approx(float(torch.nn.functional.cross_entropy(expected, labels)))
    picture = test.items.paths[1]
    guess = predict(run, [picture])[0]
    assert guess.output == pytest.approx(expected[1].tolist(), abs=1e-5)


def test_augmenting_samples_that_are_not_images_is_refused(tmp_path):
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10))
    cfg = TrainConfig.from_section({"data": "digits", "epochs": 1, "device": "cpu",
                                    "augment": "flip", "out": str(tmp_path / "run")})
    with pytest.raises(TrainError, match="augment changes images"):
        quiet_train(model, (64,), cfg)


# ---- diagnostics ------------------------------------------------------------------------------

def test_spec_transform_mistakes_are_positioned_with_did_you_mean(tmp_spec, capsys):
    spec = tmp_spec("model m(x: 8×8×3) = Chain(flatten, Dense(192 => 2))\n"
                    "train m {\n"
                    "    augment = (random_crop(pad = 2), flp, rotate(degres = 3))\n"
                    "    normalize = (0.5, 0.5, 0.5)\n"
                    "}\n")
    assert main(["check", str(spec), "--color", "never"]) == 1
    err = capsys.readouterr().err
    assert ":3:38: error[E0103]: unknown transform `flp`" in err
    assert "did you mean `flip`?" in err
    assert ":4:17: error[E0103]: `normalize` must be auto or (mean, std), got 3 values" in err
    spec.write_text(spec.read_text().replace("flp", "flip"), encoding="utf-8")
    assert main(["check", str(spec), "--color", "never"]) == 1
    err = capsys.readouterr().err
    assert ":3:51: error[E0103]: `rotate` has no argument `degres`" in err
    assert "did you mean `degrees`?" in err


def test_cli_flags_train_and_bad_flags_are_usage_errors(tmp_path, tmp_spec, capsys):
    root = write_images(tmp_path / "pets", {"blue": 4, "red": 4})
    spec = tmp_spec("model m(x: 8×8×3) = Chain(flatten, Dense(192 => 2))\n")
    out = tmp_path / "run"
    assert main(["train", str(spec), "--data", str(root), "--epochs", "1", "--no-progress",
                 "--out", str(out), "--augment", "random_crop(2), flip", "--normalize", "auto"]) == 0
    state = torch.load(out / "last.pt", weights_only=True)
    assert [s["call"] for s in state["config"]["augment"]] == ["random_crop", "flip"]
    assert len(state["normalize"]["mean"]) == 3
    capsys.readouterr()
    assert main(["train", str(spec), "--data", str(root), "--augment", "flip, rotat(3)",
                 "--color", "never"]) == 2
    err = capsys.readouterr().err
    assert "--augment:1:7: error[E0103]: unknown transform `rotat`" in err
    assert "did you mean `rotate`?" in err
    assert main(["train", str(spec), "--data", str(root), "--normalize", "0.5,0"]) == 2
    assert "every std of `normalize` must be > 0" in capsys.readouterr().err


def test_resuming_keeps_the_run_s_transforms_and_says_so():
    from archlang.ir.trainconfig import resumed
    saved = TrainConfig().merge({"augment": "flip"}).to_dict()
    config, warnings = resumed(saved, TrainConfig().merge({"augment": "random_crop(4)"}),
                               ["augment"])
    assert [s["call"] for s in config.augment] == ["flip"]
    assert warnings == ["--augment (random_crop(pad=4)) ignored: the resumed run keeps its "
                        "augment = (flip(p=0.5))"]


@pytest.mark.parametrize("flag, where, message", [
    ("(0.5, ", "--normalize:1:1", "unclosed `(`"),
    ("0.5 0.5", "--normalize:1:5", "found `0.5`"),
])
def test_a_normalize_flag_that_does_not_parse_is_a_positioned_usage_error(flag, where, message,
                                                                          capsys):
    # Read by the spec grammar as --augment and --loss are, and shown as a diagnostic.
    rc = main(["train", str(SPECS / "book/model2.arch"), "--normalize", flag, "--epochs", "1",
               "--color", "never"])
    err = capsys.readouterr().err
    assert rc == 2 and f"{where}: error[" in err and message in err and "Traceback" not in err


@pytest.mark.parametrize("text, mean, std", [
    ("0.5, 0.25", [0.5], [0.25]),
    ("(0.5, 0.25)", [0.5], [0.25]),
    ("(0.4, 0.5, 0.6), (0.2, 0.2, 0.25)", [0.4, 0.5, 0.6], [0.2, 0.2, 0.25]),
])
def test_normalize_flag_texts(text, mean, std):
    assert TrainConfig().merge({"normalize": text}).normalize == {"mean": mean, "std": std}
