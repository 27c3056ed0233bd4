"""Coverage of `evalkit compare`'s 95% intervals, by simulation, through the functions compare calls.

    PYTHONPATH=. python bench/compare_coverage.py [--sims 2000] [--iters 1000] [--sizes 30,100,500]

Each simulated benchmark draws P fresh problems from a difficulty mix (a Beta distribution of
per-problem solve rates: "easy" Beta(3, 1), mean 0.75; "hard" Beta(0.25, 2), mean 0.11, many
problems nobody solves, like AIME), then n samples per problem for run A and for run B. Under "null"
B has A's solve rates; under "effect" B's are shifted by +0.8 on the logit scale. The targets are
the population means (what a fresh draw of problems estimates), computed once from 2,000,000 problems.

For each cell (mix, n, P, null/effect) it reports how often `stats.score_interval` covers each run's
true score, how often `stats.paired_compare`'s interval covers the true difference, the intervals'
mean widths, how often the interval and the p-value disagree (the interval excludes 0 but
p >= 0.05, or the reverse), and how often the t-interval had to be adjusted to agree with the test
(`stats.consistent_interval`). Under null, "reject" is the test's false-positive rate. The last line is
the worst coverage over the 30-problem cells.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.special import expit, logit

from evalkit import stats

MIXES = {"easy": (3.0, 1.0), "hard": (0.25, 2.0)}
SHIFT = 0.8  # logit shift of B's solve rates under "effect"


def solve_rates(rng, mix: str, size: int, effect: bool) -> tuple[np.ndarray, np.ndarray]:
    p = rng.beta(*MIXES[mix], size=size)
    q = expit(logit(np.clip(p, 1e-12, 1 - 1e-12)) + SHIFT) if effect else p
    return p, q


def truths(mix: str, effect: bool) -> tuple[float, float]:
    p, q = solve_rates(np.random.default_rng(12345), mix, 2_000_000, effect)
    return float(p.mean()), float(q.mean())


def run_cell(mix: str, n: int, size: int, effect: bool, sims: int, iters: int, seed: int) -> dict:
    true_a, true_b = truths(mix, effect)
    rng = np.random.default_rng([seed, size, n, int(effect), len(mix)])
    cov_a = cov_b = cov_d = reject = excludes = disagree = adjusted = 0
    width_s = width_d = 0.0
    for sim in range(sims):
        p, q = solve_rates(rng, mix, size, effect)
        a, b = rng.binomial(n, p) / n, rng.binomial(n, q) / n
        lo_a, hi_a = stats.score_interval(a, n)
        lo_b, hi_b = stats.score_interval(b, n)
        paired = stats.paired_compare(a, b, binary=n == 1, iters=iters, seed=sim)
        cov_a += lo_a <= true_a <= hi_a
        cov_b += lo_b <= true_b <= hi_b
        cov_d += paired.ci_low <= true_b - true_a <= paired.ci_high
        width_s += hi_a - lo_a
        width_d += paired.ci_high - paired.ci_low
        out = not paired.ci_low <= 0 <= paired.ci_high
        sig = paired.p_value < 0.05
        excludes += out
        reject += sig
        disagree += out != sig
        adjusted += hasattr(stats, "t_interval") and stats.t_interval(b - a) != (paired.ci_low, paired.ci_high)
    return {"mix": mix, "n": n, "P": size, "case": "effect" if effect else "null", "true_diff": true_b - true_a,
            "score_A": cov_a / sims, "score_B": cov_b / sims, "diff": cov_d / sims, "width_score": width_s / sims,
            "width_diff": width_d / sims, "excl0": excludes / sims, "p<.05": reject / sims, "disagree": disagree / sims,
            "adjusted": adjusted / sims}


COLUMNS = ["mix", "n", "P", "case", "true_diff", "score_A", "score_B", "diff", "width_score", "width_diff",
           "excl0", "p<.05", "disagree", "adjusted"]


def fmt(value) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=2000, help="simulated pairs of runs per cell")
    parser.add_argument("--iters", type=int, default=1000, help="resamples per interval / test (compare's --iters)")
    parser.add_argument("--sizes", default="30,100,500", help="problem counts, comma-separated")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    start = time.time()
    print(f"# {args.sims} sims per cell, {args.iters} resamples; score_A/score_B/diff = coverage of 95% intervals")
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    worst_s, worst_d = 1.0, 1.0
    for mix in MIXES:
        for n in (1, 8):
            for size in sizes:
                for effect in (False, True):
                    row = run_cell(mix, n, size, effect, args.sims, args.iters, args.seed)
                    print("| " + " | ".join(fmt(row[c]) for c in COLUMNS) + " |", flush=True)
                    if size == 30:
                        worst_s = min(worst_s, row["score_A"], row["score_B"])
                        worst_d = min(worst_d, row["diff"])
    print(f"# {time.time() - start:.0f} s")
    if 30 in sizes:
        print(f"worst 30-problem coverage: score {worst_s:.2f}, difference {worst_d:.2f}")


if __name__ == "__main__":
    main()
