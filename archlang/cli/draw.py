"""`archlang draw FILE [--model NAME] [-o OUT.svg|png|pdf|dot]`: the architecture diagram.

Without -o the DOT source goes to stdout (`archlang draw f.arch | dot -Tpng > f.png`).
A spec with errors prints its diagnostics and exits 1; a model that got as far as the shape
check is still drawn, its failing layers in red.
"""
from __future__ import annotations

import argparse
import sys

from . import EXIT_OK, EXIT_SPEC, EXIT_USAGE, UsageError, common_arguments, load_checked, \
    print_diagnostics


def register(sub) -> None:
    p = sub.add_parser("draw", help="draw a model's layer graph with Graphviz (SVG, PNG, PDF, DOT)",
                       description="Draw one model of a spec: layers with their output shapes "
                                   "and parameters, coloured by family; blocks as clusters.")
    common_arguments(p)
    for action in p._actions:
        if action.dest == "model":
            action.help = "the model to draw (default: the first)"
    p.add_argument("-o", "--output", metavar="OUT",
                   help="the file to write: .svg, .png, .pdf (need Graphviz's `dot`) or .dot "
                        "(default: DOT source on stdout)")
    p.add_argument("--rankdir", choices=("TB", "LR", "BT", "RL"), default="TB",
                   help="flow direction: TB top to bottom (default), LR left to right")
    p.add_argument("--collapse", action="store_true",
                   help="draw every top-level block and repeat as one box with subtotals")
    p.add_argument("--depth", type=int, metavar="N", default=None,
                   help="open N-1 levels of blocks and repeats, draw the next level as "
                        "single boxes (1 = --collapse)")
    p.add_argument("--fold-repeats", action="store_true",
                   help="draw repeat(n, …) as its first copy, labelled × n")
    p.add_argument("--merge-activations", action=argparse.BooleanOptionalAction, default=True,
                   help="merge a standalone activation into the layer before it (default: on)")
    p.add_argument("--edge-shapes", action=argparse.BooleanOptionalAction, default=True,
                   help="label edges with the tensor shape where it changes (default: on)")
    p.add_argument("--legend", action=argparse.BooleanOptionalAction, default=True,
                   help="a title with totals and a colour legend (default: on)")
    p.set_defaults(func=run)


def check_output(path: str | None) -> None:
    """UsageError unless `-o PATH` names a format a drawing can be written in."""
    if path:
        from ..draw import FORMATS
        suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
        if suffix not in (*FORMATS, "gv"):
            raise UsageError(f"cannot tell the format of `{path}`; "
                             "name a .svg, .png, .pdf or .dot file")


def written(dot, path: str, command: str) -> int | None:
    """Write a drawing to `path`: None when written, else the exit status (2) after saying
    why (`archlang COMMAND: error: ...`)."""
    from ..draw import DotMissing, write
    try:
        write(dot, path)
    except DotMissing as err:
        print(f"archlang {command}: error: writing .{err} needs Graphviz's `dot` program, which is "
              f"not on PATH\n  = help: install the Debian package `graphviz` "
              f"(sudo apt-get install graphviz), or write DOT with `-o NAME.dot`",
              file=sys.stderr)
        return EXIT_USAGE
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror or err}") from None
    return None


def failed_nodes(report, diagnostics) -> set[int]:
    """Nodes at whose call (or argument) an error points: the ones to draw in red."""
    where = {(d.span.source.path, d.span.start, d.span.end) for d in diagnostics
             if d.is_error and d.span is not None}
    out = set()
    for node in report.model.graph.nodes:
        spans = [node.span, *node.spans.values()]
        if any(s is not None and (s.source.path, s.start, s.end) in where for s in spans):
            out.add(node.id)
        elif node.layer is None and node.inputs:
            out.add(node.id)
    return out


def run(args) -> int:
    from ..draw import digraph
    check_output(args.output)
    if args.depth is not None and args.depth < 1:
        raise UsageError("--depth must be 1 or more")
    result = load_checked(args)
    models = [m for m in result.models if not args.model or m.name == args.model]
    if not models:
        print_diagnostics(result.diagnostics, args)
        if result.ok:
            raise UsageError(f"{args.file} defines no model to draw")
        return EXIT_SPEC
    report = models[0]
    if len(models) > 1:
        print(f"archlang draw: note: {args.file} defines {len(models)} models; drawing "
              f"`{report.name}` (choose one with --model)", file=sys.stderr)
    dot = digraph(report, rankdir=args.rankdir, collapse=args.collapse, depth=args.depth,
                  fold_repeats=args.fold_repeats, merge_activations=args.merge_activations,
                  edge_shapes=args.edge_shapes, legend=args.legend,
                  failed=failed_nodes(report, result.diagnostics) if not result.ok else ())
    status = EXIT_OK if result.ok else EXIT_SPEC
    print_diagnostics(result.diagnostics, args)
    if not args.output:
        print(dot.source)
        return status
    failed = written(dot, args.output, "draw")
    if failed is not None:
        return failed
    if not result.ok:
        print(f"archlang draw: wrote {args.output}; the layers that fail are drawn in red",
              file=sys.stderr)
    return status
