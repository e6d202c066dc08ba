"""`archlang serve [FILE] [--port 8000] [--host 127.0.0.1]`: the web playground.

An editor with the spec (FILE, or the book's model2), its tables, drawings and diagnostics
beside it, re-checked on each edit; example specs one click away; the generated PyTorch code
to download. Local only by default (127.0.0.1); nothing is fetched from the internet.
"""
from __future__ import annotations

import sys
from pathlib import Path

from . import EXIT_OK, UsageError


def register(sub) -> None:
    p = sub.add_parser("serve", help="a web playground: edit a spec, see its table and drawing",
                       description="Serve the archlang playground on a local web page.")
    p.add_argument("file", nargs="?", help="a .arch spec to open (imports resolve beside it)")
    p.add_argument("--port", type=int, default=8000, help="TCP port (default: 8000; 0: any)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes that check specs (default: one per core, 2 to 8)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..serve.server import make_server
    initial = Path(args.file) if args.file else None
    if initial is not None and not initial.is_file():
        raise UsageError(f"no such file: {args.file}")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, not {args.port}")
    if args.workers is not None and not 2 <= args.workers <= 64:
        raise UsageError(f"--workers must be between 2 and 64, not {args.workers}")
    try:
        server = make_server(args.host, args.port, initial, quiet=False, workers=args.workers)
    except OSError as err:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {err.strerror or err}") from None
    print(f"archlang playground on {server.url}  (Ctrl-C stops it)", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK
