"""A persistent pool of killable worker processes that bounds every symbolic check in wall-clock time.

Why not ProcessPoolExecutor or signal.alarm: alarm only works in the main thread and cannot interrupt a
C-level loop (a sympy big-integer power); an executor cannot kill one stuck task. Here each worker is a
process forked from a warm template process (`zygote.py`); a check that overruns its limit gets its
worker killed and replaced (a fork: milliseconds), and the caller gets a timeout verdict. Workers are checked out through
a queue, so `check` is safe to call from many threads.
"""

from __future__ import annotations

import atexit
import itertools
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import Client, Connection, wait
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])

STARTUP_LIMIT = 120.0  # seconds a fresh worker may take to import sympy (slow, shared CI machines)
SPARES = 1  # a started worker kept aside to replace a killed one at once

Result = tuple[bool | None, str]


class _Zygote:
    """The `python -m evalkit.grading.zygote` subprocess, which forks warm workers on connection."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="evalkit-grading-")
        self.address = os.path.join(self.dir, "zygote.sock")
        self.authkey = os.urandom(16)
        env = dict(os.environ)
        env["PYTHONPATH"] = _ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "evalkit.grading.zygote", self.address],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True,
        )
        self.proc.stdin.write(self.authkey.hex() + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], STARTUP_LIMIT)
        if not ready or self.proc.stdout.readline().strip() != "ready":
            self.close()
            raise RuntimeError("grading worker template failed to start (python -m evalkit.grading.zygote)")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def connect(self) -> Connection:
        return Client(self.address, family="AF_UNIX", authkey=self.authkey)

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


_ZYGOTE: _Zygote | None = None
_ZYGOTE_LOCK = threading.Lock()


def _zygote() -> _Zygote:
    global _ZYGOTE
    with _ZYGOTE_LOCK:
        if _ZYGOTE is None or not _ZYGOTE.alive():
            _ZYGOTE = _Zygote()
            atexit.register(_ZYGOTE.close)
        return _ZYGOTE


class _Worker:
    """One forked worker: the parent's end of its connection, and its pid once it said ready."""

    def __init__(self) -> None:
        try:
            self.conn = _zygote().connect()
        except (OSError, EOFError):  # the template died: start a new one and retry once
            with _ZYGOTE_LOCK:
                global _ZYGOTE
                _ZYGOTE = None
            self.conn = _zygote().connect()
        self.send_conn = self.recv_conn = self.conn
        self.pid: int | None = None
        self.started = time.monotonic()
        self.ready = False

    def mark_ready(self, msg: tuple) -> bool:
        if msg and msg[0] == "ready":
            self.pid, self.ready = msg[1], True
        return self.ready

    def wait_ready(self, limit: float = STARTUP_LIMIT) -> bool:
        if self.ready:
            return True
        remaining = limit - (time.monotonic() - self.started)
        try:
            if remaining > 0 and self.conn.poll(remaining):
                return self.mark_ready(self.conn.recv())
        except (EOFError, OSError):
            pass
        return False

    def kill(self) -> None:
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            self.conn.close()
        except OSError:
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
        raise RuntimeError("grading worker failed to start (python -m evalkit.grading.zygote)")

    def run_one(self, gold: str, pred: str, timeout: float, policy: object = None) -> Result:
        worker = self._idle.get()
        try:
            worker = self._ready_worker(worker)
            job = next(self._jobs)
            try:
                worker.send_conn.send((job, gold, pred, policy))
            except (OSError, BrokenPipeError):  # died while idle (e.g. killed from outside): once more
                worker = self._ready_worker(self._replace(worker))
                worker.send_conn.send((job, gold, pred, policy))
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
        jobs: Sequence[tuple],
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
                        w.send_conn.send((i, *jobs[i]))  # (gold, pred[, policy])
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
                            w.mark_ready(conn.recv())
                        except (EOFError, OSError):
                            w.ready = False
                        if w.ready:
                            free.append(w)
                            continue
                        failed_starts += 1
                        if failed_starts > 3 * len(mine):
                            starting.append(w)
                            raise RuntimeError("grading workers keep dying at start-up (python -m evalkit.grading.zygote)")
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
