"""Worker process for symbolic checks: `python -m evalkit.grading.worker`, talking over stdin/stdout.

A separate interpreter (not multiprocessing's spawn, which would re-run the CLI's `__main__`) that imports
sympy once, says "ready", then answers (job_id, gold, pred) messages with (job_id, equal, reason). The
parent kills it when a check overruns; nothing here needs to cooperate with that.
"""

from __future__ import annotations

import os
import sys
from multiprocessing.connection import Connection

MEMORY_LIMIT = 4 * 1024**3  # bytes of address space; a runaway sympy expansion fails instead of swapping


def _limit_memory() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):
        pass


def main() -> None:
    inbox = Connection(os.dup(0), writable=False)
    outbox = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # stray prints from libraries must not corrupt the message stream
    sys.setrecursionlimit(10_000)
    _limit_memory()
    from evalkit.grading.compare import compare
    from evalkit.grading.symbolic import to_sympy

    # Warm up the ANTLR parser and sympy's lazily imported simplification code before declaring readiness,
    # so that the first real check is not charged a second of imports against its time limit.
    compare("x^2-1", "(x-1)(x+1)", symbolic=True)
    compare(r"[0,1)", r"x \ge 0", symbolic=True)
    to_sympy(r"\frac{\sqrt{3}}{2}")
    outbox.send(("ready", None, None))
    while True:
        try:
            msg = inbox.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        job_id, gold, pred = msg
        try:
            equal, reason = compare(gold, pred, symbolic=True)
        except MemoryError:
            equal, reason = None, "out of memory"
        except RecursionError:
            equal, reason = None, "expression too deeply nested"
        except Exception as err:  # noqa: BLE001 - any other failure is a verdict with its reason, never a dead worker
            equal, reason = False, f"error ({type(err).__name__})"
        outbox.send((job_id, equal, reason))


if __name__ == "__main__":
    main()
