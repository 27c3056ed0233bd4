"""Per-test cost of a trivial accepted program: judged in the sandbox vs a bare `python3` subprocess.

Both sides run the same interpreter on the same input, one process per test, sequentially, in one
run, interleaved in rounds so that load from other users hits both alike.

    PYTHONPATH=. python bench/sandbox_overhead.py [--tests 200] [--imports]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from sandbox import Limits, judge, walls
from sandbox.session import Session

PROGRAM = "print(sum(map(int, open(0).read().split()[1:])))\n"
# What LiveCodeBench solutions typically start with (the modules of LCB's prelude).
IMPORTS = "from typing import List\nfrom collections import Counter\nfrom heapq import heapify\nimport math, random\n"
TEST = {"input": "3\n1 2 3\n", "output": "6\n"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tests", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--tests-per-program", type=int, default=20,
                    help="tests judged per program; LiveCodeBench problems have ~20-50")
    ap.add_argument("--imports", action="store_true",
                    help="the program first imports typing, collections, heapq, math and random, as LCB solutions do")
    args = ap.parse_args()
    program = (IMPORTS if args.imports else "") + PROGRAM
    python = walls().python
    with tempfile.TemporaryDirectory() as tmp:
        prog = Path(tmp, "prog.py")
        prog.write_text(program)
        per = max(1, args.tests // args.rounds)
        bare_t, box_t = [], []
        session = Session(Limits())  # what judge_many does: one warm sandbox per worker, reused
        judge(program, [TEST], session=session)  # warm caches (seccomp program, prelude table, sandbox)
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            for _ in range(per):
                done = subprocess.run([python, str(prog)], input=TEST["input"].encode(), capture_output=True,
                                      check=False)
                assert done.stdout == b"6\n"
            bare_t.append((time.perf_counter() - t0) / per)
            t0 = time.perf_counter()
            for i in range(0, per, args.tests_per_program):
                result = judge(program, [TEST] * min(args.tests_per_program, per - i), session=session)
                assert result.verdict == "AC"
            box_t.append((time.perf_counter() - t0) / per)
        session.close()
    bare, box = statistics.median(bare_t), statistics.median(box_t)
    print(f"interpreter: {python}; {per * args.rounds} tests each side, {args.rounds} interleaved rounds, "
          f"{args.tests_per_program} tests per judged program" + ("; program with LCB-style imports" if args.imports else ""))
    print(f"bare python3 subprocess per test : {bare * 1000:7.2f} ms (median of rounds)")
    print(f"sandboxed judge per test         : {box * 1000:7.2f} ms (median of rounds)")
    print(f"ratio sandboxed / bare           : {box / bare:7.2f}x")


if __name__ == "__main__":
    main()
