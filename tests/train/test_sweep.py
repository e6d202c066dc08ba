"""`archlang sweep --trials N`: an Optuna study in RUN/study.db that trains only valid
points, resumes where it stopped, and writes the best point's spec concrete."""
from __future__ import annotations

import pytest

pytest.importorskip("torch")
optuna = pytest.importorskip("optuna")

import archlang  # noqa: E402
from archlang.analysis.space import check_point  # noqa: E402
from archlang.cli import main  # noqa: E402
from archlang.diagnostics import Diagnostics  # noqa: E402
from archlang.ir.program import parse_program, read_source  # noqa: E402
from archlang.train.sweep import run_study, storage_url  # noqa: E402
from conftest import FIXTURES  # noqa: E402

from .helpers import one_thread  # noqa: E402,F401  (autouse)

TINY = FIXTURES / "sweep" / "tiny.arch"
POOLS = FIXTURES / "sweep" / "pools.arch"
PRUNED, COMPLETE, FAIL = (optuna.trial.TrialState.PRUNED, optuna.trial.TrialState.COMPLETE,
                          optuna.trial.TrialState.FAIL)


def parsed(path):
    diags = Diagnostics()
    program = parse_program(read_source(path), diags)
    assert not diags.items
    return program


def trials_of(out, name):
    return optuna.load_study(study_name=name, storage=storage_url(out)).get_trials()


def by_params(point: dict) -> float:
    """A stand-in for training: a number that depends on the point."""
    return sum(v for v in point.values() if isinstance(v, (int, float))) / 100


def test_only_valid_points_within_budget_are_trained(tmp_path):
    program = parsed(POOLS)
    trained = []
    outcome = run_study(program, lambda point, folder: trained.append(point) or by_params(point),
                        trials=8, out=tmp_path, seed=0, max_params=6000, name="pools", log=lambda s: None)
    assert len(outcome.trained) == len(trained) == 8 == outcome.new
    assert len({tuple(p.values()) for p in trained}) == 8              # never trained twice
    for p in trained:
        checked = check_point(program, p)
        assert checked.ok and checked.params <= 6000
    rejected = [t for t in trials_of(tmp_path, "pools") if t.state == PRUNED]
    assert rejected and len(rejected) == outcome.rejected - sum(
        "repeat_of" in t.user_attrs for t in trials_of(tmp_path, "pools"))
    for t in rejected:
        reason = t.user_attrs["rejected"]
        assert reason.startswith(("invalid: error[E0302] at ", "over budget: "))
        assert not check_point(program, t.params).ok or check_point(program, t.params).params > 6000
    assert outcome.best.value == max(by_params(p) for p in trained)


def test_an_interrupted_study_resumes(tmp_path):
    program = parsed(POOLS)
    calls = []

    def interrupted_on_the_second(point, folder):
        calls.append(point)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return by_params(point)

    with pytest.raises(KeyboardInterrupt):
        run_study(program, interrupted_on_the_second, trials=4, out=tmp_path, name="pools", log=lambda s: None)
    states = [t.state for t in trials_of(tmp_path, "pools") if t.state != PRUNED]
    assert states == [COMPLETE, FAIL]                   # the interrupted one is not counted
    outcome = run_study(program, lambda point, folder: by_params(point), trials=4, out=tmp_path,
                        name="pools", log=lambda s: None)
    assert (len(outcome.trained), outcome.new) == (4, 3)
    assert sum(t.state == COMPLETE and bool(t.user_attrs.get("trained")) for t in trials_of(tmp_path, "pools")) == 4


def test_a_small_space_stops_when_its_valid_points_are_trained(tmp_path):
    # pools.arch has 10 valid points; asking for 12 trains the 10 and then gives up.
    outcome = run_study(parsed(POOLS), lambda point, folder: by_params(point), trials=12,
                        out=tmp_path, name="pools", log=lambda s: None)
    assert outcome.exhausted and len(outcome.trained) == 10


