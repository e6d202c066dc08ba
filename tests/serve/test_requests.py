"""Hostile requests to the playground: each is answered with JSON and a status code, never a
dropped connection; a heavy request never takes the worker a light one needs."""
from __future__ import annotations

import http.client
import json
import os
import threading
import time

import pytest

from archlang.serve.request import BadRequest, job_arguments, json_depth
from archlang.serve.workers import HEAVY_NICE, WorkerPool

from .helpers import call, running

MLP = "model m(x: 784) = Chain(Dense(784, 200, relu), Dense(200, 10))\n"


@pytest.fixture(scope="module")
def server():
    with running() as s:
        yield s


@pytest.mark.parametrize("path, raw", [
    # A JSON escape of a lone surrogate, in a comment and in a string (issue 25, item 4).
    ("/api/check", b'{"text": "model m(x: 4) = Dense(4, 2)  # \\ud800\\n"}'),
    ("/api/format", b'{"text": "# \\udfff\\nmodel m(x: 4) = Dense(4, 2)"}'),
    ("/api/check", b'{"text": "model m(x: 4) = Dense(4, 2)\\nmodel \\"\\ud800\\""}'),
])
def test_a_lone_surrogate_is_a_400(server, path, raw):
    status, data = call(server, path, raw=raw)
    assert status == 400 and "lone UTF-16 surrogate" in data["error"]
    assert call(server, "/api/check", {"text": MLP})[1]["ok"]        # the server goes on


def test_deep_json_is_a_400_not_a_recursion_error(server):
    status, data = call(server, "/api/check", raw=b"[" * 100_000 + b"]" * 100_000)
    assert status == 400 and "nested more than 16 deep" in data["error"]
    status, data = call(server, "/api/check", raw=b'{"text": ' + b"[" * 50_000)
    assert status == 400


def test_bytes_that_are_not_utf8_are_a_400(server):
    status, data = call(server, "/api/check", raw=b'{"text": "\xff"}')
    assert status == 400 and data["error"] == "the body is not UTF-8 (byte 10 is not valid)"


def test_a_valid_astral_character_passes(server):
    # A surrogate *pair* escape is one character (U+1F642), not an error.
    status, data = call(server, "/api/check", raw=b'{"text": "# \\ud83d\\ude42\\n' + MLP.encode()[:-1]
                        + b'\\n"}')
    assert status == 200 and data["ok"]


def test_an_unexpected_failure_is_a_json_500_not_a_dropped_connection(server, monkeypatch):
    # A bug in a handler (here: an example entry without its keys) answers 500 with the error.
    monkeypatch.setattr(server, "examples", [{}])
    status, data = call(server, "/api/specs")
    assert status == 500 and data == {"error": "KeyError: 'group'"}


def test_a_body_shorter_than_declared_is_answered(server):
    server.RequestHandlerClass.timeout = 0.5        # seconds a client may take to send
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=60)
        conn.putrequest("POST", "/api/check")
        for k, v in {"Content-Type": "application/json", "Content-Length": "100"}.items():
            conn.putheader(k, v)
        conn.endheaders(b'{"text": ')
        res = conn.getresponse()
        assert res.status == 408 and json.loads(res.read())["error"]
    finally:
        server.RequestHandlerClass.timeout = 30.0


def test_json_depth_skips_brackets_in_strings_and_is_linear_on_open_strings():
    assert json_depth(b'{"text": "[[[[", "a": [[1]]}') == 3
    assert json_depth(b'"' + b'\\"' * 200_000) == 0           # one unterminated string
    with pytest.raises(BadRequest, match="offset"):
        job_arguments(b'{"text": "x", "offset": true}', wants_offset=True)
    assert job_arguments(b'{"text": "x", "offset": 3}', wants_offset=True) == ["x", 3]


def test_a_light_job_is_not_held_up_by_heavy_ones():
    pool = WorkerPool(2)
    try:
        results = {}

        def heavy(k):
            try:
                results[k] = pool.run(time.sleep, 20, timeout=30, heavy=True)
            except (TimeoutError, ValueError) as err:    # the pool was closed under it
                results[k] = err
        threads = [threading.Thread(target=heavy, args=(k,), daemon=True) for k in range(2)]
        for t in threads:
            t.start()
        while len(pool.idle) != 1:                  # one heavy job runs, the other waits
            time.sleep(0.01)
        # A light job gets the worker heavy jobs may not take, while both are still pending.
        assert pool.run(abs, -3, timeout=120) == 3
        assert all(t.is_alive() for t in threads) and results == {}
    finally:
        pool.close()


def test_a_runaway_job_replaces_only_its_worker():
    pool = WorkerPool(2)
    try:
        with pytest.raises(TimeoutError):
            pool.run(time.sleep, 60, timeout=0.5)
        assert pool.run(abs, -3, timeout=120) == 3 and pool.run(abs, -4, timeout=120) == 4
    finally:
        pool.close()


@pytest.mark.skipif(not hasattr(os, "nice"), reason="POSIX CPU priorities")
def test_heavy_jobs_run_at_a_lower_cpu_priority():
    pool = WorkerPool(2)
    try:
        base = os.nice(0)                            # os.nice(0): the niceness, unchanged
        assert pool.run(os.nice, 0, timeout=120) == base                 # the light worker
        assert pool.run(os.nice, 0, timeout=120, heavy=True) == min(base + HEAVY_NICE, 19)
    finally:
        pool.close()


def test_a_light_request_is_answered_while_a_heavy_one_runs(server):
    assert call(server, "/api/check", {"text": MLP})[1]["ok"]        # the light worker is warm
    heavy = "model long(x: 8) = Chain(" + ", ".join(["Dense(8, 8, relu)"] * 20_000) + ")\n"
    answers = {}
    thread = threading.Thread(target=lambda: answers.setdefault(
        "heavy", call(server, "/api/check", {"text": heavy})), daemon=True)
    thread.start()
    while len(server.workers.idle) == server.workers.size:        # until the heavy job runs
        time.sleep(0.01)
    status, data = call(server, "/api/check", {"text": MLP})
    assert status == 200 and data["ok"]
    assert "heavy" not in answers            # answered before the heavy check (seconds) ended
    thread.join(120)
    assert answers["heavy"][0] == 200 and answers["heavy"][1]["models"][0]["params"] == 20_000 * 72
