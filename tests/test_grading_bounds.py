"""Time bounds and concurrency: hang-inputs time out by killing a worker, the pool keeps serving, threads are safe."""

from __future__ import annotations

import threading
import time

import pytest

from evalkit.grading import GradeItem, check, grade
from evalkit.grading.pool import get_pool

LIMIT = 1.5

HANGS = [
    pytest.param("10^{10^{10^{10}}}", "10^{10^{10^{10}}}+1", id="power-tower"),
    pytest.param("5", "\\frac{1}{" * 3000 + "x" + "}{2}" * 3000, id="nested-fractions"),
    pytest.param("5", "x+" * 50_000 + "1", id="100kB-expression"),
]


@pytest.fixture(scope="module", autouse=True)
def warm_pool():
    """Start the workers once (a cold interpreter import is not part of any check's budget)."""
    get_pool(2).run_batch([("1", "1+0")] * 2, 30, 2, lambda i, r: None)


@pytest.mark.parametrize(("gold", "pred"), HANGS)
def test_hang_input_times_out_within_limit_and_pool_keeps_serving(gold, pred):
    start = time.monotonic()
    verdict = check(gold, pred, timeout=LIMIT)
    elapsed = time.monotonic() - start
    assert verdict.equal is None and "timeout" in verdict.reason
    assert elapsed < LIMIT + 1.0
    assert check("2", "1+1", timeout=LIMIT).equal is True  # the killed worker was replaced


def test_batch_mixes_timeouts_and_verdicts():
    items = [
        GradeItem(gold="10^{10^{10^{10}}}", pred="10^{10^{10^{10}}}+1"),
        GradeItem(gold=r"2\sqrt{3}", pred=r"\sqrt{12}"),
        GradeItem(gold="3", pred="4"),
        GradeItem(gold=r"\frac{\sqrt3}{2}", pred=r"\sin(\pi/3)"),
    ]
    verdicts = grade(items, workers=2, timeout=LIMIT)
    assert [v.equal for v in verdicts] == [None, True, False, True]
    assert "timeout" in verdicts[0].reason


def test_check_is_safe_from_threads():
    # Generous limits for real checks (the machine is shared); the power tower must still time out.
    pairs = [(r"2\sqrt{3}", r"\sqrt{12}", True, 20), ("x^2-1", "(x-1)(x+1)", True, 20),
             (r"\frac{1}{3}", "0.34", False, 20), ("(1,2)", "(1,2]", False, 20),
             ("10^{10^{10^{10}}}", "10^{10^{10^{10}}}+1", None, LIMIT)] * 3
    results: list[tuple[object, object]] = [None] * len(pairs)  # type: ignore[list-item]

    def run(i: int) -> None:
        gold, pred, expected, limit = pairs[i]
        results[i] = (check(gold, pred, timeout=limit).equal, expected)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(pairs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert all(got == expected for got, expected in results), results


def test_hang_inside_a_chunk_costs_only_its_own_verdict():
    """Batches go to workers in chunks: a hang mid-chunk times out alone, its neighbours are still graded."""
    hang = GradeItem(gold="10^{10^{10^{10}}}", pred="10^{10^{10^{10}}}+1")
    items = [GradeItem(gold=str(k), output=f"So the answer is $\\boxed{{{k}}}$.") for k in range(30)]
    items[12:12] = [hang]
    items.append(GradeItem(gold="3", output="The answer is \\boxed{4}."))
    verdicts = grade(items, workers=2, timeout=LIMIT, dedupe=False)
    assert verdicts[12].equal is None and "timeout" in verdicts[12].reason
    assert [v.equal for i, v in enumerate(verdicts) if i != 12] == [True] * 30 + [False]
    assert verdicts[5].extracted == "5"
