"""Confidence intervals and paired tests for benchmark scores, with the problem as the unit.

A benchmark score is the mean over problems of a per-problem score (avg@n over that problem's n
samples). Samples of one problem are correlated, so every resampling here draws whole problems: the
n samples of a problem stay together. Paired statistics use the per-problem difference between two
runs on the same problems, which removes the (large) between-problem variance from the comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb, sqrt

import numpy as np
from scipy.stats import norm
from scipy.stats import t as student_t

DEFAULT_ITERS = 5000
EXACT_PERMUTATION_MAX = 16  # enumerate all 2^m sign flips up to this many non-zero differences


def _as_array(scores) -> np.ndarray:
    arr = np.asarray(scores, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError("scores must be a non-empty 1-D sequence of per-problem values")
    return arr


def bootstrap_ci(scores, iters: int = DEFAULT_ITERS, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean, resampling problems (each with all its samples)."""
    arr = _as_array(scores)
    if np.all(arr == arr[0]):
        return float(arr[0]), float(arr[0])
    rng = np.random.default_rng(seed)
    means = arr[rng.integers(0, arr.size, size=(iters, arr.size))].mean(axis=1)
    alpha = (1 - level) / 2
    lo, hi = np.quantile(means, [alpha, 1 - alpha])
    return float(lo), float(hi)


def wilson_interval(p: float, n_eff: float, z: float) -> tuple[float, float]:
    """Wilson score interval for a proportion p observed on n_eff independent trials: never [0, 0]
    at p = 0 nor [1, 1] at p = 1, unlike the bootstrap or the normal approximation."""
    denom = 1 + z * z / n_eff
    center = (p + z * z / (2 * n_eff)) / denom
    half = z / denom * sqrt(p * (1 - p) / n_eff + z * z / (4 * n_eff * n_eff))
    return max(0.0, center - half), min(1.0, center + half)


def score_interval(scores, n_samples: int, level: float = 0.95) -> tuple[float, float]:
    """Interval of a benchmark score (the mean over P problems of per-problem avg@n, each in [0, 1]).

    One sample per problem (every score 0 or 1): the Wilson interval on P trials. Several samples:
    Wilson on the effective number of independent trials n_eff = p(1 - p) / (s^2 / P), with s^2 the
    unbiased between-problem variance of the per-problem scores, so correlated samples of one problem
    count for less than independent ones; n_eff is capped at P * n (independent samples), taken as P
    when s^2 = 0 (no spread to estimate the correlation from: assume the worst, as for n = 1), and the
    quantile is Student's t with P - 1 degrees of freedom (s^2 is estimated). Chosen by simulation:
    bench/compare_coverage.py, docs/compare.md."""
    arr = _as_array(scores)
    size, p = arr.size, float(arr.mean())
    if np.all((arr == 0) | (arr == 1)):
        return wilson_interval(p, size, float(norm.ppf(0.5 + level / 2)))
    var = float(arr.var(ddof=1)) if size > 1 else 0.0
    n_eff = size if var == 0 else min(p * (1 - p) / (var / size), size * max(1, n_samples))
    return wilson_interval(p, max(n_eff, 1.0), float(student_t.ppf(0.5 + level / 2, max(size - 1, 1))))


def t_interval(values, level: float = 0.95) -> tuple[float, float]:
    """Student-t interval of the mean: mean +- t(P - 1) * s / sqrt(P); a point when all values agree."""
    arr = _as_array(values)
    mean = float(arr.mean())
    if arr.size < 2 or np.all(arr == arr[0]):
        return mean, mean
    half = float(student_t.ppf(0.5 + level / 2, arr.size - 1)) * float(arr.std(ddof=1)) / sqrt(arr.size)
    return mean - half, mean + half


