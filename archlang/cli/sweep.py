"""`archlang sweep FILE --check` and `archlang sweep FILE --trials N`.

--check classifies the points of the spec's search space (its `param ... in` declarations)
as valid or invalid, the invalid ones grouped by their located diagnostic
(analysis/space.py), with parameters and MACs per valid point; a model with named input
sizes (`x: W×H×1`) is checked for every size at each point, and the valid points are grouped
by the sizes they accept. Never imports torch or Optuna.
--trials runs an Optuna study in the run folder (train/sweep.py) that trains valid points
with the spec's `train` section, and writes the best point's spec, concrete, to RUN/best.arch.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from . import EXIT_OK, EXIT_SPEC, UsageError, common_arguments, print_diagnostics

EXIT_INTERRUPTED = 130
SHOWN_VALID = 50              # rows of the valid points' table (all of them in --json)
MAX_BOXES = 6                 # parts of a region said in words (all of them in --json)


def _budget(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"a budget is a number such as 5e6, not `{text}`") from None
    if not value > 0:
        raise UsageError(f"a budget must be positive, not `{text}`")
    return value


def register(sub) -> None:
    p = sub.add_parser("sweep", help="check or search the points of a spec's search space",
                       description="The spec's `param NAME in ...` declarations span a search "
                                   "space. --check classifies every point as valid or invalid "
                                   "(with the located reason of each invalid region); --trials N "
                                   "trains N valid points through an Optuna study.")
    common_arguments(p)
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true",
                      help="classify the points statically (no training)")
    mode.add_argument("--trials", type=int, metavar="N",
                      help="train until the study in --out holds N trained points (it resumes)")
    p.add_argument("--json", action="store_true", help="--check: one JSON document")
    p.add_argument("--samples", type=int, default=1000, metavar="N",
                   help="points checked where the space has more than 10,000 or a continuous "
                        "range (default: 1000)")
    p.add_argument("--seed", type=int, default=0, help="seeds the sampling of points (0)")
    p.add_argument("--size-seconds", type=float, default=60.0, metavar="S",
                   help="a model with named input sizes (x: W×H×1): explore the sizes of the "
                        "points for at most S seconds in all, the rest left unexplored (60)")
    p.add_argument("--size-points", type=int, metavar="N",
                   help="... and of at most N points (default: all)")
    p.add_argument("--max-params", metavar="N", help="budget: points with more parameters are "
                                                     "not trained (e.g. 5e6)")
    p.add_argument("--max-macs", metavar="N", help="budget: points with more MACs per sample "
                                                   "are not trained (e.g. 1e9)")
    g = p.add_argument_group("training (--trials; the spec's train section otherwise)")
    g.add_argument("--out", metavar="RUN", help="the run folder: study.db, trial-N/, best.arch "
                                                "(default: runs/SPEC-sweep)")
    g.add_argument("--data", help="the data, as `archlang train --data` takes it")
    g.add_argument("--epochs", type=int, metavar="N")
    g.add_argument("--batch", type=int, metavar="N")
    g.add_argument("--lr", type=float)
    g.add_argument("--train-size", type=int, metavar="N", help="cap on training samples")
    g.add_argument("--val-split", type=float, metavar="F|N", help="validation share or count")
    g.add_argument("--device", metavar="D", help="auto | cpu | cuda | cuda:N")
    g.add_argument("--objective", choices=("auto", "accuracy", "perplexity", "loss"), default="auto",
                   help="what the study optimises (auto: validation perplexity for a language "
                        "model, validation loss for a regression, else validation accuracy)")
    g.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def _parsed(args):
    """The spec parsed once, its space read (api-free: no model is lowered yet)."""
    from ..api import as_source
    from ..diagnostics import Diagnostic, Diagnostics
    from ..ir.program import parse_program
    if not Path(args.file).is_file():
        raise UsageError(f"no such file: {args.file}")
    source = as_source(Path(args.file))
    diags = Diagnostics()
    program = None if isinstance(source, Diagnostic) else parse_program(source, diags)
    if isinstance(source, Diagnostic):
        diags.add(source)
    return program, diags


def run(args) -> int:
    if args.set:
        raise UsageError("sweep ranges over the whole space; --set fixes a point (use `archlang check --set`)")
    if args.samples < 1:
        raise UsageError(f"--samples must be at least 1, not {args.samples}")
    if not args.size_seconds > 0:
        raise UsageError(f"--size-seconds must be positive, not {args.size_seconds:g}")
    if args.size_points is not None and args.size_points < 1:
        raise UsageError(f"--size-points must be at least 1, not {args.size_points}")
    budgets = {k: _budget(v) if v is not None else None
               for k, v in (("max_params", args.max_params), ("max_macs", args.max_macs))}
    program, diags = _parsed(args)
    if diags.has_errors or program is None:
        print_diagnostics(diags.items, args)
        return EXIT_SPEC
    if not program.module.models:
        raise UsageError(f"{args.file} defines no model")
    if args.model and args.model not in [m.name for m in program.module.models]:
        raise UsageError(f"no model named `{args.model}` in {args.file}")
    if not program.space.dimensions:
        raise UsageError(f"{args.file} declares no search space: write `param NAME in 2..6` "
                         "or `param NAME in {32, 64}` (docs/language.md, Search spaces)")
    if args.trials is not None:
        return _trials(args, program, budgets)
    return _check(args, program, budgets)


# ---- --check -------------------------------------------------------------------------------
def _check(args, program, budgets) -> int:
    from ..analysis.space import classify
    from ..present.render import encodable
    found = classify(program, model=args.model, samples=args.samples, seed=args.seed,
                     size_seconds=args.size_seconds, size_points=args.size_points)
    over = [r for r in found.valid if _over(r, budgets)]
    if args.json:
        print(encodable(json.dumps(_json(found, budgets, args), indent=2, ensure_ascii=False)))
    else:
        _print_check(found, over, args, args.model or program.module.models[0].name)
    return EXIT_OK if found.valid else EXIT_SPEC


def _over(result, budgets) -> str | None:
    """The budget a valid point exceeds; a count that is a formula of named input sizes is
    compared at the point's reference sizes (its value there)."""
    from ..symbolic import hint_of
    if budgets["max_params"] is not None and hint_of(result.params) > budgets["max_params"]:
        return "params"
    if budgets["max_macs"] is not None and hint_of(result.macs) > budgets["max_macs"]:
        return "macs"
    return None


