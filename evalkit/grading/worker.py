"""Worker process body for symbolic checks, run in processes forked from the warm zygote (`zygote.py`).

Importing this module imports sympy and latex2sympy and runs a few checks, so that the zygote (which
imports it before forking) hands out workers that are ready at once. A worker answers (job_id, gold, pred) messages
with (job_id, equal, reason); the parent kills it when a check overruns, nothing here has to cooperate.
"""

from __future__ import annotations

import os
import sys

from evalkit.grading.compare import compare
from evalkit.grading.policy import STRICT
from evalkit.grading.symbolic import to_sympy

MEMORY_LIMIT = 4 * 1024**3  # bytes of address space; a runaway sympy expansion fails instead of swapping


def _warm_up() -> None:
    """Import sympy's lazily loaded simplification code and the ANTLR parser now, not in a timed check."""
    compare("x^2-1", "(x-1)(x+1)", symbolic=True)
    compare(r"[0,1)", r"x \ge 0", symbolic=True)
    to_sympy(r"\frac{\sqrt{3}}{2}")


_warm_up()


def _limit_memory() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):
        pass


def worker_main(conn, announce_pid: bool = True) -> None:
    """Serve checks on `conn` until it closes or receives None; first say ready (with the pid to kill)."""
    sys.setrecursionlimit(10_000)
    _limit_memory()
    conn.send(("ready", os.getpid() if announce_pid else None, None))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        job_id, gold, pred, *policy = msg  # the item's grading policy (policy.py), when the caller sent one
        try:
            equal, reason = compare(gold, pred, symbolic=True, policy=policy[0] if policy and policy[0] else STRICT)
        except MemoryError:
            equal, reason = None, "out of memory"
        except RecursionError:
            equal, reason = None, "expression too deeply nested"
        except Exception as err:  # noqa: BLE001 - any other failure is a verdict with its reason, not a dead worker
            equal, reason = False, f"error ({type(err).__name__})"
        conn.send((job_id, equal, reason))
