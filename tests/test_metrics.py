"""Every-sample metrics: unbiased pass@k against brute force, avg@n and maj@n on hand-made repeats."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest

from evalkit.metrics import avg_at_n, ks_for, maj_at_n, pass_at_k, problem_metrics


def brute_force_pass_at_k(outcomes: list[bool], k: int) -> Fraction:
    """Probability that a uniformly random k-subset of the n samples holds at least one pass."""
    subsets = list(itertools.combinations(range(len(outcomes)), k))
    hits = sum(any(outcomes[i] for i in subset) for subset in subsets)
    return Fraction(hits, len(subsets))


@pytest.mark.parametrize("n", range(1, 8))
def test_pass_at_k_matches_brute_force(n):
    for c in range(n + 1):
        outcomes = [True] * c + [False] * (n - c)
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(float(brute_force_pass_at_k(outcomes, k)), abs=1e-12)


def test_pass_at_k_rejects_impossible_counts():
    with pytest.raises(ValueError):
        pass_at_k(4, 5, 1)
    with pytest.raises(ValueError):
        pass_at_k(4, 2, 5)


def test_ks_are_powers_of_two_up_to_n():
    assert ks_for(1) == [1]
    assert ks_for(8) == [1, 2, 4, 8]
    assert ks_for(12) == [1, 2, 4, 8]


def test_only_a_later_sample_correct_counts():
    correct = [False, False, False, True]
    answers = ["1", "2", "3", "42"]
    m = problem_metrics(answers, correct)
    assert m["avg@n"] == 0.25
    assert m["pass@1"] == 0.25  # not 0, as take_first would report
    assert m["pass@4"] == 1.0
    assert m["maj@n"] == 0.0  # no majority for 42


def test_avg_and_majority_on_hand_made_repeats():
    assert avg_at_n([True, False, True, True]) == 0.75
    # "7" wins 3 votes to 2; samples without an answer do not vote
    assert maj_at_n(["7", None, "7", "5", "7", "5", None], [True, False, True, False, True, False, False]) == 1.0
    assert maj_at_n(["5", "5", "7"], [False, False, True]) == 0.0
    # ties go to the answer seen first
    assert maj_at_n(["7", "5"], [True, False]) == 1.0
    assert maj_at_n([None, None], [False, False]) == 0.0


def test_extraction_failure_rate():
    m = problem_metrics([None, "3", None, None], [False, True, False, False])
    assert m["extraction_failure_rate"] == 0.75
