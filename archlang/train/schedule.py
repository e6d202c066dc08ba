"""Learning-rate schedules as pure functions of the step, so a resumed run continues on
exactly the same curve: constant, cosine (to 0), step (×gamma every `every` epochs) and
one-cycle (PyTorch's OneCycleLR: a cosine warm-up from lr/25 over pct_start of the steps,
then a cosine decay to lr/25/10⁴)."""

from __future__ import annotations

import math


def lr_at(config, step: int, steps_per_epoch: int) -> float:
    """The learning rate of global step `step` (0-based) of a run of config.epochs epochs."""
    base, kind, kw = config.lr, config.schedule, config.schedule_kwargs
    total = max(1, config.epochs * steps_per_epoch)
    if kind == "cosine":
        return base * 0.5 * (1 + math.cos(math.pi * min(step, total) / total))
    if kind == "step":
        return base * kw["gamma"] ** ((step // steps_per_epoch) // kw["every"])
    if kind == "onecycle":
        start, end = base / 25, base / 25 / 1e4
        up = max(1.0, kw["pct_start"] * total - 1)
        if step <= up:
            return _cos(start, base, step / up)
        return _cos(base, end, min(1.0, (step - up) / max(1.0, total - 1 - up)))
    return base


def _cos(a: float, b: float, t: float) -> float:
    return b + (a - b) / 2 * (1 + math.cos(math.pi * t))
