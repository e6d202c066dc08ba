"""Load test of the playground (`archlang serve`): light requests while heavy ones arrive.

Starts `archlang serve --port 0` on loopback as its own process, then runs two phases:

  baseline  CLIENTS clients, each checking ResNet-50 (specs/famous/resnet50.arch) in a loop,
            alone
  mixed     the same, for SECONDS, while HEAVY more clients send heavy requests back to back:
            a 173 KB spec of 3,000 small models (the request that once held the single worker
            for 30 s), and a spec as large as a request may be (1 MiB: a chain of 55,000
            layers)

and prints each phase's request count, failures (any status but 200, or no answer; a heavy
request may also be 503, stopped at the time limit by design) and latency percentiles. The goal: no failed request, and a light
request's latency with heavy traffic within a second of its latency without.

    python bench/serve_load.py [--clients 20] [--seconds 60] [--baseline 20] [--heavy 2]
                               [--workers N]

Exit status 1 when a request failed. Everything stays on 127.0.0.1 and ends with the run.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESNET50 = (ROOT / "specs/famous/resnet50.arch").read_text("utf-8")
MANY_MODELS = "".join(f"model m{i}(x: 4) = Chain(Dense(4, 8, relu), Dense(8, 4))\n"
                      for i in range(3_000))


LONG_CHAIN = "model long(x: 8) = Chain(" + ", ".join(["Dense(8, 8, relu)"] * 55_000) + ")\n"


class Server:
    """`archlang serve` in its own process on a free loopback port."""

    def __init__(self, workers: int | None):
        argv = [sys.executable, "-m", "archlang", "serve", "--port", "0"]
        if workers:
            argv += ["--workers", str(workers)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(argv, env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not found:
            self.proc.kill()
            raise SystemExit(f"serve did not start: {line}{self.proc.stderr.read()}")
        self.port = int(found.group(1))
        threading.Thread(target=self.proc.stderr.read, daemon=True).start()   # drain its log

    def close(self):
        self.proc.terminate()
        self.proc.wait(30)


def post(port: int, text: str) -> tuple[int | str, float]:
    """(status, seconds) of one POST /api/check; the error's name when no answer came."""
    body = json.dumps({"text": text}).encode()
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", "/api/check", body, {"Content-Type": "application/json"})
        res = conn.getresponse()
        res.read()
        status = res.status
    except (OSError, http.client.HTTPException) as err:
        status = type(err).__name__
    finally:
        conn.close()
    return status, time.perf_counter() - started


def loop(port: int, texts: list[str], ok: set[int], until: float, out: list):
    """Send texts in turn until `until`; append (ok?, status, seconds) per request."""
    k = 0
    while time.perf_counter() < until:
        status, seconds = post(port, texts[k % len(texts)])
        out.append((status in ok, status, seconds))
        k += 1


def phase(port: int, clients: int, heavy: int, seconds: float) -> dict:
    until = time.perf_counter() + seconds
    light, slow = [], []
    threads = [threading.Thread(target=loop, args=(port, [RESNET50], {200}, until, light))
               for _ in range(clients)]
    heavy_texts = [MANY_MODELS, LONG_CHAIN]
    threads += [threading.Thread(target=loop, args=(port, heavy_texts, {200, 503}, until, slow))
                for _ in range(heavy)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"light": light, "heavy": slow}


def percentiles(times: list[float]) -> str:
    if not times:
        return "no requests"
    q = statistics.quantiles(times, n=100, method="inclusive") if len(times) > 1 else times * 99
    return (f"p50 {q[49]:.2f} s · p90 {q[89]:.2f} s · p99 {q[98]:.2f} s · "
            f"max {max(times):.2f} s")


def report(name: str, results: dict, seconds: float) -> int:
    failed = 0
    for kind, rows in results.items():
        bad = [status for good, status, _ in rows if not good]
        failed += len(bad)
        statuses: dict[str, int] = {}
        for _, status, _ in rows:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        print(f"  {name:8} {kind:5}  {len(rows):5} requests ({len(rows) / seconds:5.1f}/s), "
              f"{len(bad)} failed, statuses {statuses}")
        if rows:
            print(f"  {'':8} {'':5}  {percentiles([s for _, _, s in rows])}")
    return failed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60.0, help="length of the mixed phase")
    ap.add_argument("--baseline", type=float, default=20.0, help="length of the light-only phase")
    ap.add_argument("--heavy", type=int, default=2, help="clients sending heavy requests")
    ap.add_argument("--workers", type=int, default=None, help="the server's worker processes")
    args = ap.parse_args()
    print(f"playground load test: {args.clients} clients checking ResNet-50; {args.heavy} "
          f"heavy clients in the mixed phase; {os.cpu_count()} cores")
    server = Server(args.workers)
    try:
        post(server.port, RESNET50)                       # workers started, modules imported
        failed = report("baseline", phase(server.port, args.clients, 0, args.baseline),
                        args.baseline)
        failed += report("mixed", phase(server.port, args.clients, args.heavy, args.seconds),
                         args.seconds)
    finally:
        server.close()
    print(f"{failed} failed requests")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
