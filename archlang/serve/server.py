"""The playground's web server (`archlang serve`): the standard library's http.server, a static
page (CodeMirror, bundled at build time into static/app.js: nothing is fetched at run time) and
a small JSON API:

    GET  /                 the page
    GET  /static/NAME      its script and style
    GET  /api/specs        the example specs offered (book, famous networks, zoo, standard library)
    GET  /api/spec?path=P  one of them, as text
    GET  /api/initial      the file named on the command line ({"name", "text"})
    POST /api/check        {"text"} → diagnostics (with offsets to underline), tables, drawings
    POST /api/compile      {"text"} → {"source"}: the generated PyTorch module, or diagnostics
    POST /api/format       {"text"} → {"text"}: the canonical layout (`archlang fmt`)
    POST /api/hover        {"text", "offset"} → {"markdown", "from", "to"}: the layer there

Every request is bounded: bodies up to limits.MAX_FILE_BYTES, validated before they are parsed
(request.py: UTF-8, nesting depth, Unicode text); each job runs in a pool of worker processes
(workers.py: a heavy request never holds the last free worker) and is killed after TIME_LIMIT
seconds. Every error is a JSON answer {"error": ...} with a status code, never a dropped
connection. A POST must be JSON from this very server (Content-Type and Host are checked), so
another web site cannot drive it.
"""
from __future__ import annotations

import json
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from ..limits import MAX_FILE_BYTES
from . import api
from .request import BadRequest, job_arguments
from .workers import LIGHT_BYTES, WorkerPool

TIME_LIMIT = 30.0                      # seconds for one check or compile, drawing included
SOCKET_TIMEOUT = 30.0                  # seconds a client may take to send a request
DRAIN_LIMIT = 16 << 20                 # a body too large, up to this, is read (and dropped)
STATIC_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}


def static_dir() -> Path:
    return Path(str(resources.files("archlang").joinpath("serve/static")))


def spec_roots() -> list[Path]:
    """specs/ of a source checkout (beside the package), and the bundled standard library."""
    package = Path(str(resources.files("archlang")))
    roots = [package.parent / "specs"]
    return [r for r in roots if r.is_dir()] + [package]


