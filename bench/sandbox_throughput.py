"""A LiveCodeBench-sized judging job on this machine's cores, idle and under CPU contention.

N samples (correct programs for a cheap stdin problem) x T tests each, judged by `judge_many` with one
worker per core. Then the same job while one busy-loop process per core competes for the CPUs: the
time limit (CPU time over the test's processes, wall-clock backstop 3x+2 s) must not turn any
correct program into a TLE.

    PYTHONPATH=. python bench/sandbox_throughput.py [--samples 200] [--tests 20] [--timeout 6]
"""

from __future__ import annotations

import argparse
import collections
import random
import resource
import subprocess
import time

from _busy import busy_cores

from sandbox import Job, Limits, judge_many, walls
from sandbox.pool import default_workers

PROGRAMS = [
    "n = int(input())\nprint(sum(map(int, input().split()[:n])))\n",
    "import sys\ndata = sys.stdin.read().split()\nprint(sum(int(x) for x in data[1:]))\n",
    "print(sum(map(int, open(0).read().split()[1:])))\n",
]


def tests(count: int, rng: random.Random) -> list[dict]:
    out = []
    for _ in range(count):
        xs = [rng.randint(-10**9, 10**9) for _ in range(rng.randint(1, 2000))]
        out.append({"input": f"{len(xs)}\n{' '.join(map(str, xs))}\n", "output": f"{sum(xs)}\n"})
    return out


def cpu_heavy_program(seconds: float) -> str:
    """A correct SUM program that first burns about `seconds` of CPU, calibrated with the sandbox's own
    interpreter running the same module-level loop (our code, run directly: it is trusted)."""
    body = "x = 0\nfor i in range({n}):\n    x += i\n"
    n = 3_000_000
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([walls().python, "-c", body.format(n=n)], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    per = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / n
    return body.format(n=int(seconds / per)) + "print(sum(map(int, open(0).read().split()[1:])))\n"


def run(jobs: list[Job], limits: Limits, workers: int, label: str) -> None:
    if not jobs:
        return
    start = time.monotonic()
    results = judge_many(jobs, limits=limits, workers=workers, description=label)
    wall = time.monotonic() - start
    n_tests = sum(len(r.tests) for r in results)
    verdicts = collections.Counter(r.verdict for r in results)
    worst = max(t.time_s for r in results for t in r.tests)
    print(f"{label}: {len(jobs)} programs, {n_tests} tests, {workers} workers: wall {wall:.1f} s, "
          f"{n_tests / wall:.1f} tests/s; verdicts {dict(verdicts)}; slowest test {worst:.3f} s "
          f"(limit {limits.timeout_s:g} s); TLE on correct programs: {verdicts.get('TLE', 0)}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--tests", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=6.0)
    ap.add_argument("--workers", type=int, default=default_workers())
    ap.add_argument("--heavy-samples", type=int, default=16,
                    help="samples of a correct program using ~60%% of a 1 s limit in CPU (0: skip)")
    args = ap.parse_args()
    rng = random.Random(0)
    problem = tests(args.tests, rng)
    jobs = [Job(PROGRAMS[i % len(PROGRAMS)], problem) for i in range(args.samples)]
    limits = Limits(timeout_s=args.timeout)
    heavy_source = cpu_heavy_program(0.6)
    heavy = [Job(heavy_source, problem[:2]) for _ in range(args.heavy_samples)]
    heavy_limits = Limits(timeout_s=1.0)
    run(jobs, limits, args.workers, "idle machine")
    if heavy:
        run(heavy, heavy_limits, args.workers, "idle machine, 0.6 s CPU per test, 1 s limit")
    with busy_cores() as hogs:
        run(jobs, limits, args.workers, f"with {hogs} busy-loop processes")
        if heavy:
            run(heavy, heavy_limits, args.workers, f"with {hogs} busy-loop processes, 0.6 s CPU per test, 1 s limit")


if __name__ == "__main__":
    main()