def _values(values: list, dim) -> str:
    """Values of one parameter in words: `5`, `{3, 5}`, `≥ 4`, `≤ 2`."""
    from ..ir.space import value_text
    if len(values) == 1:
        return f"= {value_text(values[0])}"
    domain = dim.values()                     # listed values: a dimension of ≤ 10,000 (when())
    at = domain.index(values[0])
    if values == domain[at:at + len(values)] and len(values) > 2:
        if at + len(values) == len(domain):
            return f"≥ {value_text(values[0])}"
        if at == 0:
            return f"≤ {value_text(values[-1])}"
    return "∈ {" + ", ".join(map(value_text, values)) + "}"


def when_text(region, space, sampled: bool) -> str:
    """`depth = 3 and k = 5, or depth = 4`: the values a region's (or a size group's) points
    take."""
    from ..ir.space import value_text
    boxes = []
    for box in region.when(space, sampled):
        parts = []
        for name, values in box.items():
            if isinstance(values, dict):
                parts.append(f"{name} from {value_text(values['min'])} to {value_text(values['max'])}")
            else:
                parts.append(f"{name} {_values(values, space.dimension(name))}")
        boxes.append(" and ".join(parts) or "at every point")
    shown = boxes[:MAX_BOXES] + ([f"… ({len(boxes) - MAX_BOXES} more)"] if len(boxes) > MAX_BOXES else [])
    return ", or ".join(shown) + (" (among the sampled points)" if sampled else "")


def _space_line(space) -> str:
    return ", ".join(f"{d.name} in {d.domain_text}" for d in space.dimensions)


def _how(found, args) -> str:
    """`all 48 points checked`, `1,000 points sampled (seed 0) of 20,000`; with named input
    sizes `… for every input size (W, H)`, and `3 of 10 points …` where a budget stopped."""
    space = found.space
    n = len(found.results) + len(found.unexplored)
    how = (f"{n:,} points sampled (seed {args.seed}) of "
           + (f"{space.size:,}" if space.size is not None else "a continuous space")
           if found.sampled else f"all {n:,} points")
    if found.unexplored:
        how = f"{len(found.results):,} of {how.removeprefix('all ')}"
    how += " checked"
    if found.sized:
        names = _size_names(found)
        how += f" for every input size{f' ({names})' if names else ''}"
    return how


