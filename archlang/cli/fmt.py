"""`archlang fmt FILE… [--check] [--diff]`: rewrite specs in the canonical layout.

A file that does not parse gets the diagnostics `archlang check` gives it and is left as it
is. `-` formats standard input to standard output. Exit status: 0 when every file is (or now
is) formatted; 1 when a file does not parse, or `--check` finds one that would change; 2 for a
missing file.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from . import EXIT_OK, EXIT_SPEC, UsageError, print_diagnostics


def register(sub) -> None:
    p = sub.add_parser("fmt", help="rewrite specs in the canonical layout (comments kept)",
                       description="Format .arch specs: indentation, spacing, one layer per line "
                                   "in long chains, aligned trailing comments. The meaning of a "
                                   "spec never changes.")
    p.add_argument("files", nargs="+", metavar="FILE", help=".arch specs; - for standard input")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if a file is not formatted")
    p.add_argument("--diff", action="store_true", help="write nothing; print what would change")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour in diagnostics (default: auto)")
    p.set_defaults(func=run)


def _read(name: str):
    from ..ir.program import read_source
    from ..source import Source
    if name == "-":
        return Source("<stdin>", sys.stdin.read())
    if not os.path.exists(name):
        raise UsageError(f"no such file: {name}")
    if os.path.isdir(name):
        raise UsageError(f"{name} is a directory; name .arch files")
    return read_source(name)


def _write(path: str, text: str) -> None:
    """Replace the file in one step, so that an interrupted run never leaves half a spec."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, target.stat().st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(args) -> int:
    from ..diagnostics import Diagnostic
    from ..syntax.format import FormatError, format_source
    sources = [_read(name) for name in args.files]      # usage errors before any work
    status, changed, bad = EXIT_OK, [], 0
    for name, source in zip(args.files, sources):
        if isinstance(source, Diagnostic):
            print_diagnostics([source], args)
            status, bad = EXIT_SPEC, bad + 1
            continue
        try:
            text = format_source(source)
        except FormatError as err:
            text = err.diagnostic
        if isinstance(text, Diagnostic):
            print_diagnostics([text], args)
            status, bad = EXIT_SPEC, bad + 1
            continue
        if name == "-" and not (args.check or args.diff):
            sys.stdout.write(text)
            continue
        if text == source.text:
            continue
        changed.append(name)
        if args.diff:
            import difflib         # --diff only: not on every start of the CLI
            sys.stdout.writelines(difflib.unified_diff(
                source.text.splitlines(keepends=True), text.splitlines(keepends=True),
                f"{name} (before)", f"{name} (formatted)"))
        if args.check:
            print(f"would reformat {name}", file=sys.stderr)
            status = EXIT_SPEC
        elif not args.diff:
            _write(name, text)
    if name_count := len([n for n in args.files if n != "-"]):
        verb = "would be reformatted" if (args.check or args.diff) else "reformatted"
        left = name_count - len(changed) - bad
        print(f"{len(changed)} file{'s' if len(changed) != 1 else ''} {verb}, {left} unchanged"
              + (f", {bad} with errors" if bad else ""), file=sys.stderr)
    return status
