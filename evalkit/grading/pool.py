"""A persistent pool of killable worker processes that bounds every symbolic check in wall-clock time.

Why not ProcessPoolExecutor or signal.alarm: alarm only works in the main thread and cannot interrupt a
C-level loop (a sympy big-integer power); an executor cannot kill one stuck task. Here each worker is a
subprocess; a check that overruns its limit gets its worker killed and replaced, and the caller gets a
timeout verdict. Workers are checked out through a queue, so `check` is safe to call from many threads.
"""

from __future__ import annotations

import atexit
import itertools
import os
import queue
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from pathlib import Path

STARTUP_LIMIT = 120.0  # seconds a fresh worker may take to import sympy (slow, shared CI machines)
SPARES = 2  # warm workers kept aside to replace killed ones at once
_ROOT = str(Path(__file__).resolve().parents[2])

Result = tuple[bool | None, str]


class _Worker:
    """One `python -m evalkit.grading.worker` subprocess and its two pipe ends."""

    def __init__(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = _ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "evalkit.grading.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            close_fds=True,
        )
        self.send_conn = Connection(os.dup(self.proc.stdin.fileno()), readable=False)
        self.recv_conn = Connection(os.dup(self.proc.stdout.fileno()), writable=False)
        self.proc.stdin.close()
        self.proc.stdout.close()
        self.started = time.monotonic()
        self.ready = False

    def wait_ready(self, limit: float = STARTUP_LIMIT) -> bool:
        if self.ready:
            return True
        remaining = limit - (time.monotonic() - self.started)
        try:
            if remaining > 0 and self.recv_conn.poll(remaining):
                msg = self.recv_conn.recv()
                self.ready = msg[0] == "ready"
        except (EOFError, OSError):
            self.ready = False
        return self.ready

    def kill(self) -> None:
        try:
            self.proc.kill()
        except OSError:
            pass
        for conn in (self.send_conn, self.recv_conn):
            try:
                conn.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


class WorkerPool:
    """`size` workers, started lazily; grows when asked for more."""

    def __init__(self, size: int) -> None:
        self._lock = threading.Lock()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._size = 0
        self._jobs = itertools.count()
        self._closed = False
        self._spares: queue.Queue[_Worker] = queue.Queue()
        for _ in range(SPARES):  # warm stand-ins, so a killed worker is replaced without a cold start
            self._spares.put(_Worker())
        self.grow(size)

    @property
    def size(self) -> int:
        return self._size

    def grow(self, size: int) -> None:
        with self._lock:
            while self._size < size:
                self._idle.put(_Worker())
                self._size += 1

    def _replace(self, worker: _Worker) -> _Worker:
        """Kill `worker`; its successor is the warm spare (if any), and a new spare starts warming up."""
        worker.kill()
        if self._closed:
            return _Worker()
        try:
            spare = self._spares.get_nowait()
        except queue.Empty:
            return _Worker()
        self._spares.put(_Worker())
        return spare

    def _ready_worker(self, worker: _Worker) -> _Worker:
        """Wait for `worker` to finish starting; replace it (once) if it died on the way."""
        for _ in range(2):
            if worker.wait_ready():
                return worker
            worker = self._replace(worker)
        raise RuntimeError("grading worker failed to start (python -m evalkit.grading.worker)")

    def run_one(self, gold: str, pred: str, timeout: float) -> Result:
        worker = self._idle.get()
        try:
            worker = self._ready_worker(worker)
            job = next(self._jobs)
            worker.send_conn.send((job, gold, pred))
            if worker.recv_conn.poll(timeout):
                _, equal, reason = worker.recv_conn.recv()
                return equal, reason
            worker = self._replace(worker)
            return None, f"timeout after {timeout:g} s"
        except (EOFError, OSError, BrokenPipeError):
            worker = self._replace(worker)
            return None, "worker crashed"
        finally:
            self._idle.put(worker)

    def run_batch(
        self,
        jobs: Sequence[tuple[str, str]],
        timeout: float,
        workers: int,
        on_result: Callable[[int, Result], None],
    ) -> None:
        """Run (gold, pred) jobs on up to `workers` idle workers; report each result as it arrives."""
        if not jobs:
            return
        mine = [self._idle.get()]
        while len(mine) < min(workers, len(jobs)):
            try:
                mine.append(self._idle.get_nowait())
            except queue.Empty:
                break
        pending = deque(range(len(jobs)))
        free: list[_Worker] = []
        starting: list[_Worker] = []
        for w in mine:
            (free if w.ready else starting).append(w)
        busy: dict[int, tuple[_Worker, int, float]] = {}  # id(recv_conn) -> worker, job index, deadline
        failed_starts = 0
        try:
            while pending or busy:
                while free and pending:
                    w = free.pop()
                    i = pending.popleft()
                    try:
                        w.send_conn.send((i, jobs[i][0], jobs[i][1]))
                        busy[id(w.recv_conn)] = (w, i, time.monotonic() + timeout)
                    except (OSError, BrokenPipeError):
                        pending.appendleft(i)
                        starting.append(self._replace(w))
                if not busy and not starting:
                    if not free:
                        raise RuntimeError("no grading worker available")
                    continue
                now = time.monotonic()
                limit = min([d for _, _, d in busy.values()], default=now + 1.0) - now
                conns = [w.recv_conn for w, _, _ in busy.values()] + [w.recv_conn for w in starting]
                for conn in wait(conns, timeout=max(0.0, min(limit, 1.0))):
                    entry = busy.pop(id(conn), None)
                    if entry is None:  # a starting worker spoke: ready, or died
                        w = next(s for s in starting if s.recv_conn is conn)
                        starting.remove(w)
                        try:
                            w.ready = conn.recv()[0] == "ready"
                        except (EOFError, OSError):
                            w.ready = False
                        if w.ready:
                            free.append(w)
                            continue
                        failed_starts += 1
                        if failed_starts > 3 * len(mine):
                            starting.append(w)
                            raise RuntimeError("grading workers keep dying at start-up (python -m evalkit.grading.worker)")
                        starting.append(self._replace(w))
                        continue
                    w, i, _ = entry
                    try:
                        _, equal, reason = conn.recv()
                        on_result(i, (equal, reason))
                        free.append(w)
                    except (EOFError, OSError):
                        on_result(i, (None, "worker crashed"))
                        starting.append(self._replace(w))
                now = time.monotonic()
                for key, (w, i, deadline) in list(busy.items()):
                    if now >= deadline:
                        del busy[key]
                        on_result(i, (None, f"timeout after {timeout:g} s"))
                        starting.append(self._replace(w))
                for w in list(starting):
                    if time.monotonic() - w.started > STARTUP_LIMIT:
                        starting.remove(w)
                        starting.append(self._replace(w))
        finally:
            for w, _, _ in busy.values():
                starting.append(self._replace(w))
            for w in free + starting:
                self._idle.put(w)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            while True:
                try:
                    w = self._idle.get_nowait()
                except queue.Empty:
                    try:
                        w = self._spares.get_nowait()
                    except queue.Empty:
                        break
                try:
                    w.send_conn.send(None)
                except OSError:
                    pass
                w.kill()
                self._size = max(0, self._size - 1)


_POOL: WorkerPool | None = None
_POOL_LOCK = threading.Lock()


def get_pool(size: int) -> WorkerPool:
    """The process-wide pool, grown to at least `size` workers (reused across `grade` calls)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = WorkerPool(size)
            atexit.register(_POOL.close)
        elif _POOL.size < size:
            _POOL.grow(size)
        return _POOL


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)