def _size_names(found) -> str:
    for r in found.results:
        if r.input_sizes is not None:
            return ", ".join(r.input_sizes.variables)
    return ""


def _print_check(found, over, args, model: str) -> None:
    from ..ir.space import point_text, value_text
    from ..present.render import render_text
    from ..sizes import sets_text
    from . import _colour
    space = found.space
    print(f"{args.file}: {_space_line(space)}: {_how(found, args)}, "
          f"{found.points_per_second:,.0f} points/s")
    if found.unexplored:
        why = (f"the --size-seconds budget of {found.size_seconds:g} s ran out"
               if found.size_seconds is not None else f"--size-points {args.size_points}")
        print(f"{len(found.unexplored):,} points not explored ({why}; --size-seconds S or "
              f"--size-points N explores more): the counts, regions and groups below are of "
              f"the {len(found.results):,} explored, drawn at random (--seed {args.seed})")
    invalid = len(found.results) - len(found.valid)
    print(f"{len(found.valid):,} valid, {invalid:,} invalid"
          + (f" in {len(found.regions)} region{'s' if len(found.regions) != 1 else ''}" if invalid else ""))
    colour = _colour(args, sys.stdout)
    for region in found.regions:
        d = region.diagnostic
        where = f" at {d.span.location()}" if d.span is not None else ""
        print(f"\ninvalid when {when_text(region, space, found.sampled)}: {len(region.points):,} point"
              f"{'s' if len(region.points) != 1 else ''}, error[{d.code}]{where}, shown at "
              f"{point_text(region.points[0])}{_sizes_of(found, region.points[0])}:")
        print(render_text(d, colour=colour))
    if found.groups:
        print(f"\ninput sizes of the valid points (model {model}; each size with the others at "
              f"the point's reference):")
        for group in found.groups:
            count = len(group.points)
            print(f"  {when_text(group, space, found.sampled)}: {sets_text(group.sizes)}"
                  f"   ({count:,} point{'s' if count != 1 else ''})")
    if over:
        print(f"\n{len(over):,} valid points over the budget (--max-params / --max-macs"
              + ("; compared at each point's reference sizes" if found.sized else "") + ")")
    if not found.valid:
        return
    rows = found.valid[:SHOWN_VALID]
    names = [d.name for d in space.dimensions]
    table = [names + ["params", "MACs"]] + [
        [value_text(r.point[k]) for k in names] + [f"{r.params:,}", f"{r.macs:,}" + (" *" if r in over else "")]
        for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    print(f"\nvalid points (model {model}"
          + ("; counts as formulas of the input sizes" if found.sized else "") + "):")
    for row in table:
        print("  ".join(c.ljust(w) if i < len(names) else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths))).rstrip())
    if len(found.valid) > SHOWN_VALID:
        print(f"… and {len(found.valid) - SHOWN_VALID:,} more (--json lists them all)")
    if over:
        print("* over the budget")


def _sizes_of(found, point: dict) -> str:
    """`, W = 224, H = 224`: the sizes an invalid point's diagnostic was found at."""
    r = next((r for r in found.results if r.point is point), None)
    if r is None or r.input_sizes is None:
        return ""
    return "".join(f", {n} = {v}" for n, v in r.input_sizes.reference.items())


def _json(found, budgets, args) -> dict:
    from ..present.render import render_json
    from ..sizes import sets_text
    from .check import space_json
    space = found.space

    def count(v):
        return v if isinstance(v, int) else str(v)      # a formula: its text (symbolic.parse)
    doc = {
        "file": args.file,
        "space": space_json(space),
        "checked": len(found.results),
        "sampled": found.sampled,
        "seed": args.seed if found.sampled or found.sized else None,
        "points_per_second": round(found.points_per_second, 1),
        "valid": [{"point": r.point, "params": count(r.params), "macs": count(r.macs),
                   "over_budget": _over(r, budgets),
                   **({"input_sizes": r.input_sizes.json()} if r.input_sizes is not None else {})}
                  for r in found.valid],
        "invalid": [{"when": region.when(space, found.sampled),
                     "count": len(region.points), "points": region.points,
                     "diagnostic": render_json(region.diagnostic)} for region in found.regions],
    }
    if found.sized:
        doc["input_sizes"] = [{"when": g.when(space, found.sampled), "count": len(g.points),
                               "points": g.points, "text": sets_text(g.sizes),
                               "sets": {k: v for k, v in g.sizes.json().items() if k != "reference"}}
                              for g in found.groups]
        doc["not_explored"] = found.unexplored
    return doc


