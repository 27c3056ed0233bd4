"""Robustness: fuzzed answers and responses must never crash the checker nor outlive the time bound.

    PYTHONPATH=. python bench/grader_fuzz.py [--n 10000] [--timeout 1.0] [--threads 2] [--seed 0]

Generates --n inputs from five families (random LaTeX fragments, huge exponents / factorials, unbalanced
braces, binary junk, very long or deeply nested expressions). Each one goes through `extract_answer` (as a
whole response) and `check` against a random gold, from --threads threads at once. Prints crashes
(exceptions escaping the API), checks slower than timeout + 1 s, verdict counts, and the slowest cases.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from evalkit.grading import check, extract_answer
from evalkit.grading.pool import get_pool

TOKENS = [
    r"\frac{", "}", "{", r"\sqrt{", "^", "_", r"\pi", r"\left(", r"\right)", r"\boxed{", r"\begin{pmatrix}",
    r"\end{pmatrix}", "&", r"\\", "=", "<", r"\le", ",", ";", "$", r"\text{", r"\pm", r"\infty", r"\cup", "[",
    "]", "(", ")", "%", r"^\circ", "x", "y", "n", "i", "e", "-", "+", "*", "/", "!", ".", " ", r"\cdot", r"\times",
    r"\sin", r"\log", r"\{", r"\}", "and", "or", ":", "0", "1", "2", "3", "7", "9", "10", "12:00", r"\dfrac",
    r"\mathbf{", r"\in", r"\ge", "Answer:", "final answer is", r"\fbox{", "<think>", "</think>", r"\binom{",
]
GOLDS = ["5", r"\frac{1}{2}", "(1,2)", "x+1", "[0,1)", r"2\sqrt{3}", r"\begin{pmatrix}1&2\end{pmatrix}", "x=3",
         "1331 and 1728", r"\text{odd}"]


def fragment(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(TOKENS) for _ in range(n))


def huge(rng: random.Random) -> str:
    a, b, c = (rng.randint(2, 99) for _ in range(3))
    return rng.choice([
        f"{a}^{{{b}^{{{c}^{{{a}}}}}}}", f"({a}^{{{b}^{{{c}}}}})!", f"\\binom{{{a}^{{{b}^{{{c}}}}}}}{{{b}^{{{c}}}}}",
        f"{a}^{{{b}^{{{c}}}}} - {a}^{{{b}^{{{c}}}}}", f"1e{rng.randint(300, 10**6)}", f"{a}!!!!!!",
        f"\\frac{{1}}{{{rng.randint(1000, 5000)}!}}", f"10^{{10^{{10^{{10}}}}}}+{a}", "9" * rng.randint(400, 5000),
    ])


def unbalanced(rng: random.Random) -> str:
    text = list(fragment(rng, rng.randint(5, 80)))
    for _ in range(rng.randint(1, 6)):
        text.insert(rng.randrange(len(text) + 1), rng.choice("{}[]()$"))
    return "".join(text)


def junk(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 400))).decode("latin-1")
    return "".join(chr(rng.randrange(0x20, 0x2FFF)) for _ in range(rng.randint(1, 300)))


def long_input(rng: random.Random) -> str:
    kind = rng.randrange(4)
    depth = rng.randint(500, 3000)
    if kind == 0:
        return r"\frac{1}{" * depth + "x" + "}{2}" * depth
    if kind == 1:
        return "x+" * rng.randint(10_000, 50_000) + "1"
    if kind == 2:
        return "(" * depth + "1" + ")" * depth
    return r"\boxed{" + fragment(rng, 20_000) + "}"


def make_inputs(n: int, seed: int) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    families = [("latex", lambda: fragment(rng, rng.randint(1, 60))), ("huge", lambda: huge(rng)),
                ("unbalanced", lambda: unbalanced(rng)), ("junk", lambda: junk(rng)), ("long", lambda: long_input(rng))]
    weights = [0.45, 0.1, 0.25, 0.17, 0.03]
    out = []
    for _ in range(n):
        name, make = rng.choices(families, weights)[0]
        out.append((name, rng.choice(GOLDS), make()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--timeout", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    inputs = make_inputs(args.n, args.seed)
    get_pool(args.threads).run_batch([("1", "1+0")] * args.threads, 60, args.threads, lambda i, r: None)

    def one(case: tuple[str, str, str]) -> tuple[str, float, float, str, str | None]:
        family, gold, text = case
        t0 = time.perf_counter()
        try:
            extract_answer(text)
        except Exception as err:  # noqa: BLE001 - a crash is what this bench counts
            return family, 0.0, 0.0, f"CRASH extract {type(err).__name__}: {err}", text
        t1 = time.perf_counter()
        try:
            verdict = check(gold, text, timeout=args.timeout)
        except Exception as err:  # noqa: BLE001 - a crash is what this bench counts
            return family, t1 - t0, 0.0, f"CRASH check {type(err).__name__}: {err}", text
        kind = "timeout" if "timeout" in verdict.reason else str(verdict.equal)
        return family, t1 - t0, time.perf_counter() - t1, kind, text

    start = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        results = list(pool.map(one, inputs))
    wall = time.perf_counter() - start
    crashes = [r for r in results if r[3].startswith("CRASH")]
    over = [r for r in results if r[1] + r[2] > args.timeout + 1.0]
    print(f"{len(results)} fuzzed inputs, timeout {args.timeout:g} s, {args.threads} threads, {wall:.0f} s wall")
    print("families:", dict(Counter(r[0] for r in results)))
    print("verdicts:", dict(Counter(r[3] if not r[3].startswith("CRASH") else "CRASH" for r in results)))
    print(f"crashes: {len(crashes)}")
    for c in crashes[:10]:
        print("  ", c[3], repr(c[4][:120]))
    print(f"over the bound (timeout + 1 s): {len(over)}")
    for o in over[:10]:
        print(f"   {o[1] + o[2]:.2f} s [{o[0]}] {o[4][:100]!r}")
    slow_x = max(results, key=lambda r: r[1])
    print(f"slowest extraction: {slow_x[1] * 1e3:.1f} ms [{slow_x[0]}] len={len(slow_x[4])} {slow_x[4][:80]!r}")
    for r in sorted(results, key=lambda r: -(r[1] + r[2]))[:3]:
        print(f"slowest check: {r[1] + r[2]:.2f} s [{r[0]}] -> {r[3]}, len={len(r[4])} {r[4][:80]!r}")


if __name__ == "__main__":
    main()