class Playground(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128           # connections waiting to be accepted (5 reset some of 22)

    def __init__(self, address, initial: Path | None = None, quiet: bool = True,
                 workers: int | None = None):
        super().__init__(address, Handler)
        self.initial = initial
        self.quiet = quiet
        # Diagnostics name this path; imports resolve beside it (or in the working directory).
        self.spec_path = str(initial) if initial else "playground.arch"
        self.examples = api.example_specs(spec_roots())
        self.time_limit = TIME_LIMIT
        self.workers = WorkerPool(workers)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def server_close(self):
        super().server_close()
        self.workers.close()


class Handler(BaseHTTPRequestHandler):
    server: Playground
    protocol_version = "HTTP/1.1"
    timeout = SOCKET_TIMEOUT

    def log_message(self, format, *args):
        if not self.server.quiet:
            super().log_message(format, *args)

    # -- replies ---------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, content_type: str, extra: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, data, status: int = 200):
        self._send(status, json.dumps(data, ensure_ascii=False).encode("utf-8"),
                   "application/json; charset=utf-8")

    def _error(self, status: int, message: str):
        self._json({"error": message}, status)

    def handle_one_request(self):
        """As the standard library's, but an exception while answering becomes a JSON 500
        rather than a dropped connection."""
        self._answered = False
        try:
            super().handle_one_request()
        except ConnectionError:
            self.close_connection = True
        except Exception as err:   # noqa: BLE001 — the client gets an answer; the server goes on
            self.close_connection = True
            if not self._answered:                # else too late for another status line
                try:
                    self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"{type(err).__name__}: {err}")
                except OSError:
                    pass

    def send_response(self, code, message=None):
        self._answered = True
        super().send_response(code, message)

    def _same_origin(self) -> bool:
        """A Host header naming this server (a DNS-rebinding page sends another)."""
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
        bound = self.server.server_address[0]
        return host in {bound, "localhost", "127.0.0.1", "::1"} or bound in ("0.0.0.0", "::")

    # -- GET -------------------------------------------------------------------------------
    def do_GET(self):
        url = urlparse(self.path)
        if not self._same_origin():
            return self._error(HTTPStatus.FORBIDDEN, "unexpected Host header")
        if url.path in ("/", "/index.html"):
            return self._static("index.html")
        if url.path.startswith("/static/"):
            return self._static(url.path[len("/static/"):])
        if url.path == "/api/specs":
            return self._json([{k: e[k] for k in ("group", "name", "path")}
                               for e in self.server.examples])
        if url.path == "/api/spec":
            wanted = parse_qs(url.query).get("path", [""])[0]
            entry = next((e for e in self.server.examples if e["path"] == wanted), None)
            if entry is None:
                return self._error(HTTPStatus.NOT_FOUND, f"no example spec {wanted!r}")
            return self._json({"name": entry["path"],
                               "text": Path(entry["file"]).read_text("utf-8")})
        if url.path == "/api/initial":
            p = self.server.initial
            text = p.read_text("utf-8", errors="replace") if p and p.is_file() else None
            return self._json({"name": p.name if p else None, "text": text})
        return self._error(HTTPStatus.NOT_FOUND, "no such page")

    def _static(self, name: str):
        folder = static_dir()
        path = (folder / name).resolve()
        if path.parent != folder.resolve() or not path.is_file() or path.suffix not in STATIC_TYPES:
            return self._error(HTTPStatus.NOT_FOUND, "no such file")
        self._send(200, path.read_bytes(), STATIC_TYPES[path.suffix])

    # -- POST ------------------------------------------------------------------------------
    def do_POST(self):
        url = urlparse(self.path)
        jobs = {"/api/check": api.check_page, "/api/compile": api.torch_code,
                "/api/format": api.formatted, "/api/hover": api.hover}
        if url.path not in jobs:
            return self._error(HTTPStatus.NOT_FOUND, "no such endpoint")
        if not self._same_origin() or \
                not (self.headers.get("Content-Type") or "").startswith("application/json"):
            self.close_connection = True          # the body is not read
            return self._error(HTTPStatus.FORBIDDEN, "send JSON from the playground page")
        try:
            length = int(self.headers.get("Content-Length") or "")
        except ValueError:
            return self._error(HTTPStatus.LENGTH_REQUIRED, "Content-Length is required")
        if length < 0 or length > MAX_FILE_BYTES + 1024:
            self.close_connection = True
            if length <= DRAIN_LIMIT:             # read and drop it, so the client sees the 413
                left = length
                while left > 0 and self.rfile.read(min(1 << 16, left)):
                    left -= 1 << 16
            return self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                               f"a spec may have at most {MAX_FILE_BYTES:,} bytes")
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            self.close_connection = True
            return self._error(HTTPStatus.REQUEST_TIMEOUT,
                               f"the body ({length:,} bytes declared) was not sent in time")
        try:
            args = job_arguments(body, wants_offset=url.path == "/api/hover")
        except BadRequest as err:
            return self._error(err.status, err.message)
        try:
            result = self.server.workers.run(jobs[url.path], *args, self.server.spec_path,
                                             timeout=self.server.time_limit,
                                             heavy=length > LIGHT_BYTES)
        except TimeoutError:
            return self._error(HTTPStatus.SERVICE_UNAVAILABLE,
                               f"the spec took more than {self.server.time_limit:g} s to check")
        except Exception as err:       # noqa: BLE001 — the page shows it; the server goes on
            return self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"{type(err).__name__}: {err}")
        self._json(result)


def make_server(host: str = "127.0.0.1", port: int = 8000, initial: Path | None = None,
                quiet: bool = True, workers: int | None = None) -> Playground:
    """A bound, not yet serving, playground (port 0: any free port; see .url) with `workers`
    worker processes (default: one per core, two at least)."""
    return Playground((host, port), initial=initial, quiet=quiet, workers=workers)
