"""First checker: last `\\boxed{}` extraction, string normalisation, then sympy under a time bound.

Every sympy call runs in a worker process that is killed when it overruns; nothing here uses
signal.alarm, so it is safe from threads.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass


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


def _last_boxed(text: str) -> str | None:
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start < 0:
        return None
    brace = text.find("{", start)
    if brace < 0:
        return None
    depth = 0
    for i in range(brace, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[brace + 1 : i].strip()
    return None


def extract_answer(output: str) -> str | None:
    return _last_boxed(output)


_STRIP = [r"\\left", r"\\right", r"\\!", r"\\,", r"\\;", r"\$", r"\s+", r"\\text\{\s*\}", r"\^\{?\\circ\}?"]


def normalize(answer: str) -> str:
    text = re.sub(r"\\text\{(.*?)\}", r"\1", answer)
    text = text.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    for pattern in _STRIP:
        text = re.sub(pattern, "", text)
    return text.rstrip(".")


def answer_key(answer: str) -> str:
    """A cheap canonical form, so that majority voting groups trivially different spellings."""
    return normalize(answer)


def _sympy_equal(gold: str, pred: str) -> bool:
    import sympy
    from latex2sympy2_extended import latex2sympy

    a, b = latex2sympy(gold), latex2sympy(pred)
    return bool(sympy.simplify(a - b) == 0)


def _check_in_worker(gold: str, pred: str) -> tuple[bool, str]:
    try:
        return _sympy_equal(gold, pred), "symbolic"
    except Exception as err:  # unparsable LaTeX is "not equal", with the reason kept
        return False, f"unparsable ({type(err).__name__})"


def _golds(gold: str | Sequence[str]) -> list[str]:
    return [gold] if isinstance(gold, str) else [str(g) for g in gold]


def check(gold: str | Sequence[str], pred: str | None, timeout: float = 5.0) -> Verdict:
    return grade([GradeItem(gold=gold, pred=pred)], workers=1, timeout=timeout)[0]


def grade(items: Sequence[GradeItem], workers: int | None = None, timeout: float = 5.0) -> list[Verdict]:
    verdicts: list[Verdict | None] = [None] * len(items)
    pending = []
    for i, item in enumerate(items):
        pred = extract_answer(item.output) if item.output is not None else item.pred
        if pred is None:
            verdicts[i] = Verdict(None, "no answer")
            continue
        gold = ", ".join(_golds(item.gold))
        if normalize(gold) == normalize(pred):
            verdicts[i] = Verdict(True, "normalised strings equal", pred)
        else:
            pending.append((i, gold, pred))
    if pending:
        ctx = mp.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1, mp_context=ctx)
        futures = [(i, pred, pool.submit(_check_in_worker, gold, pred)) for i, gold, pred in pending]
        for i, pred, future in futures:
            try:
                equal, reason = future.result(timeout=timeout)
                verdicts[i] = Verdict(equal, reason, pred)
            except FutureTimeout:
                verdicts[i] = Verdict(None, "timeout", pred)
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.kill()
        pool.shutdown(wait=False, cancel_futures=True)
    return verdicts  # type: ignore[return-value]
