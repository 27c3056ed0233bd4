"""Confidence intervals and paired tests for benchmark scores, with the problem as the unit.

A benchmark score is the mean over problems of a per-problem score (avg@n over that problem's n
samples). Samples of one problem are correlated, so every resampling here draws whole problems: the
n samples of a problem stay together. Paired statistics use the per-problem difference between two
runs on the same problems, which removes the (large) between-problem variance from the comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from math import comb

import numpy as np

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
        signs = np.array(list(product((-1.0, 1.0), repeat=nz.size)))
        return float(np.mean(np.abs(signs @ nz) >= observed))
    rng = np.random.default_rng(seed)
    signs = rng.choice((-1.0, 1.0), size=(iters, nz.size))
    hits = int(np.sum(np.abs(signs @ nz) >= observed))
    return (1 + hits) / (1 + iters)


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
    """Difference B - A of per-problem scores on the same problems, its paired bootstrap interval and
    a paired p-value: exact McNemar when every score is 0/1 (one sample per problem), otherwise a
    sign-flip permutation test on the per-problem differences (avg@n)."""
    a, b = _as_array(a), _as_array(b)
    if a.shape != b.shape:
        raise ValueError("paired scores must cover the same problems")
    d = b - a
    lo, hi = bootstrap_ci(d, iters=iters, seed=seed)
    a_only = int(np.sum((a >= 0.5) & (b < 0.5)))
    b_only = int(np.sum((a < 0.5) & (b >= 0.5)))
    if binary:
        p, test = mcnemar_exact(a_only, b_only), "exact McNemar"
    else:
        p, test = sign_flip_pvalue(d, iters=iters, seed=seed), "sign-flip permutation"
    return PairedResult(float(d.mean()), lo, hi, p, test, a_only, b_only)


def solved(score: float) -> bool:
    """A problem counts as solved when at least half its samples are correct (for flips)."""
    return score >= 0.5
