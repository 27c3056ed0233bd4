"""Grading throughput (extraction + comparison), evalkit against Math-Verify 0.9.0, in one run.

    PYTHONPATH=. python bench/grader_speed.py [--grader-dir DIR] [--n 10000] [--workers 2] [--profile]

Needs the `audit` extra (Math-Verify). The public Qwen2.5-7B MATH-500 generations are repeated to --n
outputs. evalkit runs `grade()` with --workers processes: once without de-duplication (every output
checked), once with it (the default: identical responses, and identical (gold, answer) pairs, checked
once), and once with it on outputs made distinct by a leading line (so only answers repeat, as with n
samples per problem). Math-Verify runs `verify(parse(gold), parse(output))` in a multiprocessing pool of
the same size (it has no batch API). Prints verdicts/s, the ratios and the load average (the figures are
load-sensitive; the ratio less so). `--profile` first profiles one process doing a worker's job on
every output and prints where the time goes, by layer.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import multiprocessing as mp
import os
import pstats
import time
from collections import defaultdict
from pathlib import Path

from evalkit.grading import GradeItem, grade
from evalkit.grading.pool import get_pool
from evalkit.paths import REPO_ROOT


def _mv_one(pair: tuple[str, str]) -> bool:
    from math_verify import parse, verify

    gold, output = pair
    try:
        return bool(verify(parse(gold if "$" in gold else f"${gold}$"), parse(output)))
    except Exception:  # noqa: BLE001 - a Math-Verify failure is a "not equal" verdict
        return False


def _mv_init() -> None:
    import math_verify  # noqa: F401 - import once per worker, outside the timed region as far as possible


LAYERS = (("antlr4", "LaTeX parsing (ANTLR)"), ("latex2sympy2_extended", "LaTeX parsing (ANTLR)"),
          ("sympy", "sympy"), ("mpmath", "sympy"), ("grading/extract", "extraction"),
          ("grading/normalize", "normalisation"), ("grading/structure", "structure"), ("grading/numbers", "numbers"),
          ("grading/compare", "comparison logic"), ("grading/symbolic", "comparison logic"), ("/re/", "regex engine"))


def profile(pairs: list[tuple[str, str]]) -> None:
    """What one worker spends its time on for these (gold, output) jobs: own time summed by layer."""
    from evalkit.grading.worker import run_job  # imports and warms sympy, as the zygote does

    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for gold, output in pairs:
        run_job("grade", gold, output)
    prof.disable()
    total = time.perf_counter() - t0
    by_layer: dict[str, float] = defaultdict(float)
    for (path, _, func), (_, _, tottime, _, callers) in pstats.Stats(prof).stats.items():  # type: ignore[attr-defined]
        if path == "~":  # a builtin: charge it to the layer of its (first) caller; regex methods to the engine
            path = "/re/" if "re.Pattern" in func else next(iter(callers), ("~",))[0]
        layer = next((name for key, name in LAYERS if key in path), "other (builtins, interpreter)")
        by_layer[layer] += tottime
    profiled = sum(by_layer.values())
    print(f"profile: one process, {len(pairs)} outputs, {total:.1f} s under cProfile "
          f"({total / len(pairs) * 1e3:.2f} ms each; profiler overhead included)")
    for layer, secs in sorted(by_layer.items(), key=lambda kv: -kv[1]):
        print(f"  {layer:32s} {secs / profiled:6.1%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grader-dir", type=Path,
                    default=Path(os.environ.get("EVALKIT_GRADER_DIR", REPO_ROOT.parent / "shared" / "grader")),
                    help="default: $EVALKIT_GRADER_DIR, else ../shared/grader beside the repository")
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--mv-n", type=int, default=None, help="Outputs for Math-Verify (default: --n).")
    ap.add_argument("--profile", action="store_true", help="First print where one worker's time goes.")
    args = ap.parse_args()
    path = args.grader_dir / "generations_public_qwen2.5-7b-instruct_math500.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    pairs = [(rows[i % len(rows)]["gold"], rows[i % len(rows)]["output"]) for i in range(args.n)]
    if args.profile:
        profile(pairs[: min(len(pairs), 2000)])
    items = [GradeItem(gold=g, output=o) for g, o in pairs]
    distinct = [GradeItem(gold=g, output=f"Sample {i}.\n{o}") for i, (g, o) in enumerate(pairs)]
    print(f"{len(items)} outputs ({len(rows)} distinct), {args.workers} workers, load {os.getloadavg()[0]:.2f}")

    pool = get_pool(args.workers)  # start the workers outside the timed region (a one-off cost)
    pool.run_batch([("1", "1+0")] * args.workers, 30, args.workers, lambda i, r: None)

    def timed(batch: list[GradeItem], dedupe: bool) -> tuple[float, list]:
        t0 = time.perf_counter()
        verdicts = grade(batch, workers=args.workers, dedupe=dedupe)
        return time.perf_counter() - t0, verdicts

    t_ours, verdicts = timed(items, False)
    t_dedupe, _ = timed(items, True)
    t_distinct, _ = timed(distinct, True)
    fast = sum(v.reason not in ("symbolically equal", "symbolically different") and "timeout" not in v.reason
               for v in verdicts)
    print(f"evalkit (every output checked):  {len(items) / t_ours:9.0f} verdicts/s ({t_ours:.1f} s; "
          f"{fast / len(items):.0%} settled without sympy)")
    print(f"evalkit (identical ones once):   {len(items) / t_dedupe:9.0f} verdicts/s ({t_dedupe:.1f} s)")
    print(f"evalkit (distinct outputs):      {len(items) / t_distinct:9.0f} verdicts/s ({t_distinct:.1f} s; "
          "only answers repeat)")

    mv_pairs = pairs[: args.mv_n or args.n]
    ctx = mp.get_context("fork")
    with ctx.Pool(args.workers, initializer=_mv_init) as mv_pool:
        mv_pool.map(_mv_one, mv_pairs[: args.workers * 2])  # warm up
        t0 = time.perf_counter()
        mv_pool.map(_mv_one, mv_pairs, chunksize=16)
        t_mv = time.perf_counter() - t0
    mv_rate = len(mv_pairs) / t_mv
    print(f"math-verify ({args.workers} processes):    {mv_rate:9.0f} verdicts/s ({t_mv:.1f} s for {len(mv_pairs)})")
    print(f"ratio evalkit/math-verify: {len(items) / t_ours / mv_rate:.1f}x (every output), "
          f"{len(items) / t_dedupe / mv_rate:.1f}x (identical ones once), "
          f"{len(items) / t_distinct / mv_rate:.1f}x (distinct outputs); load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