def consistent_interval(interval: tuple[float, float], estimate: float, p_value: float,
                        level: float = 0.95) -> tuple[float, float]:
    """Make an interval agree with a test of "difference 0": it contains 0 exactly when p >= 1 - level.

    Where they disagree the interval is widened to reach 0 (the test did not reject) or cut just
    short of 0 on the estimate's side (the test rejected): the reported interval never contradicts
    the reported p-value."""
    lo, hi = interval
    if p_value >= 1 - level:
        return min(lo, 0.0), max(hi, 0.0)
    if lo <= 0.0 <= hi:
        tiny = np.nextafter(0.0, 1.0)
        return (tiny, hi) if estimate > 0 else (lo, -tiny)
    return lo, hi


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar (sign) test: b and c are the discordant counts (A right/B wrong and
    A wrong/B right). Under H0 each discordant problem goes either way with probability 1/2."""
    m = b + c
    if m == 0:
        return 1.0
    tail = sum(comb(m, k) for k in range(min(b, c) + 1)) / 2**m
    return min(1.0, 2 * tail)


def sign_flip_pvalue(diffs, iters: int = DEFAULT_ITERS, seed: int = 0) -> float:
    """Two-sided paired permutation test of mean difference 0: under H0 the sign of each problem's
    difference is exchangeable. Exact enumeration for few non-zero differences, else Monte Carlo
    with the (1 + hits) / (1 + iters) estimate, which is never 0."""
    d = _as_array(diffs)
    nz = d[d != 0]
    if nz.size == 0:
        return 1.0
    observed = abs(nz.sum()) - 1e-12
    if nz.size <= EXACT_PERMUTATION_MAX:
        bits = (np.arange(2**nz.size)[:, None] >> np.arange(nz.size)) & 1  # every sign pattern once
        signs = 2.0 * bits - 1.0
        return float(np.mean(np.abs(signs @ nz) >= observed))
    rng = np.random.default_rng(seed)
    signs = rng.choice((-1.0, 1.0), size=(iters, nz.size))
    hits = int(np.sum(np.abs(signs @ nz) >= observed))
    return (1 + hits) / (1 + iters)


TESTS_RULE = (
    "Which test: for each pair (the first run and one other) on each task, exact McNemar when both runs "
    "of that pair have one sample per problem (scores 0/1), otherwise the sign-flip permutation test on "
    "the per-problem differences of avg@n (exact enumeration up to 16 non-zero differences). The choice "
    "depends on that pair alone, never on the other runs compared. The difference's 95% interval is the "
    "paired t-interval on the per-problem differences, adjusted so it contains 0 exactly when p >= 0.05; "
    "score intervals are Wilson intervals (on the effective number of independent samples for n > 1)."
)


@dataclass(frozen=True)
class PairedResult:
    diff: float  # mean(b) - mean(a)
    ci_low: float
    ci_high: float
    p_value: float
    test: str  # "exact McNemar" or "sign-flip permutation"
    a_only: int  # problems A solved and B did not (see `solved`)
    b_only: int


def paired_compare(a, b, binary: bool, iters: int = DEFAULT_ITERS, seed: int = 0) -> PairedResult:
    """Difference B - A of per-problem scores on the same problems, its interval and a paired p-value
    (the rule is TESTS_RULE). `binary` says both runs have one sample per problem.

    The paired t-interval covered 95% in every 30-problem cell of bench/compare_coverage.py where the
    percentile bootstrap undercovered (down to 92%) and the inverted sign-flip test far worse."""
    a, b = _as_array(a), _as_array(b)
    if a.shape != b.shape:
        raise ValueError("paired scores must cover the same problems")
    d = b - a
    a_only = int(np.sum((a >= 0.5) & (b < 0.5)))
    b_only = int(np.sum((a < 0.5) & (b >= 0.5)))
    if binary:
        p, test = mcnemar_exact(a_only, b_only), "exact McNemar"
    else:
        p, test = sign_flip_pvalue(d, iters=iters, seed=seed), "sign-flip permutation"
    diff = float(d.mean())
    lo, hi = consistent_interval(t_interval(d), diff, p)
    return PairedResult(diff, lo, hi, p, test, a_only, b_only)


def solved(score: float) -> bool:
    """A problem counts as solved when at least half its samples are correct (for flips)."""
    return score >= 0.5
