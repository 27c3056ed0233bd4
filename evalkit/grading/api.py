"""Public entry points: extract, compare one pair, grade a batch, and a cheap key for majority voting.

Cheap decisions (normalised strings, exact numbers, structure) are made in the calling process without
IPC; only pairs that need sympy go to the persistent worker pool (`pool.py`), where each check is bounded
by killing its worker. A large batch, or any batch once the pool runs, is graded entirely in the workers
(`batch.py`). Nothing here uses signals, so every function is safe to call from threads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from evalkit.grading import batch, normalize
from evalkit.grading.compare import NeedsSymbolic, compare
from evalkit.grading.extract import extract_answer
from evalkit.grading.policy import Policy, policy_for
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
    question: str | None = None  # the problem text: approximation requests allow rounded decimals


_WORKED = re.compile(  # a box, an answer phrase, or maths followed by "so/thus/…": a gold written as a solution
    r"\\(?:boxed|fbox)\s*\{|final answer|answer is|\$[^$]*\$[^$]*\b(?:so|thus|therefore|hence)\b", re.IGNORECASE
)


def gold_text(gold: str | Sequence[str]) -> str:
    """The gold answer: a multi-part gold (OlympiadBench) is one answer whose parts must all be matched;
    a gold that is a worked solution (`… so the total is $\\boxed{1{,}260}$.`) is extracted first."""
    if isinstance(gold, str):
        return _extract_gold(gold)
    parts = [_extract_gold(str(g)) for g in gold]
    return parts[0] if len(parts) == 1 else ", ".join(parts)


@lru_cache(maxsize=4096)  # one gold, many samples
def _extract_gold(gold: str) -> str:
    if len(gold) < 12 or not _WORKED.search(gold):
        return gold
    return extract_answer(gold) or gold


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


def _fast(gold: str, pred: str, policy: Policy) -> tuple[bool, str] | None:
    if len(gold) + len(pred) > FAST_PATH_MAX_CHARS:
        return None
    try:
        return compare(gold, pred, symbolic=False, policy=policy)
    except NeedsSymbolic:
        return None
    except RecursionError:
        return None


def check(
    gold: str | Sequence[str],
    pred: str | None,
    timeout: float = DEFAULT_TIMEOUT,
    question: str | None = None,
    numeric_tolerance: float | None = None,
) -> Verdict:
    """Compare one answer with the gold; at most `timeout` seconds of sympy, then a timeout verdict.

    Without `question` the rounding rule is strict (`0.667` is not `\\frac{2}{3}`); a question that asks
    for an approximation allows rounded decimals; `numeric_tolerance` accepts any number within that
    relative error (see docs/grading.md)."""
    if pred is None or not str(pred).strip():
        return Verdict(None, "no answer", pred)
    g = gold_text(gold)
    policy = policy_for(question, numeric_tolerance)
    fast = _fast(g, pred, policy)
    if fast is not None:
        return Verdict(fast[0], fast[1], pred)
    equal, reason = get_pool(1).run_one(g, pred, timeout, policy)
    return Verdict(equal, reason, pred)


def grade(
    items: Sequence[GradeItem],
    workers: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[int, int], None] | None = None,
    dedupe: bool = True,
    numeric_tolerance: float | None = None,
) -> list[Verdict]:
    """Grade a batch in parallel: extraction and cheap checks here and sympy in up to `workers` processes,
    or (large batches, or once the pool runs) everything in the workers; the verdicts are the same.

    `progress(n, correct)` is called as n more verdicts are ready, `correct` of them equal. With
    `dedupe`, identical (gold, answer) pairs (common with many samples per problem) are checked once.
    Each item's `question` and the batch's `numeric_tolerance` set its rounding policy (`check`).
    """
    workers = workers or default_workers()
    if batch.worth_shipping(len(items)):
        return _grade_in_workers(items, workers, timeout, progress, dedupe, numeric_tolerance)
    verdicts: list[Verdict | None] = [None] * len(items)
    jobs: list[tuple] = []  # (gold, answer, "compare"): pairs only sympy can decide, for the workers
    where: list[int] = []
    policies: dict[str | None, Policy] = {}
    done = correct = 0
    for i, item in enumerate(items):
        pred = extract_answer(item.output) if item.output is not None else item.pred
        if pred is None or not str(pred).strip():
            verdicts[i] = Verdict(None, "no answer", None)
            done += 1
            continue
        g = gold_text(item.gold)
        if item.question not in policies:
            policies[item.question] = policy_for(item.question, numeric_tolerance)
        policy = policies[item.question]
        fast = _fast(g, pred, policy)
        if fast is not None:
            verdicts[i] = Verdict(fast[0], fast[1], pred)
            done += 1
            correct += fast[0] is True
            continue
        jobs.append((g, pred, "compare", policy))
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
                      progress: Callable[[int, int], None] | None, dedupe: bool,
                      numeric_tolerance: float | None) -> list[Verdict]:
    """`grade` with extraction and every layer in the workers (`batch.py`): all cores, same verdicts."""
    verdicts: list[Verdict | None] = [None] * len(items)
    policies: dict[str | None, Policy] = {}
    jobs, where = [], []
    for i, item in enumerate(items):
        if item.output is None and (item.pred is None or not str(item.pred).strip()):
            verdicts[i] = Verdict(None, "no answer", item.pred)
            continue
        kind = "compare" if item.output is None else ("grade-memo" if dedupe else "grade")
        if item.question not in policies:
            policies[item.question] = policy_for(item.question, numeric_tolerance)
        jobs.append((gold_text(item.gold), str(item.output if item.output is not None else item.pred), kind,
                     policies[item.question]))
        where.append(i)
    if progress and len(jobs) < len(items):
        progress(len(items) - len(jobs), 0)

    def on_result(j: int, result: tuple[bool | None, str, str | None]) -> None:
        verdicts[where[j]] = Verdict(*result)

    batch.run_in_workers(jobs, workers, timeout, dedupe, on_result, progress)
    return verdicts  # type: ignore[return-value]
