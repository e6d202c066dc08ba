"""A playground server on a free local port, run in a thread for the duration of a test."""
from __future__ import annotations

import contextlib
import json
import threading
import urllib.error
import urllib.request

from archlang.serve.server import make_server


@contextlib.contextmanager
def running(initial=None):
    server = make_server("127.0.0.1", 0, initial=initial)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def call(server, path: str, body=None, headers=None, raw: bytes | None = None):
    """(status, decoded JSON) of a GET, or of a POST when body or raw is given."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    hdrs = {"Content-Type": "application/json"} if data is not None else {}
    hdrs.update(headers or {})
    req = urllib.request.Request(server.url.rstrip("/") + path, data=data, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=120) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())
