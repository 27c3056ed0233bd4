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


@pytest.mark.parametrize("n", [1, 8])
def test_scores_at_the_edges_get_intervals_that_mean_something(n):
    # 0/30 and 30/30 are not certainties: the interval leaves room for a true rate of a few percent
    lo, hi = stats.score_interval(np.zeros(30), n)
    assert lo == 0.0 and 0.05 < hi < 0.2
    lo, hi = stats.score_interval(np.ones(30), n)
    assert 0.8 < lo < 0.95 and hi == pytest.approx(1.0)
    # 1/30 solved (n = 1) or one sample of 8 right: the lower end is above 0, the upper well above 1/30
    one = np.zeros(30)
    one[0] = 1.0 if n == 1 else 1 / 8
    lo, hi = stats.score_interval(one, n)
    assert 0 < lo < one.mean() < hi and hi > 3 * one.mean()


def test_score_interval_is_wilson_for_one_sample_per_problem():
    # Wilson for 6/30 at 95%: centre (p + z^2/2N) / (1 + z^2/N), half-width by the textbook formula
    lo, hi = stats.score_interval(np.array([1.0] * 6 + [0.0] * 24), 1)
    assert (lo, hi) == pytest.approx((0.0951, 0.3731), abs=1e-4)


def test_score_interval_counts_correlated_samples_as_fewer_trials():
    # 8 identical samples per problem carry no more information than one: same width as n = 1
    binary = np.array([1.0] * 10 + [0.0] * 20)
    shuffled = np.array([0.5] * 20 + [0.0] * 10)  # same mean, spread over problems less: narrower
    assert stats.score_interval(binary, 8) == pytest.approx(stats.score_interval(binary, 1))
    w_spread = np.subtract(*stats.score_interval(shuffled, 8)[::-1])
    w_binary = np.subtract(*stats.score_interval(binary, 8)[::-1])
    assert w_spread < w_binary


def test_paired_interval_covers_at_thirty_hard_problems():
    # AIME-like: most problems rarely solved; B gains on the logit scale. True difference from a large draw.
    rng = np.random.default_rng(7)
    big = rng.beta(0.25, 2, size=400_000)
    shift = lambda p: 1 / (1 + (1 - p) / np.clip(p, 1e-12, None) * np.exp(-0.8))
    truth = float(shift(big).mean() - big.mean())
    reps, covered = 300, 0
    for rep in range(reps):
        p = rng.beta(0.25, 2, size=30)
        a, b = rng.binomial(8, p) / 8, rng.binomial(8, shift(p)) / 8
        result = stats.paired_compare(a, b, binary=False, iters=400, seed=rep)
        covered += result.ci_low <= truth <= result.ci_high
    assert covered / reps >= 0.92, covered / reps


def test_interval_and_p_value_never_contradict_each_other():
    rng = np.random.default_rng(11)
    seen = set()
    for rep in range(150):
        n = 1 if rep % 2 else 8
        p = rng.beta(0.5, 1.5, size=30)
        a = rng.binomial(n, p) / n
        b = rng.binomial(n, np.clip(p + rng.choice([0.0, 0.08]), 0, 1)) / n
        r = stats.paired_compare(a, b, binary=n == 1, iters=500, seed=rep)
        assert (r.ci_low <= 0 <= r.ci_high) == (r.p_value >= 0.05), (rep, r)
        seen.add(r.p_value < 0.05)
    assert seen == {True, False}  # both directions were exercised


def test_tests_rule_is_stated():
    assert "exact McNemar" in stats.TESTS_RULE and "never on the other runs" in stats.TESTS_RULE
