"""A search over a spec's space as an Optuna study (`archlang sweep FILE --trials N`).

The study lives in RUN/study.db (`sqlite:///RUN/study.db`, the URL `optuna-dashboard` opens)
and is loaded when it exists, so a sweep that stopped (Ctrl-C, a crash) goes on where it
was: `--trials N` asks for N trained points in the study in all, counting those of earlier
runs. Optuna is imported only here, when a sweep runs.

Only valid points are trained. Each point Optuna's sampler proposes (TPE, `suggest_*` over
the declared domains) is checked statically first (analysis/space.check_point, the parsed
spec lowered again at the point: milliseconds); a point that does not check, or is over
the `max_params` / `max_macs` budget, is told to Optuna as PRUNED with its reason as a user
attribute, and another point is asked for. Why pruned and not failed: TPE ignores FAILED
trials, so it would keep proposing the invalid region (the bias optuna#2478 reports); it ranks
a PRUNED trial without intermediate values below every completed one, so it learns to move
away from the region while the trained points alone count towards N. A point already
trained is told the value it had (the sampler's picture stays true) and not trained again.

Training is the caller's (`train_point`: the CLI trains through the Python API's `fit`, which
this layer may not import); it returns the point's value of the study's Objective: validation
accuracy (maximised) for a classifier, validation perplexity (minimised) for a language model,
validation loss (minimised) for a regression (`default_objective`, or `--objective`).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

from ..analysis.space import check_point
from ..ir.program import Program
from ..ir.space import Space, point_text
from ..records import dataclass
from ..ir.trainconfig import TrainError
from ..symbolic import hint_of

# Points asked for per trained point before the sweep gives up (a space almost all invalid;
# a finite space stops as soon as each of its points has been asked for).
ASKS_PER_TRIAL = 50
# The exploration of a point's valid input sizes (a spec with named sizes), per point.
SIZE_SECONDS = 10.0


@dataclass(frozen=True)
class Objective:
    """What a sweep optimises: a score of a trained point's best epoch, and which way."""
    name: str                 # accuracy | perplexity | loss
    direction: str            # maximize | minimize (Optuna's words)

    def of(self, result) -> float:
        """The score of a TrainResult (train/loop.py): its best epoch's row."""
        if self.name == "accuracy":
            return result.best_val_acc
        row = next((r for r in result.history if r["epoch"] == result.best_epoch), None)
        key = "val_ppl" if self.name == "perplexity" else "val_loss"
        return math.nan if row is None else float(row.get(key, math.nan))

    def text(self, value: float) -> str:
        """`validation accuracy 97.1%`, `validation perplexity 4.01`, `validation loss 0.0123`."""
        shown = f"{100 * value:.1f}%" if self.name == "accuracy" else f"{value:.4g}"
        return f"validation {self.name} {shown}"

    def best(self, trained: list) -> "Trained | None":
        if not trained:
            return None
        pick = max if self.direction == "maximize" else min
        return pick(trained, key=lambda t: t.value)


OBJECTIVES = {"accuracy": Objective("accuracy", "maximize"),
              "perplexity": Objective("perplexity", "minimize"),
              "loss": Objective("loss", "minimize")}
ACCURACY = OBJECTIVES["accuracy"]


def default_objective(loss: str, data) -> Objective:
    """A language model's perplexity (the loss next_token, or a text source's next tokens), a
    regression's validation loss (mse), else a classifier's accuracy. `data` is a train
    section's data setting: a name, `name(args)`, or a call as data ({"call": name, …})."""
    from .text import OWN_VALIDATION
    source = data.get("call", "") if isinstance(data, dict) else str(data or "").split("(")[0].strip()
    if "next_token" in loss or source in OWN_VALIDATION:
        return OBJECTIVES["perplexity"]
    if "crossentropy" not in loss and "localization" not in loss:
        return OBJECTIVES["loss"]
    return ACCURACY


@dataclass
class Trained:
    number: int            # Optuna's trial number
    point: dict
    value: float
    params: int
    macs: int


@dataclass
class StudyOutcome:
    storage: str
    trained: list[Trained]          # every trained point of the study, earlier runs' too
    new: int                        # trained by this run
    rejected: int                   # points this run asked for and did not train
    best: Trained | None
    exhausted: bool = False         # stopped before N: no new valid point came
    objective: Objective = ACCURACY


def storage_url(out: Path) -> str:
    return f"sqlite:///{(out / 'study.db').resolve()}"


def suggest(trial, space: Space) -> dict:
    """A point of `space` from Optuna's trial: suggest_int / suggest_float (with the step
    when the range has one) / suggest_categorical over the labels, in declaration order."""
    point = {}
    for d in space.dimensions:
        if d.kind == "choice":
            point[d.name] = trial.suggest_categorical(d.name, list(d.labels))
        elif d.kind == "int":
            point[d.name] = trial.suggest_int(d.name, d.low, d.high, step=d.step)
        else:
            point[d.name] = trial.suggest_float(d.name, d.low, d.high, step=d.step)
    return point


