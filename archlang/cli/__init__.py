"""The `archlang` command: subcommands, printing and exit codes.

The CLI package is the only part of archlang that prints. Each subcommand is a module here
with `register(subparsers)`; the modules are imported when the parser is built, and must
not import torch at import time (`archlang check` and `draw` never load it).

Exit status: 0 when every model checks, 1 when a spec is wrong, 2 when the command was used
wrongly (missing file, unknown option or model).
"""
from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from .. import __version__

EXIT_OK, EXIT_SPEC, EXIT_USAGE = 0, 1, 2

# Subcommand modules of this package, in the order `archlang --help` lists them.
COMMANDS = ("check", "draw", "diff", "compile", "train", "evaluate", "predict", "show", "fmt", "lsp", "serve",
            "sweep", "from_torch")


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
    from ..present.render import render_text
    stream = stream or sys.stderr
    colour = _colour(args, stream)
    for d in diagnostics:
        print(render_text(d, colour=colour), file=stream)
        print(file=stream)
    errors = sum(d.is_error for d in diagnostics)
    warnings = sum(d.severity == "warning" for d in diagnostics)
    if errors or warnings:
        parts = [f"{errors} error{'s' if errors != 1 else ''}"] if errors else []
        if warnings:
            parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
        print(", ".join(parts), file=stream)


def load_checked(args):
    """Check the file named by args.file; usage errors raise UsageError."""
    from ..api import check
    from ..ir.space import SetError
    if not os.path.exists(args.file):
        raise UsageError(f"no such file: {args.file}")
    if os.path.isdir(args.file):
        raise UsageError(f"{args.file} is a directory; name a .arch file")
    # A Path: FILE is a file name whatever it looks like (`model(1).arch`, `spec.txt`).
    # The checked spec lives until the command ends: the cycle collector need not walk it
    # again (a third of the analysis time of a 10,000-layer spec; docs/performance.md). It is
    # frozen before the collector resumes: resumed first, its first pass walks every object
    # the check made (75 ms for 10,000 layers).
    gc.disable()
    try:
        result = check(Path(args.file), strict=getattr(args, "strict", False), keep_syntax=False,
                       params=set_params(args), sizes=size_values(args))
    except SetError as err:
        raise UsageError(str(err)) from None
    finally:
        gc.freeze()
        gc.enable()
    wanted = getattr(args, "model", None) or []
    names = [m.name for m in result.models]
    # `--model` is one name, or a list where it may be repeated (`train --model a --model b`).
    for name in [wanted] if isinstance(wanted, str) else wanted:
        if name not in names and not result.errors:
            raise UsageError(f"no model named `{name}` in {args.file}; it defines "
                             + (", ".join(names) or "no models"))
    return result


def size_values(args) -> dict[str, int] | None:
    """`--size H=224,W=224` (repeatable) as api.check's `sizes`."""
    out: dict[str, int] = {}
    for text in getattr(args, "size", None) or ():
        for item in text.split(","):
            name, eq, value = item.partition("=")
            if not eq or not name.strip().isidentifier() or not value.strip().isdigit() \
                    or int(value) < 1:
                raise UsageError(f"--size takes NAME=N[,NAME=N], e.g. `--size H=224,W=224`, not `{item}`")
            out[name.strip()] = int(value)
    return out or None


def set_params(args) -> dict[str, str]:
    """`--set NAME=VALUE`s as api.check's `params` (each value an expression's text)."""
    out: dict[str, str] = {}
    for item in getattr(args, "set", None) or ():
        name, eq, value = item.partition("=")
        if not eq or not name.strip() or not value.strip():
            raise UsageError(f"--set takes NAME=VALUE, e.g. `--set depth=3`, not `{item}`")
        if name.strip() in out:
            raise UsageError(f"--set gives `{name.strip()}` twice")
        out[name.strip()] = value.strip()
    return out


@contextmanager
def _plugins(args):
    """The --plugin kinds known while the command runs (PluginError: exit 2)."""
    names = getattr(args, "plugin", None)
    if not names:
        yield
        return
    from ..api import using_plugins
    with using_plugins(names):
        yield


# ---- the parser ----------------------------------------------------------------------------
def common_arguments(p: argparse.ArgumentParser, model: bool = True) -> None:
    """FILE, --model and --color, shared by every subcommand that reads a spec."""
    p.add_argument("file", help="a .arch spec")
    if model:
        p.add_argument("--model", "-m", metavar="NAME", help="only this model (default: all)")
    color_argument(p)
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="a value for one of the spec's `param`s (repeatable); the others keep "
                        "their first value")
    p.add_argument("--size", action="append", metavar="NAME=N,...",
                   help="values of the named input sizes (`x: H×W×3`): check, compile or draw "
                        "the models at those sizes")
    plugin_argument(p)


def color_argument(p: argparse.ArgumentParser) -> None:
    """--color: colour in diagnostics."""
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour in diagnostics (default: auto)")


def plugin_argument(p: argparse.ArgumentParser) -> None:
    """--plugin, repeatable: layer kinds of the user's own (docs/language.md, Custom layers)."""
    p.add_argument("--plugin", action="append", metavar="FILE.py|MODULE",
                   help="load layer kinds declared in Python (a file or a module name; repeatable)")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with `command` only that subcommand: `archlang check`
    need not import and register the nine others (8 ms at every start)."""
    parser = argparse.ArgumentParser(
        prog="archlang",
        description="Describe, check, draw, compile and train neural-network architectures "
                    "written as .arch specs.",
        epilog="Exit status: 0 ok, 1 the spec is wrong, 2 the command was used wrongly.")
    parser.add_argument("--version", action="version", version=f"archlang {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    module = (command or "").replace("-", "_")     # `from-torch` lives in from_torch.py
    for name in (module,) if module in COMMANDS else COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # A known command first: only its parser is built (help, usage errors and an unknown
    # command get the whole one).
    parser = build_parser(argv[0] if argv else None)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:        # argparse: --help/--version exit 0, usage errors exit 2
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    try:
        with _plugins(args):
            return args.func(args)
    except UsageError as err:
        print(f"archlang {args.command}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `archlang check big.arch | head`: the reader left; say nothing more.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:           # noqa: BLE001 — never a bare traceback
        from ..layers.plugins import PluginError
        if isinstance(exc, PluginError):   # a plugin named wrongly or failing to load
            print_diagnostics([exc.diagnostic], args)
            return EXIT_USAGE
        from ..diagnostics import internal_error
        print_diagnostics([internal_error(exc)], args)
        return EXIT_SPEC
