"""The playground's JSON API over real HTTP: checks, tables, offsets to underline, limits."""
from __future__ import annotations

import urllib.request

import pytest

from archlang.limits import MAX_FILE_BYTES
from archlang.serve import api

from .helpers import call, running

MLP = "model m(x: 784) = Chain(Dense(784, 200, relu), Dense(200, 10))\n"
WRONG = "model m(x: 784) = Chain(Dense(784, 200, relu), Dense(300, 10))\n"


@pytest.fixture(scope="module")
def server():
    with running() as s:
        yield s


def test_a_spec_that_checks(server):
    status, data = call(server, "/api/check", {"text": MLP})
    assert status == 200 and data["ok"] and data["diagnostics"] == []
    (m,) = data["models"]
    # 784·200 + 200 + 200·10 + 10
    assert m["params"] == 159_010 and m["input"] == "784" and m["output"] == "10"
    assert m["macs"] == 784 * 200 + 200 * 10
    assert "total params:         159,010" in m["table"]
    assert m["svg"] is None or "<svg" in m["svg"]


def test_errors_come_with_offsets_to_underline(server):
    status, data = call(server, "/api/check", {"text": WRONG})
    assert status == 200 and not data["ok"]
    (d,) = data["diagnostics"]
    assert d["code"] == "E0301" and d["message"] == "Dense expects 300 inputs but receives 200"
    assert WRONG[d["from"]:d["to"]] == "300"
    assert [WRONG[r["from"]:r["to"]] for r in d["related"]] == ["Dense(784, 200, relu)"]
    assert "error[E0301]" in d["rendered"] and "playground.arch:1:54" in d["rendered"]


def test_offsets_count_utf16_units_as_browsers_do(server):
    text = "# 🙂 emoji\n" + WRONG                    # one astral character: two UTF-16 units
    (d,) = call(server, "/api/check", {"text": text})[1]["diagnostics"]
    assert text.encode("utf-16-le")[2 * d["from"]:2 * d["to"]].decode("utf-16-le") == "300"


def test_compile_and_format(server):
    status, data = call(server, "/api/compile", {"text": MLP})
    assert status == 200 and "class M(nn.Module):" in data["source"]
    assert "self.fc1 = nn.Linear(784, 200)" in data["source"]
    status, data = call(server, "/api/compile", {"text": WRONG})
    assert status == 200 and data["diagnostics"][0]["code"] == "E0301"
    status, data = call(server, "/api/format", {"text": "model m(x:4)=Dense(4=>2)"})
    assert data == {"text": "model m(x: 4) = Dense(4 => 2)\n"}
    status, data = call(server, "/api/format", {"text": "model m(x:4)=Dense(4=>2"})
    assert data["diagnostics"][0]["code"] == "E0005"


def test_hover_on_a_layer(server):
    offset = MLP.index("Dense(784") + 2
    status, data = call(server, "/api/hover", {"text": MLP, "offset": offset})
    assert status == 200 and MLP[data["from"]:data["to"]] == "Dense(784, 200, relu)"
    # 784·200 + 200 parameters; 784·200 MACs
    assert "layer 1 of `m`: 784 → 200\n\n157,000 parameters · 156,800 MACs" in data["markdown"]
    assert call(server, "/api/hover", {"text": MLP, "offset": 0}) == (200, {})
    assert call(server, "/api/hover", {"text": MLP})[0] == 400


def test_examples(server):
    status, specs = call(server, "/api/specs")
    paths = {s["path"] for s in specs}
    assert {"book/model2.arch", "famous/resnet18.arch", "zoo/vit_b_16.arch", "std/resnet.arch"} <= paths
    status, spec = call(server, "/api/spec?path=famous/resnet18.arch")
    assert status == 200 and "model resnet18" in spec["text"]
    assert call(server, "/api/spec?path=../../etc/passwd")[0] == 404


