"""The `archlang` command: subcommands, printing and exit codes (the only module that prints).

Exit status: 0 when every model checks, 1 when a spec is wrong, 2 when the command was used
wrongly (missing file, unknown option or model).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from . import __version__

EXIT_OK, EXIT_SPEC, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A mistake in how the command was called: exit status 2."""


def _colour(args, stream) -> bool:
    choice = getattr(args, "color", "auto")
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def print_diagnostics(diagnostics, args, stream=None) -> None:
    from .render import render_text
    stream = stream or sys.stderr
    colour = _colour(args, stream)
    for d in diagnostics:
        print(render_text(d, colour=colour), file=stream)
        print(file=stream)
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    if errors or warnings:
        parts = [f"{errors} error{'s' if errors != 1 else ''}"] if errors else []
        if warnings:
            parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
        print(", ".join(parts), file=stream)


def load_checked(args):
    """Check the file named by args.file; usage errors raise UsageError."""
    from .api import check
    if not os.path.exists(args.file):
        raise UsageError(f"no such file: {args.file}")
    if os.path.isdir(args.file):
        raise UsageError(f"{args.file} is a directory; name a .arch file")
    result = check(args.file)
    if getattr(args, "model", None) and result.ok or (getattr(args, "model", None) and result.models):
        names = [m.name for m in result.models]
        if args.model not in names and not result.errors:
            raise UsageError(f"no model named `{args.model}` in {args.file}; it defines "
                             + (", ".join(names) or "no models"))
    return result


# ---- check ---------------------------------------------------------------------------------
def _json_shape(shape):
    return list(shape) if shape is not None else None


def check_json(result, selected) -> dict:
    from .render import render_json
    models = []
    for m in selected:
        models.append({
            "name": m.name,
            "input_shape": _json_shape(m.input_shape),
            "output_shape": _json_shape(m.output_shape),
            "params": m.params,
            "trainable_params": m.trainable_params,
            "non_trainable_params": m.params - m.trainable_params,
            "state": m.state,
            "ok": m.ok,
            "layers": [{
                "index": i.index,
                "layer": str(i.layer) if i.layer is not None else None,
                "kind": i.layer.kind if i.layer is not None else None,
                "family": i.node.family,
                "input_shapes": [_json_shape(s) for s in i.inputs],
                "output_shape": _json_shape(i.out),
                "params": i.params,
                "state": i.state,
                "scope": [s.label for s in i.node.scope],
                "line": i.node.span.line,
            } for i in m.layers],
        })
    return {"file": result.path, "ok": result.ok, "models": models,
            "diagnostics": [render_json(d) for d in result.diagnostics]}


def cmd_check(args) -> int:
    from .table import render
    result = load_checked(args)
    selected = [m for m in result.models if not args.model or m.name == args.model]
    if args.json:
        print(json.dumps(check_json(result, selected), indent=2, ensure_ascii=False))
        return EXIT_OK if result.ok else EXIT_SPEC
    for i, m in enumerate(selected):
        if i:
            print()
        if m.ok:
            print(render(m, depth=args.depth))
    if not result.models and result.ok and result.program is not None:
        blocks = sorted(result.program.blocks)
        print(f"{args.file}: no models" + (f"; {len(blocks)} blocks: {', '.join(blocks)}" if blocks else ""))
    print_diagnostics(result.diagnostics, args)
    return EXIT_OK if result.ok else EXIT_SPEC


# ---- the parser ----------------------------------------------------------------------------
def _common(p: argparse.ArgumentParser, model: bool = True) -> None:
    p.add_argument("file", help="a .arch spec")
    if model:
        p.add_argument("--model", "-m", metavar="NAME", help="only this model (default: all)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour in diagnostics (default: auto)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archlang",
        description="Describe, check, draw, compile and train neural-network architectures "
                    "written as .arch specs.",
        epilog="Exit status: 0 ok, 1 the spec is wrong, 2 the command was used wrongly.")
    parser.add_argument("--version", action="version", version=f"archlang {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("check", help="check shapes; print per-layer output shapes and parameters",
                       description="Shape-check every model of a spec and print a per-layer table.")
    _common(p)
    p.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    p.add_argument("--depth", type=int, metavar="N", default=None,
                   help="fold blocks nested deeper than N levels into one row")
    p.set_defaults(func=cmd_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:        # argparse: --help/--version exit 0, usage errors exit 2
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    try:
        return args.func(args)
    except UsageError as err:
        print(f"archlang {args.command}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except RecursionError:
        print(f"{getattr(args, 'file', '')}: error[E0009]: the spec is nested too deeply to analyse",
              file=sys.stderr)
        return EXIT_SPEC