def run_study(program: Program, train_point: Callable[[dict, Path], float], *, trials: int,
              out: Path, model: str | None = None, max_params: float | None = None,
              max_macs: float | None = None, seed: int = 0, name: str = "sweep",
              objective: Objective = ACCURACY, log: Callable[[str], None] = print) -> StudyOutcome:
    """Run (or continue) the study in `out` until it holds `trials` trained points.
    `train_point(point, folder)` trains one point into `folder` and returns its score of
    `objective`; a study is resumed only for the objective it was made for (TrainError).
    KeyboardInterrupt while training: that trial is told FAILED (it does not count)
    and the interrupt goes on; the study resumes from the same `out`."""
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    out.mkdir(parents=True, exist_ok=True)
    storage = storage_url(out)
    # The sampler's seed moves on with the study: a resumed sweep does not propose the
    # points of its first run again.
    study = optuna.create_study(study_name=name, storage=storage, load_if_exists=True,
                                direction=objective.direction)
    made_for = study.user_attrs.get("objective")
    if made_for is None:
        study.set_user_attr("objective", objective.name)
    elif made_for != objective.name:
        raise TrainError(f"the study in {out / 'study.db'} optimises validation {made_for}, not "
                         f"{objective.name}", f"resume it with --objective {made_for}, or start "
                                               "another with --out")
    study.sampler = optuna.samplers.TPESampler(seed=seed + len(study.get_trials(deepcopy=False)))
    trained = [_trained(t) for t in study.get_trials(deepcopy=False)
               if t.state == optuna.trial.TrialState.COMPLETE and t.user_attrs.get("trained")]
    new = rejected = asks = 0
    space = program.space
    # Every point asked for so far, earlier runs' too: once a finite space's points have all
    # been seen, no new valid point can come.
    seen = {_key(t.params) for t in study.get_trials(deepcopy=False) if t.state in (
        optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)}
    while len(trained) < trials:
        if asks >= ASKS_PER_TRIAL * trials or (space.size is not None and len(seen) >= space.size):
            return _outcome(storage, trained, new, rejected, objective, exhausted=True)
        asks += 1
        trial = study.ask()
        try:
            done = _trial(study, trial, program, train_point, trained, seen, out=out, model=model,
                          max_params=max_params, max_macs=max_macs, objective=objective, log=log)
        except BaseException:
            # Ctrl-C or an error, wherever it came: the trial is FAILED, never left RUNNING,
            # and does not count; the study resumes without it.
            running = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
            if any(t.number == trial.number for t in running):
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            raise
        if done is None:
            rejected += 1
            continue
        trained.append(done)
        new += 1
        log(f"trial {done.number}: {point_text(done.point)}: {done.params:,} params, "
            f"{done.macs:,} MACs → {objective.text(done.value)}"
            + (" (best so far)" if objective.best(trained) is done else ""))
    return _outcome(storage, trained, new, rejected, objective)


def _trial(study, trial, program: Program, train_point, trained: list[Trained], seen: set, *,
           out: Path, model, max_params, max_macs, objective: Objective, log) -> Trained | None:
    """One asked-for trial, told to the study: the Trained point, or None where it was not
    trained (invalid, over budget, or a repeat of a trained point)."""
    import optuna
    point = suggest(trial, program.space)
    seen.add(_key(point))
    # As `sweep --check` and `check --set` check a point: a model with named input sizes for
    # every size (valid where some size is), its counts at the reference sizes.
    checked = check_point(program, point, model, size_seconds=SIZE_SECONDS)
    reason = _reason(checked, max_params, max_macs)
    if reason is not None:
        trial.set_user_attr("rejected", reason)
        study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        log(f"trial {trial.number}: {point_text(point)}: not trained, {reason}")
        return None
    same = next((t for t in trained if t.point == point), None)
    if same is not None:
        trial.set_user_attr("repeat_of", same.number)
        study.tell(trial, same.value)
        log(f"trial {trial.number}: {point_text(point)}: trained as trial {same.number}; its "
            f"{objective.name} told again")
        return None
    # A spec with named input sizes counts in formulas of them: stored (and compared with a
    # budget, and shown) at the point's reference sizes, the sizes its training runs at.
    params, macs = hint_of(checked.params), hint_of(checked.macs)
    trial.set_user_attr("params", params)
    trial.set_user_attr("macs", macs)
    value = train_point(point, out / f"trial-{trial.number}")
    if value is None or math.isnan(value):
        raise TrainError(f"the trained point has no validation {objective.name}, which this sweep "
                         f"{objective.direction[:-1]}es",
                         "give the data a validation split (val_split > 0)" if objective.name != "accuracy"
                         else "a sweep of a model without classes: --objective loss (or perplexity)")
    trial.set_user_attr("trained", True)
    study.tell(trial, value)
    return Trained(trial.number, point, value, params, macs)


def _key(point: dict) -> tuple:
    return tuple(sorted(point.items()))


def _trained(t) -> Trained:
    return Trained(t.number, dict(t.params), t.value, t.user_attrs.get("params", 0),
                   t.user_attrs.get("macs", 0))


def _reason(checked, max_params, max_macs) -> str | None:
    if checked.errors:
        d = checked.errors[0]
        where = f" at {d.span.location()}" if d.span is not None else ""
        return f"invalid: error[{d.code}]{where}: {d.message}"
    params, macs = hint_of(checked.params), hint_of(checked.macs)
    if max_params is not None and params > max_params:
        return f"over budget: {params:,} params > --max-params {max_params:,.0f}"
    if max_macs is not None and macs > max_macs:
        return f"over budget: {macs:,} MACs > --max-macs {max_macs:,.0f}"
    return None


def _outcome(storage, trained, new, rejected, objective: Objective, exhausted=False) -> StudyOutcome:
    return StudyOutcome(storage, trained, new, rejected, objective.best(trained), exhausted, objective)