def test_the_page_and_its_files(server):
    with urllib.request.urlopen(server.url, timeout=30) as res:
        html = res.read().decode()
    assert res.headers["Content-Type"].startswith("text/html") and "/static/app.js" in html
    with urllib.request.urlopen(server.url + "static/app.js", timeout=30) as res:
        assert len(res.read()) > 100_000          # CodeMirror, bundled: nothing fetched at run time
    assert call(server, "/static/../server.py")[0] == 404


def test_requests_are_bounded(server):
    big = "#" * (MAX_FILE_BYTES + 2048)
    assert call(server, "/api/check", {"text": big})[0] == 413
    assert call(server, "/api/check", raw=b"not json")[0] == 400
    assert call(server, "/api/check", {"spec": MLP})[0] == 400
    # Not JSON (a form another site could post without asking) or another Host: refused.
    assert call(server, "/api/check", raw=b"{}", headers={"Content-Type": "text/plain"})[0] == 403
    assert call(server, "/api/check", {"text": MLP}, headers={"Host": "evil.example"})[0] == 403
    assert call(server, "/api/nothing", {"text": MLP})[0] == 404


def test_a_check_that_takes_too_long_is_stopped_and_the_server_goes_on(server):
    body = ", ".join("Dense(8, 8, relu)" for _ in range(8_000))
    server.time_limit = 0.2
    try:
        status, data = call(server, "/api/check", {"text": f"model m(x: 8) = Chain({body})"})
    finally:
        server.time_limit = 30.0
    assert status == 503 and "took more than 0.2 s" in data["error"]
    assert call(server, "/api/check", {"text": MLP})[1]["ok"]


def test_serving_a_file_opens_it(tmp_path):
    (tmp_path / "blocks.arch").write_text("block Two(c) = Chain(Dense(c, c), Dense(c, c))\n")
    spec = tmp_path / "net.arch"
    spec.write_text('import "blocks.arch"\nmodel net(x: 4) = Two(4)\n')
    with running(initial=spec) as s:
        status, data = call(s, "/api/initial")
        assert data == {"name": "net.arch", "text": spec.read_text()}
        status, data = call(s, "/api/check", {"text": data["text"]})
        assert data["ok"] and data["models"][0]["params"] == 2 * (4 * 4 + 4)


def test_serve_usage_errors(tmp_path):
    import os
    import subprocess
    import sys

    from conftest import ROOT
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def serve(*args):
        return subprocess.run([sys.executable, "-m", "archlang", "serve", *args], env=env,
                              capture_output=True, text=True, timeout=120)
    r = serve(str(tmp_path / "missing.arch"))
    assert r.returncode == 2 and "no such file" in r.stderr
    r = serve("--port", "70000")
    assert r.returncode == 2 and "--port must be between 0 and 65535" in r.stderr
    r = serve("--workers", "1")
    assert r.returncode == 2 and "--workers must be between 2 and 64" in r.stderr


def test_a_spec_of_many_models_draws_a_few_and_says_so(server):
    # 3,000 small models once held the worker for its whole time limit, drawing each (issue 25).
    text = "".join(f"model m{i}(x: 4) = Chain(Dense(4, 8, relu), Dense(8, 4))\n"
                   for i in range(3_000))
    status, data = call(server, "/api/check", {"text": text})
    assert status == 200 and data["ok"] and len(data["models"]) == 3_000
    assert all(m["table"] for m in data["models"])
    undrawn = [m for m in data["models"] if m["svg"] is None]
    assert len(undrawn) >= 3_000 - api.MAX_DRAWINGS
    assert undrawn[-1]["note"].startswith("not drawn: a page draws the first 8 models")


def test_a_long_chain_checks_and_draws(server):
    # 2,001 chained activations once answered 500 (dot refused the merged label).
    text = "model m(x: 4) = Chain(" + ", ".join(["relu"] * 2_001) + ")\n"
    status, data = call(server, "/api/check", {"text": text})
    assert status == 200 and data["ok"]
    (m,) = data["models"]
    assert m["svg"] is None and m["note"] == "not drawn: Graphviz's `dot` is not installed" \
        or "relu × 2,000" in m["svg"]
