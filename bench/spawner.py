"""Runs commands for bench/harness.py and reports each child's own figures (JSON lines).

Why a separate small process: on Linux a child's peak memory (ru_maxrss) starts from the
memory of the process that started it, and the benchmark itself holds archlang and large
generated specs. Started from this small interpreter, a child's peak is its own (this
process's ~10 MiB is the floor, below any Python's).

    stdin:  {"argv": [...], "timeout": seconds or null}      one per line
    stdout: {"wall": s, "cpu": s, "peak_mib": MiB, "code": exit status}
"""
import json
import os
import subprocess
import sys
import threading
import time


def run(argv, timeout):
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    timer = threading.Timer(timeout, proc.kill) if timeout else None
    if timer:
        timer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if timer:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)      # reaped here, not by Popen
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    peak = usage.ru_maxrss / (1 << 20 if sys.platform == "darwin" else 1 << 10)
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": peak,
            "code": proc.returncode}


for line in sys.stdin:
    job = json.loads(line)
    print(json.dumps(run(job["argv"], job["timeout"])), flush=True)