def test_sweep_trials_trains_and_resumes_through_the_cli(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["sweep", str(TINY), "--out", str(out), "--no-progress", "--seed", "1"]
    assert main(args + ["--trials", "2"]) == 0
    assert main(args + ["--trials", "4"]) == 0
    printed = capsys.readouterr().out
    trials = trials_of(out, "tiny")
    trained = [t for t in trials if t.state == COMPLETE and t.user_attrs.get("trained")]
    assert len(trained) == 4
    assert "4 trained points (2 now" in printed
    assert f"optuna-dashboard sqlite:///{(out / 'study.db').resolve()}" in printed
    for t in trained:                                   # each trial's run folder and spec
        assert (out / f"trial-{t.number}" / "metrics.csv").is_file()
        assert 0 <= t.value <= 1 and t.params["depth"] in (1, 2, 3)
    best = max(trained, key=lambda t: t.value)
    text = (out / "best.arch").read_text()
    assert f"param depth = {best.params['depth']}\n" in text and " in 1..4" not in text
    concrete = archlang.check(out / "best.arch")
    assert concrete.ok and concrete.models[0].params == best.user_attrs["params"]


@pytest.mark.slow
def test_eight_valid_points_trained_on_real_digits(tmp_path):
    out = tmp_path / "run"
    assert main(["sweep", str(TINY), "--trials", "8", "--out", str(out), "--no-progress",
                 "--epochs", "2", "--train-size", "1000"]) == 0
    trained = [t for t in trials_of(out, "tiny") if t.state == COMPLETE and t.user_attrs.get("trained")]
    assert len(trained) == 8 and len({tuple(t.params.items()) for t in trained}) == 8
    assert max(t.value for t in trained) > 0.3          # better than chance (10 classes)


def test_an_interrupt_while_checking_leaves_no_running_trial(tmp_path, monkeypatch):
    import archlang.train.sweep as sweep

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(sweep, "check_point", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_study(parsed(POOLS), lambda point, folder: 0.5, trials=2, out=tmp_path, name="pools",
                  log=lambda s: None)
    assert [t.state for t in trials_of(tmp_path, "pools")] == [FAIL]


def test_train_set_trains_one_point_of_the_space(tmp_path):
    out = tmp_path / "point"
    assert main(["train", str(TINY), "--set", "depth=2", "--set", "rate=0.01", "--out", str(out),
                 "--no-progress"]) == 0
    header, first = (out / "metrics.csv").read_text().splitlines()[:2]
    assert first.split(",")[header.split(",").index("lr")] == "0.01"          # lr = rate
    import torch
    state = torch.load(out / "best.pt", weights_only=True)["model"]
    convs = [k for k, v in state.items() if k.endswith("weight") and v.dim() == 4]
    assert len(convs) == 2                                                    # depth = 2


def test_the_objective_follows_the_loss_and_the_data():
    from archlang.train.sweep import default_objective
    assert default_objective("crossentropy", "digits").name == "accuracy"
    assert default_objective("crossentropy", {"call": "kjv", "kwargs": {"stride": 16}}).name == "perplexity"
    assert default_objective("next_token", "text(book.txt)").name == "perplexity"
    assert default_objective("crossentropy", {"call": "text_classes"}).name == "accuracy"
    assert default_objective("mse", "table.csv").name == "loss"
    assert default_objective("crossentropy(out) + 0.3 * crossentropy(aux)", None).name == "accuracy"


def test_a_minimising_study_keeps_the_lowest_value(tmp_path):
    from archlang.train.sweep import OBJECTIVES
    outcome = run_study(parsed(POOLS), lambda point, folder: by_params(point), trials=4, out=tmp_path,
                        objective=OBJECTIVES["loss"], name="pools", log=lambda s: None)
    assert outcome.best.value == min(t.value for t in outcome.trained)
    study = optuna.load_study(study_name="pools", storage=storage_url(tmp_path))
    assert study.direction == optuna.study.StudyDirection.MINIMIZE
    assert study.user_attrs["objective"] == "loss"


def test_a_language_model_sweep_minimises_validation_perplexity(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["sweep", str(FIXTURES / "sweep" / "charlm_space.arch"), "--out", str(out), "--no-progress"]
    assert main(args + ["--trials", "2"]) == 0
    printed = capsys.readouterr().out
    assert "minimizing validation perplexity" in printed
    trained = [t for t in trials_of(out, "charlm_space") if t.state == COMPLETE]
    assert len(trained) == 2 and all(1 < t.value < 70 for t in trained)   # 70 characters: chance
    best = min(trained, key=lambda t: t.value)
    assert f"validation perplexity {best.value:.4g}" in (out / "best.arch").read_text()
    # The study is resumed only for the objective it was made for.
    assert main(args + ["--trials", "3", "--objective", "accuracy"]) == 1
    assert "optimises validation perplexity, not accuracy" in capsys.readouterr().err


def test_points_of_a_spec_with_named_sizes_are_counted_at_their_reference_size(tmp_path):
    # strip(x: W×16×1): counts are formulas of W; the study stores them at W = 224.
    program = parsed(FIXTURES / "sweep" / "strip_depth.arch")
    outcome = run_study(program, lambda point, folder: by_params(point), trials=4, out=tmp_path,
                        name="strip", max_macs=280_000, log=lambda s: None)
    trained = {t.point["depth"]: t for t in outcome.trained}
    # depth 1: 576·W + 40 MACs = 129,064; depth 2: + 1,152·⌊W/2⌋ = 258,088; depth 3
    # (+ 576·⌊W/4⌋ = 290,344) and 4 (+ 288·⌊W/8⌋ = 298,408) are over the budget, depth 5
    # checks at no width.
    assert sorted(trained) == [1, 2] and outcome.exhausted
    assert trained[1].macs == 129_064 and trained[2].macs == 258_088 and trained[2].params == 238
    rejected = {t.params["depth"]: t.user_attrs["rejected"] for t in trials_of(tmp_path, "strip")
                if t.state == PRUNED}
    assert rejected[3] == "over budget: 290,344 MACs > --max-macs 280,000"
    assert rejected[4] == "over budget: 298,408 MACs > --max-macs 280,000"
    assert rejected[5].startswith("invalid: error[E0302]")
