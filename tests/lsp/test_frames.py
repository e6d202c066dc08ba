"""Frames the language server refuses: a Content-Length over MAX_MESSAGE_BYTES is a protocol
error naming the message, never a MemoryError blamed on the spec (`Content-Length: 10^12`
once ended the server with "the spec needs more memory", E0206)."""
from __future__ import annotations

import io
import json

import pytest

pytest.importorskip("pygls", reason="the language server needs pygls (make install)")

from archlang.lsp.server import (  # noqa: E402
    MAX_HEADER_LINE, MAX_MESSAGE_BYTES, TOO_LARGE, BoundedStdin)

from .client import Client  # noqa: E402


def test_a_frame_over_the_limit_is_dropped_and_the_editor_told(tmp_path):
    client = Client(tmp_path)
    try:
        body = b" " * (MAX_MESSAGE_BYTES + 1)
        client.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        client.proc.stdin.flush()
        shown = client.notification("window/showMessage")
        assert shown["type"] == 1 and f"a message of {len(body):,} bytes" in shown["message"]
        assert "more memory" not in shown["message"]
        # The stream stays in step: the next message is answered.
        spec = tmp_path / "m.arch"
        client.open(spec.as_uri(), "model m(x: 4) = Dense(4, 300)\nmodel n(x: 4) = Dense(5, 2)\n")
        (d,) = client.diagnostics(spec.as_uri())
        assert d["code"] == "E0301"
    finally:
        client.close()


def test_a_claim_of_a_terabyte_reads_in_pieces_until_the_stream_ends(tmp_path):
    client = Client(tmp_path)
    client.proc.stdin.write(b"Content-Length: 1000000000000\r\n\r\n{\"jsonrpc\": ")
    client.proc.stdin.close()                        # the client goes away mid-frame
    assert client.proc.wait(timeout=60) == 0
    err = client.proc.stderr.read().decode()
    assert "E0206" not in err and "memory" not in err and "Traceback" not in err


def test_the_reader_bounds_bodies_and_header_lines():
    stream = BoundedStdin(io.BytesIO(b"x" * 100 + b"\r\n" + b"y" * 50), limit=10)
    assert stream.readline() == b"x" * 100 + b"\r\n"
    dropped = json.loads(stream.read(50))
    assert dropped == {"jsonrpc": "2.0", "method": TOO_LARGE, "params": {"bytes": 50, "limit": 10}}
    assert BoundedStdin(io.BytesIO(b"abc"), limit=10).read(3) == b"abc"
    assert BoundedStdin(io.BytesIO(b"z" * 20), limit=10).read(30) == b""      # ended mid-frame
    long_line = BoundedStdin(io.BytesIO(b"h" * (2 * MAX_HEADER_LINE)))
    assert len(long_line.readline()) == MAX_HEADER_LINE
