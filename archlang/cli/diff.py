"""`archlang diff A.arch B.arch [--model NAME] [--json] [-o OUT.svg|png|pdf|dot]`: two models
compared stage by stage (archlang/analysis/diff.py), as a table, JSON, or a drawing.

`FILE:NAME` picks a model of one file (`archlang diff nets.arch:small nets.arch:large`);
`--model NAME` picks it in both. Differences are not an error: exit 0 whenever the comparison
was made, 1 when either spec is wrong (its diagnostics are printed as `check` prints them),
2 for a wrong command line. Never imports torch.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from . import EXIT_OK, EXIT_SPEC, UsageError, color_argument, load_checked, plugin_argument, \
    print_diagnostics
from .check import analyses, analysis_arguments
from .draw import check_output, written


def register(sub) -> None:
    p = sub.add_parser("diff", help="compare two models stage by stage: parameters, MACs, memory, "
                                    "receptive field, output shape",
                       description="Compare model A with model B stage by stage (each top-level "
                                   "element of the body): what was added, removed or changed, "
                                   "with deltas and totals.",
                       epilog="Exit status: 0 the models were compared (differences are not an "
                              "error), 1 a spec is wrong, 2 the command was used wrongly.")
    p.add_argument("a", metavar="A", help="the first spec, FILE.arch or FILE.arch:MODEL")
    p.add_argument("b", metavar="B", help="the second spec, FILE.arch or FILE.arch:MODEL")
    p.add_argument("--model", "-m", metavar="NAME",
                   help="the model to compare in both files (default: each file's first; "
                        "FILE:MODEL picks one file's)")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="also draw both models side by side, differences coloured: .svg, .png, "
                        ".pdf (need Graphviz's `dot`) or .dot")
    p.add_argument("--depth", type=int, metavar="N", default=1,
                   help="drawing: open N-1 levels of blocks and repeats (default 1: every stage "
                        "is one box)")
    p.add_argument("--rankdir", choices=("TB", "LR", "BT", "RL"), default="TB",
                   help="drawing: flow direction (default: TB, top to bottom)")
    analysis_arguments(p)
    color_argument(p)
    plugin_argument(p)
    p.set_defaults(func=run)


def split_spec(text: str, model: str | None) -> tuple[str, str | None]:
    """`FILE:NAME` → (FILE, NAME) when FILE exists and the whole text is no file; else
    (text, model): a file name may itself hold a colon."""
    if not os.path.exists(text) and ":" in text:
        path, _, name = text.rpartition(":")
        if name and os.path.exists(path):
            return path, name
    return text, model


def _chosen(result, path: str, name: str | None):
    """The model to compare in a checked file (load_checked has made sure `name` exists)."""
    if not result.models:
        raise UsageError(f"{path} defines no model to compare")
    if name is not None:
        return result.model(name)
    if len(result.models) > 1:
        print(f"archlang diff: note: {path} defines {len(result.models)} models; comparing "
              f"`{result.models[0].name}` (choose with --model or {path}:NAME)", file=sys.stderr)
    return result.models[0]


def run(args) -> int:
    from ..analysis.diff import SCHEMA, compare
    from ..present.render import encodable, render_json
    check_output(args.output)
    if args.depth < 1:
        raise UsageError("--depth must be 1 or more")
    files, results = [], []
    for text in (args.a, args.b):
        path, name = split_spec(text, args.model)
        files.append((path, name))
        results.append(load_checked(argparse.Namespace(file=path, model=name, strict=False)))
    if not all(r.ok for r in results):
        diagnostics = [d for r in results for d in r.diagnostics]
        if args.json:
            print(encodable(json.dumps({
                "schema": SCHEMA, "ok": False, "a": {"file": files[0][0]}, "b": {"file": files[1][0]},
                "diagnostics": [render_json(d) for d in diagnostics]}, indent=2, ensure_ascii=False)))
        else:
            print_diagnostics(diagnostics, args)
        return EXIT_SPEC
    reports = [_chosen(r, path, name) for r, (path, name) in zip(results, files)]
    a, b = (analyses([report], args)[report.name] for report in reports)
    diff = compare(a, b, files[0][0], files[1][0])
    # Warnings (receptive fields that do not line up, --strict's): on stderr, as check's.
    diagnostics = [d for r in results for d in r.diagnostics] + a.warnings + b.warnings
    if args.json:
        print(encodable(json.dumps({**diff.json(), "ok": True,
                                    "diagnostics": [render_json(d) for d in diagnostics]},
                                   indent=2, ensure_ascii=False)))
    else:
        print(encodable(str(diff)))
        print_diagnostics(diagnostics, args)
    if args.output:
        from ..draw.compare import diff_digraph
        failed = written(diff_digraph(diff, rankdir=args.rankdir, depth=args.depth), args.output,
                         "diff")
        if failed is not None:
            return failed
    return EXIT_OK
