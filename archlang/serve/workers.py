"""The playground's worker processes: each request's job runs in one of them, with a time limit.

Processes, not threads: a check is pure Python (threads would share one interpreter lock), and a
runaway job must be stopped, which only killing its process can do; the killed worker alone is
replaced. Of the pool's `size` workers, the first is kept for light jobs (a text up to
LIGHT_BYTES: a one-screen spec, the editing case); the others take any job and run at a lower
CPU priority (nice HEAVY_NICE), so a heavy job neither takes the worker a light one needs nor
the processor time: heavy requests wait for each other, light ones barely notice them. A light
job runs in the light worker when it is free, else in any free one.

Workers are spawned (not forked: the server has threads), so each imports the program's main
module again: a script that makes a server must guard it with `if __name__ == "__main__":`, as
`archlang serve` and `python -m archlang` do.
"""
from __future__ import annotations

import multiprocessing
import os
import threading

LIGHT_BYTES = 16 << 10        # a spec up to this is light: ResNet-50's is 1.5 KB, a page 4 KB
HEAVY_NICE = 10               # the workers that take heavy jobs yield the CPU to the light one


def default_size() -> int:
    """Two workers at least (one is kept for light jobs), one per core up to eight."""
    return max(2, min(8, os.cpu_count() or 2))


class _Worker:
    """One process (a pool of one: it runs a job and returns its result or exception)."""

    def __init__(self, ctx, nice: int = 0):
        self.ctx = ctx
        self.nice = nice
        self.closed = False
        self.pool = self._start()

    def _start(self):
        if self.nice and hasattr(os, "nice"):
            return self.ctx.Pool(1, initializer=os.nice, initargs=(self.nice,))
        return self.ctx.Pool(1)

    def run(self, fn, args, timeout: float):
        job = self.pool.apply_async(fn, args)
        try:
            return job.get(timeout)
        except multiprocessing.TimeoutError:
            self.pool.terminate()              # the runaway goes; a fresh process replaces it
            if not self.closed:
                self.pool = self._start()
            raise TimeoutError from None

    def close(self):
        self.closed = True
        self.pool.terminate()


class WorkerPool:
    """`run(fn, *args, timeout=, heavy=)` in a free worker; TimeoutError past timeout seconds of
    running (waiting for a free worker is not counted)."""

    def __init__(self, size: int | None = None):
        self.size = max(2, size or default_size())
        ctx = multiprocessing.get_context("spawn")
        self.workers = [_Worker(ctx, 0 if k == 0 else HEAVY_NICE) for k in range(self.size)]
        self.idle = list(self.workers)
        self.freed = threading.Condition()

    def _take(self, heavy: bool) -> _Worker:
        with self.freed:
            while True:
                # Heavy jobs never take the light worker; light jobs take it first.
                free = [w for w in self.idle if w is not self.workers[0] or not heavy]
                if free:
                    worker = free[0]
                    self.idle.remove(worker)
                    return worker
                self.freed.wait()

    def run(self, fn, *args, timeout: float, heavy: bool = False):
        worker = self._take(heavy)
        try:
            return worker.run(fn, args, timeout)
        finally:
            with self.freed:
                self.idle.insert(0 if worker is self.workers[0] else len(self.idle), worker)
                self.freed.notify_all()

    def close(self):
        for w in self.workers:
            w.close()
