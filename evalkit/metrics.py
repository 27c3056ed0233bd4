"""Metrics over every sample of a problem: avg@n, unbiased pass@k, maj@n.

Scores are per problem; a benchmark score is their unweighted mean over problems (what lm-eval's
`mean` aggregation does with the per-document values returned here).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from math import comb


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al., 2021): 1 - C(n-c, k) / C(n, k) for n samples of which c pass."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def ks_for(n: int) -> list[int]:
    """The k reported for n samples: powers of two up to n (1, 2, 4, ...), as the Sky-T1 tables do.

    Powers of two only, so that result keys are the same fixed set for every n (lm-eval declares
    metric names up front)."""
    ks, k = [], 1
    while k <= n:
        ks.append(k)
        k *= 2
    return ks


def avg_at_n(correct: Sequence[bool]) -> float:
    """Mean correctness over all n samples: the headline accuracy."""
    if not correct:
        raise ValueError("avg@n needs at least one sample")
    return sum(bool(x) for x in correct) / len(correct)


def maj_at_n(answers: Sequence[str | None], correct: Sequence[bool]) -> float:
    """1.0 if the most frequent extracted answer is correct. Samples without an answer do not vote;
    ties go to the answer seen first. No answer at all scores 0."""
    votes = Counter(a for a in answers if a is not None)
    if not votes:
        return 0.0
    top = max(votes.values())
    winner = next(a for a in answers if a is not None and votes[a] == top)
    return float(any(ok for a, ok in zip(answers, correct) if a == winner))


def problem_metrics(answers: Sequence[str | None], correct: Sequence[bool]) -> dict[str, float]:
    """All sample metrics for one problem, keyed as they appear in results files."""
    n, c = len(correct), sum(bool(x) for x in correct)
    out = {"avg@n": avg_at_n(correct)}
    out.update({f"pass@{k}": pass_at_k(n, c, k) for k in ks_for(n)})
    out["maj@n"] = maj_at_n(answers, correct)
    out["extraction_failure_rate"] = sum(a is None for a in answers) / n
    return out
