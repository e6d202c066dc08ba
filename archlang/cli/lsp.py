"""`archlang lsp`: the language server, over standard input and output (docs/editors.md).

Editors start it; it needs pygls (`pip install "archlang[lsp]"`), imported only here.
"""
from __future__ import annotations

from . import EXIT_USAGE


def register(sub) -> None:
    p = sub.add_parser("lsp", help="run the language server (for editors) on stdin/stdout",
                       description="The Language Server Protocol over stdio: diagnostics as you "
                                   "type, hover, go to definition, completion, formatting, "
                                   "outline. Editors start this command (docs/editors.md).")
    p.add_argument("--stdio", action="store_true", help="accepted for editors that pass it")
    p.set_defaults(func=run)


def run(args) -> int:
    import sys
    try:
        from ..lsp.server import main
    except ImportError as err:
        print(f"archlang lsp: error: the language server needs pygls ({err.name} is missing); "
              f"install it with: pip install 'archlang[lsp]'", file=sys.stderr)
        return EXIT_USAGE
    return main()
