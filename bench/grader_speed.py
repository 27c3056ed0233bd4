"""Grading throughput (extraction + comparison), evalkit against Math-Verify 0.9.0, in one run.

    PYTHONPATH=. python bench/grader_speed.py [--grader-dir DIR] [--n 10000] [--workers 2]

The public Qwen2.5-7B MATH-500 generations are repeated to --n outputs. evalkit runs `grade()` with
--workers processes, once without de-duplication (every output checked) and once with it (the default,
identical pairs checked once). Math-Verify runs `verify(parse(gold), parse(output))` in a
multiprocessing pool of the same size (it has no batch API). Prints verdicts/s and the ratio.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import time
from pathlib import Path

from evalkit.grading import GradeItem, grade
from evalkit.grading.pool import get_pool


def _mv_one(pair: tuple[str, str]) -> bool:
    from math_verify import parse, verify

    gold, output = pair
    try:
        return bool(verify(parse(gold if "$" in gold else f"${gold}$"), parse(output)))
    except Exception:  # noqa: BLE001 - a Math-Verify failure is a "not equal" verdict
        return False


def _mv_init() -> None:
    import math_verify  # noqa: F401 - import once per worker, outside the timed region as far as possible


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grader-dir", type=Path,
                    default=Path(os.environ.get("EVALKIT_GRADER_DIR", "/work/shared/grader")))
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--mv-n", type=int, default=None, help="Outputs for Math-Verify (default: --n).")
    args = ap.parse_args()
    path = args.grader_dir / "generations_public_qwen2.5-7b-instruct_math500.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    pairs = [(rows[i % len(rows)]["gold"], rows[i % len(rows)]["output"]) for i in range(args.n)]
    items = [GradeItem(gold=g, output=o) for g, o in pairs]
    print(f"{len(items)} outputs ({len(rows)} distinct), {args.workers} workers, load {os.getloadavg()[0]:.2f}")

    pool = get_pool(args.workers)  # start the workers outside the timed region (a one-off cost)
    pool.run_batch([("1", "1+0")] * args.workers, 30, args.workers, lambda i, r: None)

    t0 = time.perf_counter()
    verdicts = grade(items, workers=args.workers, dedupe=False)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    grade(items, workers=args.workers, dedupe=True)
    t_dedupe = time.perf_counter() - t0
    fast = sum(v.reason not in ("symbolically equal", "symbolically different") and "timeout" not in v.reason
               for v in verdicts)
    print(f"evalkit (every output checked): {len(items) / t_ours:9.0f} verdicts/s ({t_ours:.1f} s; "
          f"{fast / len(items):.0%} settled without sympy)")
    print(f"evalkit (identical pairs once): {len(items) / t_dedupe:9.0f} verdicts/s ({t_dedupe:.1f} s)")

    mv_pairs = pairs[: args.mv_n or args.n]
    ctx = mp.get_context("fork")
    with ctx.Pool(args.workers, initializer=_mv_init) as mv_pool:
        mv_pool.map(_mv_one, mv_pairs[: args.workers * 2])  # warm up
        t0 = time.perf_counter()
        mv_pool.map(_mv_one, mv_pairs, chunksize=16)
        t_mv = time.perf_counter() - t0
    mv_rate = len(mv_pairs) / t_mv
    print(f"math-verify ({args.workers} processes):   {mv_rate:9.0f} verdicts/s ({t_mv:.1f} s for {len(mv_pairs)})")
    print(f"ratio evalkit/math-verify: {len(items) / t_ours / mv_rate:.1f}x (every output), "
          f"{len(items) / t_dedupe / mv_rate:.1f}x (identical pairs once)")


if __name__ == "__main__":
    main()
