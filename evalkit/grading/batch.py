"""Grading a batch entirely in the worker pool: extraction, cheap layers and sympy, all in parallel.

Why: extraction and the cheap comparison layers cost ~0.3 ms per response; done in the calling process
they run on one core while the workers wait, and the workers' sympy checks only start once the last
response has been looked at. Shipped to the workers in chunks, the whole batch runs on every core at
once, and each job stays bounded by the pool's wall-clock limit. Worth it once the pool is up (a
fork is milliseconds) or the batch is large enough to repay starting it (`SHIP_MIN_ITEMS`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from evalkit.grading.pool import Result, get_pool, pool_started

SHIP_MIN_ITEMS = 2000  # with no pool running yet, smaller batches are graded in the calling process
PROGRESS_EVERY = 64  # verdicts between progress callbacks


def worth_shipping(n_items: int) -> bool:
    return pool_started() or n_items >= SHIP_MIN_ITEMS


def run_in_workers(
    jobs: Sequence[tuple],
    workers: int,
    timeout: float,
    dedupe: bool,
    on_result: Callable[[int, Result], None],
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Run (gold, text, kind[, policy]) jobs; identical jobs run once with `dedupe`. `on_result(i, result)` for every
    job index i; `progress(n, correct)` every `PROGRESS_EVERY` verdicts."""
    unique: list[tuple] = []
    members: list[list[int]] = []
    seen: dict[tuple, int] = {}
    for i, job in enumerate(jobs):
        if dedupe and job in seen:
            members[seen[job]].append(i)
            continue
        seen[job] = len(unique)
        unique.append(job)
        members.append([i])
    tally = [0, 0]

    def fan_out(u: int, result: Result) -> None:
        for i in members[u]:
            on_result(i, result)
        tally[0] += len(members[u])
        tally[1] += len(members[u]) * (result[0] is True)
        if progress and tally[0] >= PROGRESS_EVERY:
            progress(tally[0], tally[1])
            tally[0] = tally[1] = 0

    get_pool(workers).run_batch(unique, timeout, workers, fan_out)
    if progress and tally[0]:
        progress(tally[0], tally[1])
