"""Learning-rate schedules against PyTorch's own schedulers as oracles."""

import math

import pytest
import torch

from archlang.train import TrainConfig, TrainError
from archlang.train.schedule import lr_at


def _torch_lrs(make, steps):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = make(opt)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


def test_onecycle_matches_pytorchs_one_cycle_lr():
    cfg = TrainConfig().merge({"lr": 0.1, "epochs": 3, "schedule": "onecycle"})
    ours = [lr_at(cfg, s, 7) for s in range(21)]
    theirs = _torch_lrs(lambda o: torch.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.1, total_steps=21, anneal_strategy="cos", cycle_momentum=False), 21)
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)


def test_cosine_matches_cosine_annealing_and_step_matches_step_lr():
    cfg = TrainConfig().merge({"lr": 0.1, "epochs": 2, "schedule": "cosine"})
    theirs = _torch_lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10), 10)
    assert [lr_at(cfg, s, 5) for s in range(10)] == pytest.approx(theirs, rel=1e-9)
    assert lr_at(cfg, 5, 5) == pytest.approx(0.05)                      # half way: lr / 2
    cfg = TrainConfig().merge({"lr": 0.1, "epochs": 6, "schedule": "step(every=2, gamma=0.5)"})
    per_epoch = [lr_at(cfg, e * 4, 4) for e in range(6)]
    assert per_epoch == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.025])


def test_schedule_settings_are_checked():
    assert TrainConfig().merge({"schedule": "StepLR(3)"}).schedule_kwargs == {"every": 3, "gamma": 0.1}
    for bad, message in (("linear", "unknown learning-rate schedule"),
                         ("step(every=0)", "`every` must be an integer ≥ 1"),
                         ("cosine(3)", "at most 0 arguments"),
                         ("onecycle(pct_start=1.5)", "below 1"),
                         ("step(period=2)", "has no setting `period`")):
        with pytest.raises(TrainError, match=message):
            TrainConfig().merge({"schedule": bad})
    assert math.isclose(lr_at(TrainConfig(), 123, 10), 1e-3)          # constant