# ---- --trials ------------------------------------------------------------------------------
def _objective(args, spec: Path, params: dict, settings: dict):
    """--objective, or for `auto` the one the spec's training calls for: its loss and data
    (the train section at the space's default point, with the command line's settings)."""
    from ..api import train_settings
    from ..train import TrainConfig
    from ..train.sweep import OBJECTIVES, default_objective
    if args.objective != "auto":
        return OBJECTIVES[args.objective]
    config = TrainConfig.from_section(train_settings(spec, args.model, params=params)).merge(settings)
    return default_objective(str(config.loss), config.data)


def _trials(args, program, budgets) -> int:
    from ..api import fit
    from ..diagnostics import SpecError
    from ..ir.space import value_text
    from ..train import TrainError
    from ..ir.space import point_text
    from ..train.sweep import OBJECTIVES, run_study
    if args.trials < 1:
        raise UsageError(f"--trials must be at least 1, not {args.trials}")
    try:
        import optuna  # noqa: F401 — said here, before any work: the engine of --trials
    except ImportError:
        raise UsageError("--trials runs an Optuna study: pip install optuna") from None
    spec = Path(args.file)
    out = Path(args.out) if args.out else Path("runs") / f"{spec.stem}-sweep"
    settings = {k: v for k in ("data", "epochs", "batch", "lr", "train_size", "val_split", "device")
                if (v := getattr(args, k)) is not None}
    if "val_split" in settings and settings["val_split"] >= 1:
        settings["val_split"] = int(settings["val_split"])

    def as_params(point: dict) -> dict:
        return {k: v if isinstance(v, str) else value_text(v) for k, v in point.items()}

    try:
        objective = _objective(args, spec, as_params(program.space.default()), settings)
    except (SpecError, TrainError):
        objective = None        # reported where the first point is checked or trained
    objective = objective or OBJECTIVES["accuracy"]

    def train_point(point: dict, folder: Path) -> float:
        result = fit(spec, args.model, params=as_params(point), out=str(folder), overwrite=True,
                     progress=not args.no_progress, **settings)
        (folder / "spec.arch").write_text(program.space.concrete_text(program.source.text, point),
                                          encoding="utf-8")
        return objective.of(result)

    print(f"{spec}: {_space_line(program.space)}; study {out / 'study.db'}, "
          f"{objective.direction[:-1]}ing validation {objective.name}")
    try:
        outcome = run_study(program, train_point, trials=args.trials, out=out, model=args.model,
                            seed=args.seed, name=spec.stem, objective=objective, **budgets)
    except KeyboardInterrupt:
        print(f"\narchlang sweep: interrupted; the study in {out}/study.db keeps every finished "
              f"trial. Continue with the same command (--out {out}).", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SpecError as err:
        print_diagnostics(err.diagnostics, args)
        return EXIT_SPEC
    except TrainError as err:
        if err.diagnostic is not None:
            print_diagnostics([err.diagnostic], args)
        else:
            print(f"archlang sweep: error: {err}", file=sys.stderr)
        return EXIT_SPEC
    if outcome.exhausted:
        print(f"stopped at {len(outcome.trained)} trained points: no new valid point came in "
              f"{outcome.rejected} asks (is the space's every valid point trained?)")
    if outcome.best is None:
        print("no point trained", file=sys.stderr)
        return EXIT_SPEC
    best = outcome.best
    header = (f"# The best point of `archlang sweep {spec.name}` (trial {best.number}, "
              f"{objective.text(best.value)}): {point_text(best.point)}\n")
    (out / "best.arch").write_text(header + program.space.concrete_text(program.source.text, best.point),
                                   encoding="utf-8")
    print(f"{len(outcome.trained)} trained points ({outcome.new} now, {outcome.rejected} point{'s' if outcome.rejected != 1 else ''} not "
          f"trained); best: trial {best.number}, {point_text(best.point)}, "
          f"{objective.text(best.value)}, {best.params:,} params, {best.macs:,} MACs")
    print(f"wrote {out / 'best.arch'}; open the study with: optuna-dashboard {outcome.storage}")
    return EXIT_OK
