"""Paired statistics: interval coverage on simulated data, exact tests against hand computations."""

from __future__ import annotations

import numpy as np
import pytest

from evalkit import stats


def test_paired_interval_covers_true_difference_at_nominal_rate():
    # Population of problems: A solves problem i with p_i ~ Beta(2, 2), B with 0.9 p_i + 0.1, so the
    # true difference of expected avg@4 is E[0.1 - 0.1 p] = 0.05. Each replicate draws fresh problems
    # and 4 samples per problem per model.
    rng = np.random.default_rng(1234)
    reps, problems, n = 200, 100, 4
    covered = 0
    for rep in range(reps):
        p = rng.beta(2, 2, size=problems)
        a = rng.binomial(n, p) / n
        b = rng.binomial(n, 0.9 * p + 0.1) / n
        result = stats.paired_compare(a, b, binary=False, iters=1000, seed=rep)
        covered += result.ci_low <= 0.05 <= result.ci_high
    assert 0.90 <= covered / reps <= 0.99, covered / reps


def test_score_interval_covers_true_mean_at_nominal_rate():
    rng = np.random.default_rng(99)
    reps, covered = 200, 0
    for rep in range(reps):
        scores = rng.binomial(8, rng.beta(1, 3, size=60)) / 8  # true mean of avg@8: 0.25
        lo, hi = stats.bootstrap_ci(scores, iters=1000, seed=rep)
        covered += lo <= 0.25 <= hi
    assert 0.90 <= covered / reps <= 0.99, covered / reps


@pytest.mark.parametrize(
    ("b", "c", "expected"),
    [
        (1, 5, 2 * (1 + 6) / 64),  # m=6: P(X<=1) = (C(6,0)+C(6,1))/2^6, two-sided doubles it
        (0, 6, 2 * 1 / 64),
        (3, 3, 1.0),  # capped at 1
        (0, 0, 1.0),  # no discordant problem: no evidence either way
        (2, 8, 2 * (1 + 10 + 45) / 1024),
    ],
)
def test_exact_mcnemar_matches_hand_computation(b, c, expected):
    assert stats.mcnemar_exact(b, c) == pytest.approx(expected)
    assert stats.mcnemar_exact(c, b) == pytest.approx(expected)


def test_paired_compare_uses_discordant_pairs_for_one_sample_per_problem():
    a = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0], dtype=float)
    b = np.array([1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0], dtype=float)  # 1 lost, 5 gained
    result = stats.paired_compare(a, b, binary=True, iters=500)
    assert (result.a_only, result.b_only) == (1, 5)
    assert result.test == "exact McNemar"
    assert result.p_value == pytest.approx(14 / 64)
    assert result.diff == pytest.approx(4 / 12)


def test_sign_flip_exact_enumeration_hand_case():
    # three problems each +0.5: of the 8 sign patterns only all-plus and all-minus reach |sum| = 1.5
    assert stats.sign_flip_pvalue([0.5, 0.5, 0.0, 0.5]) == pytest.approx(2 / 8)


def test_identical_runs_give_zero_difference_and_p_one():
    scores = np.array([0.0, 0.25, 1.0, 0.5, 0.75] * 10)
    for binary, values in ((False, scores), (True, (scores >= 0.5).astype(float))):
        result = stats.paired_compare(values, values, binary=binary)
        assert result.diff == 0.0
        assert (result.ci_low, result.ci_high) == (0.0, 0.0)
        assert result.p_value == 1.0
        assert result.a_only == result.b_only == 0


def test_clear_difference_is_significant_and_resampling_is_reproducible():
    rng = np.random.default_rng(5)
    a = rng.binomial(8, 0.3, size=200) / 8
    b = np.clip(a + 0.25, 0, 1)
    first = stats.paired_compare(a, b, binary=False, iters=2000, seed=3)
    assert first.p_value < 0.001 and first.ci_low > 0
    assert stats.paired_compare(a, b, binary=False, iters=2000, seed=3) == first
