"""Worker process body, run in processes forked from the warm zygote (`zygote.py`).

Importing this module imports sympy and latex2sympy and runs a few checks, so that the zygote (which
imports it before forking) hands out workers that are ready at once. A worker receives a chunk of jobs
`[(job_id, kind, gold, text), ...]` and answers each with `(job_id, equal, reason, extracted)` as soon as
it is decided, so the parent can bound every job by the time since the previous answer and kill the
worker when one overruns; nothing here has to cooperate. A job may carry a fifth element, the grading
policy of its item, handed to `compare` (None: the checker's default). Kinds (`CHECKS`):
- `compare`: `text` is an extracted answer, compared with the layered checker (sympy included);
- `grade`: `text` is a whole response: extraction, then the same comparison, in this process;
- `grade-memo`: as `grade`, and an identical (gold, answer) pair seen before reuses its verdict;
- `math-verify`: Math-Verify's own extraction and verification (the second opinion), without its
  `signal.alarm` timeouts: the parent's wall-clock limit bounds it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from evalkit.grading.compare import compare
from evalkit.grading.extract import extract_answer
from evalkit.grading.symbolic import to_sympy

MEMORY_LIMIT = 4 * 1024**3  # bytes of address space; a runaway sympy expansion fails instead of swapping
MEMO_SIZE = 20_000  # (gold, answer) verdicts a worker remembers for `grade-memo` jobs

Outcome = tuple[bool | None, str, str | None]  # equal, reason, extracted answer


def _warm_up() -> None:
    """Import sympy's lazily loaded simplification code and the ANTLR parser now, not in a timed check."""
    compare("x^2-1", "(x-1)(x+1)", symbolic=True)
    compare(r"[0,1)", r"x \ge 0", symbolic=True)
    to_sympy(r"\frac{\sqrt{3}}{2}")


_warm_up()


def _compare(gold: str, pred: str, policy: object = None) -> Outcome:
    equal, reason = compare(gold, pred, symbolic=True, **({} if policy is None else {"policy": policy}))
    return equal, reason, pred


def _grade(gold: str, output: str, policy: object = None) -> Outcome:
    pred = extract_answer(output)
    if pred is None or not pred.strip():
        return None, "no answer", None
    return _compare(gold, pred, policy)


_MEMO: dict[tuple, Outcome] = {}


def _grade_memo(gold: str, output: str, policy: object = None) -> Outcome:
    pred = extract_answer(output)
    if pred is None or not pred.strip():
        return None, "no answer", None
    key = (gold, pred, policy)
    if key not in _MEMO:
        if len(_MEMO) >= MEMO_SIZE:
            _MEMO.clear()
        _MEMO[key] = _compare(gold, pred, policy)
    return _MEMO[key]


def _math_verify(gold: str, output: str, policy: object = None) -> Outcome:
    """Math-Verify's verdict on a whole response, with its own extracted answer (`second_opinion.py`)."""
    import logging

    from math_verify import parse, verify  # the `audit` extra; milliseconds once sympy is loaded

    logging.getLogger("math_verify").setLevel(logging.ERROR)  # "timeout disabled": the parent bounds us
    gold_text = gold if "\\boxed" in gold else f"${gold}$"  # a bare gold is LaTeX; a worked solution has a box
    parsed_gold = parse(gold_text, parsing_timeout=None)
    parsed = parse(output, parsing_timeout=None)
    if not parsed:
        return None, "no answer", None
    extracted = next((p for p in reversed(parsed) if isinstance(p, str)), str(parsed[0]))
    if not parsed_gold:
        return False, "gold not parsed", extracted
    equal = bool(verify(parsed_gold, parsed, timeout_seconds=None))
    return equal, "equal" if equal else "different", extracted


CHECKS: dict[str, Callable[[str, str, object], Outcome]] = {
    "compare": _compare, "grade": _grade, "grade-memo": _grade_memo, "math-verify": _math_verify,
}


def run_job(kind: str, gold: str, text: str, policy: object = None) -> Outcome:
    """One job's outcome; a failure of the checker is a verdict with its reason, not a dead worker."""
    try:
        return CHECKS[kind](gold, text, policy)
    except MemoryError:
        return None, "out of memory", None
    except RecursionError:
        return None, "expression too deeply nested", None
    except Exception as err:  # noqa: BLE001
        return False, f"error ({type(err).__name__})", None


def _limit_memory() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):
        pass


def worker_main(conn, announce_pid: bool = True) -> None:
    """Serve job chunks on `conn` until it closes or receives None; first say ready (with the pid to kill)."""
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
        for job_id, kind, gold, text, policy in msg:
            conn.send((job_id, *run_job(kind, gold, text, policy)))
