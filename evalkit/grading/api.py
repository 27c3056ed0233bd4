"""Public entry points: extract, compare one pair, grade a batch, and a cheap key for majority voting.

Cheap decisions (normalised strings, exact numbers, structure) are made in the calling process without
IPC; only pairs that need sympy go to the persistent worker pool (`pool.py`), where each check is bounded
by killing its worker. A large batch, or any batch once the pool runs, is graded entirely in the workers
(`batch.py`). Nothing here uses signals, so every function is safe to call from threads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from evalkit.grading import batch, normalize
from evalkit.grading.compare import NeedsSymbolic, compare
from evalkit.grading.extract import extract_answer
from evalkit.grading.pool import default_workers, get_pool

DEFAULT_TIMEOUT = 5.0
FAST_PATH_MAX_CHARS = 1000  # longer answers skip the in-process layer: only a killable worker sees them


@dataclass(frozen=True)
class Verdict:
    equal: bool | None  # None: no answer extracted, or the check timed out
    reason: str
    extracted: str | None = None


@dataclass(frozen=True)
class GradeItem:
    gold: str | Sequence[str]
    pred: str | None = None  # an answer, or
    output: str | None = None  # a whole response to extract from


def gold_text(gold: str | Sequence[str]) -> str:
    """A multi-part gold (OlympiadBench) is one answer whose parts must all be matched."""
    if isinstance(gold, str):
        return gold
    parts = [str(g) for g in gold]
    return parts[0] if len(parts) == 1 else ", ".join(parts)


def answer_key(answer: str | None) -> str:
    """A cheap normalised key for majority voting: equivalent simple answers get the same key.

    `\\dfrac{1}{2}`, `$\\frac12$`, `1/2` and `0.5` all map to `1/2` (plain numbers are keyed by their
    exact value); other answers by their normalised LaTeX with spaces removed. No sympy, no IPC.
    """
    if answer is None:
        return ""
    key = normalize.key(answer)
    from evalkit.grading.numbers import parse_number

    num = parse_number(key)
    if num is not None:
        v = num.value
        return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
    return key


def _fast(gold: str, pred: str) -> tuple[bool, str] | None:
    if len(gold) + len(pred) > FAST_PATH_MAX_CHARS:
        return None
    try:
        return compare(gold, pred, symbolic=False)
    except NeedsSymbolic:
        return None
    except RecursionError:
        return None


def check(gold: str | Sequence[str], pred: str | None, timeout: float = DEFAULT_TIMEOUT) -> Verdict:
    """Compare one answer with the gold; at most `timeout` seconds of sympy, then a timeout verdict."""
    if pred is None or not str(pred).strip():
        return Verdict(None, "no answer", pred)
    g = gold_text(gold)
    fast = _fast(g, pred)
    if fast is not None:
        return Verdict(fast[0], fast[1], pred)
    equal, reason = get_pool(1).run_one(g, pred, timeout)
    return Verdict(equal, reason, pred)


def grade(
    items: Sequence[GradeItem],
    workers: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[int, int], None] | None = None,
    dedupe: bool = True,
) -> list[Verdict]:
    """Grade a batch in parallel: extraction and cheap checks here and sympy in up to `workers` processes,
    or (large batches, or once the pool runs) everything in the workers; the verdicts are the same.

    `progress(n, correct)` is called as n more verdicts are ready, `correct` of them equal. With
    `dedupe`, identical (gold, answer) pairs (common with many samples per problem) are checked once.
    """
    workers = workers or default_workers()
    if batch.worth_shipping(len(items)):
        return _grade_in_workers(items, workers, timeout, progress, dedupe)
    verdicts: list[Verdict | None] = [None] * len(items)
    jobs: list[tuple] = []  # (gold, answer, "compare"): pairs only sympy can decide, for the workers
    where: list[int] = []
    done = correct = 0
    for i, item in enumerate(items):
        pred = extract_answer(item.output) if item.output is not None else item.pred
        if pred is None or not str(pred).strip():
            verdicts[i] = Verdict(None, "no answer", None)
            done += 1
            continue
        g = gold_text(item.gold)
        fast = _fast(g, pred)
        if fast is not None:
            verdicts[i] = Verdict(fast[0], fast[1], pred)
            done += 1
            correct += fast[0] is True
            continue
        jobs.append((g, pred, "compare"))
        where.append(i)
        if progress and done >= 256:
            progress(done, correct)
            done = correct = 0
    if progress and done:
        progress(done, correct)

    def on_result(j: int, result: tuple[bool | None, str, str | None]) -> None:
        verdicts[where[j]] = Verdict(*result)

    if jobs:
        batch.run_in_workers(jobs, workers, timeout, dedupe, on_result, progress)
    return verdicts  # type: ignore[return-value]


def _grade_in_workers(items: Sequence[GradeItem], workers: int, timeout: float,
                      progress: Callable[[int, int], None] | None, dedupe: bool) -> list[Verdict]:
    """`grade` with extraction and every layer in the workers (`batch.py`): all cores, same verdicts."""
    verdicts: list[Verdict | None] = [None] * len(items)
    jobs, where = [], []
    for i, item in enumerate(items):
        if item.output is None and (item.pred is None or not str(item.pred).strip()):
            verdicts[i] = Verdict(None, "no answer", item.pred)
            continue
        kind = "compare" if item.output is None else ("grade-memo" if dedupe else "grade")
        jobs.append((gold_text(item.gold), str(item.output if item.output is not None else item.pred), kind))
        where.append(i)
    if progress and len(jobs) < len(items):
        progress(len(items) - len(jobs), 0)

    def on_result(j: int, result: tuple[bool | None, str, str | None]) -> None:
        verdicts[where[j]] = Verdict(*result)

    batch.run_in_workers(jobs, workers, timeout, dedupe, on_result, progress)
    return verdicts  # type: ignore[return-value]
