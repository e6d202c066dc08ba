"""The playground's worker processes: each request's job runs in one of them, with a time limit.

Processes, not threads: a check is pure Python (threads would share one interpreter lock), and a
runaway job must be stopped, which only killing its process can do; the killed worker alone is
replaced. The pool has `size` workers, and a heavy job (a text over LIGHT_BYTES) may hold at most
size - 1 of them, so a light job (a one-screen spec, the editing case) never queues behind heavy
ones: heavy requests wait for each other, not light ones for them.

Workers are spawned (not forked: the server has threads), so each imports the program's main
module again: a script that makes a server must guard it with `if __name__ == "__main__":`, as
`archlang serve` and `python -m archlang` do.
"""
from __future__ import annotations

import multiprocessing
import os
import queue
import threading

LIGHT_BYTES = 16 << 10        # a spec up to this is light: ResNet-50's is 1.5 KB, a page 4 KB


def default_size() -> int:
    """Two workers at least (one stays free for light jobs), one per core up to eight."""
    return max(2, min(8, os.cpu_count() or 2))


class _Worker:
    """One process (a pool of one: it runs a job and returns its result or exception)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.pool = ctx.Pool(1)

    def run(self, fn, args, timeout: float):
        job = self.pool.apply_async(fn, args)
        try:
            return job.get(timeout)
        except multiprocessing.TimeoutError:
            self.pool.terminate()              # the runaway goes; a fresh process replaces it
            self.pool = self.ctx.Pool(1)
            raise TimeoutError from None

    def close(self):
        self.pool.terminate()


class WorkerPool:
    """`run(fn, *args, timeout=, heavy=)` in the first free worker; TimeoutError past timeout
    seconds of running (waiting for a free worker is not counted)."""

    def __init__(self, size: int | None = None):
        self.size = max(2, size or default_size())
        ctx = multiprocessing.get_context("spawn")
        self.workers = [_Worker(ctx) for _ in range(self.size)]
        self.idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        for w in self.workers:
            self.idle.put(w)
        self.heavy_slots = threading.BoundedSemaphore(self.size - 1)

    def run(self, fn, *args, timeout: float, heavy: bool = False):
        if heavy:
            with self.heavy_slots:
                return self._run(fn, args, timeout)
        return self._run(fn, args, timeout)

    def _run(self, fn, args, timeout: float):
        worker = self.idle.get()
        try:
            return worker.run(fn, args, timeout)
        finally:
            self.idle.put(worker)

    def close(self):
        for w in self.workers:
            w.close()
