"""Judge many programs at once: one worker per core, each with its own warm sandbox and uid slot.

Work happens in child processes (the sandboxes), so threads are enough here; no Python code runs
between fork and exec. A rich progress bar shows programs done and tests per second.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from sandbox.compare import MODES
from sandbox.isolation import walls
from sandbox.judge import BadTests, Judgement, TestVerdict, judge
from sandbox.limits import Limits
from sandbox.session import Session


@dataclass(frozen=True)
class Job:
    """One program (sample) and its problem's tests; `fn_name` for call-based problems."""

    program: str
    tests: Sequence[Any]
    fn_name: str | None = None


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def judge_many(jobs: Sequence[Job], *, mode: str = "lcb", limits: Limits | None = None, workers: int | None = None,
               progress: bool = True, description: str = "judging",
               on_result: Callable[[Judgement], None] | None = None) -> list[Judgement]:
    """Judge every job; results in job order. Raises IsolationUnavailable before starting if needed.
    A job whose tests are malformed gets verdict SE with the reason in its test's `detail`.

    `on_result` sees each judgement as it is decided (from worker threads), for a caller's own progress."""
    if mode not in MODES:  # the batch's own argument: refused before anything runs
        raise BadTests(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}.")
    limits = limits or Limits()
    if not limits.unsafe_no_sandbox:
        walls()
    workers = max(1, workers or default_workers())
    slots: queue.Queue[Session | None] = queue.Queue()  # one warm sandbox per worker, reused
    for slot in range(workers):
        slots.put(None if limits.unsafe_no_sandbox else Session(limits, slot))
    lock = threading.Lock()
    state = {"tests": 0}
    start = time.monotonic()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("programs"),
               TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, disable=not progress, transient=False) as bar:
        task = bar.add_task(description, total=len(jobs), rate="0.0 tests/s")

        def work(job: Job) -> Judgement:
            session = slots.get()
            try:
                result = judge(job.program, job.tests, mode=mode, fn_name=job.fn_name, limits=limits,
                               session=session)
            except BadTests as err:  # this item's fault alone: its own verdict, the batch goes on
                result = Judgement("SE", [TestVerdict("SE", 0.0, 0.0, detail=f"malformed tests: {err}")], mode=mode)
            finally:
                slots.put(session)
            with lock:
                state["tests"] += len(result.tests)
                rate = state["tests"] / max(time.monotonic() - start, 1e-9)
            bar.update(task, advance=1, rate=f"{rate:.1f} tests/s")
            if on_result is not None:
                on_result(result)
            return result

        try:
            with ThreadPoolExecutor(workers) as pool:
                return list(pool.map(work, jobs))
        finally:
            while not slots.empty():
                session = slots.get()
                if session is not None:
                    session.close()
