"""Our sandbox against the official LiveCodeBench harness: the same programs on the same tests, the same
number of workers; wall time, tests per second, and whether the two agree on every program's verdict.

The official harness is LCB's own code (`lcb_runner/evaluation/testing_util.py` and
`compute_code_generation_metrics.py`: `run_test`, `check_correctness` with its `Manager()` and
`Process` per program, a `ProcessPoolExecutor` over problems). It is not on PyPI; lighteval vendors it
as one module (from before LCB's `MockStdinWithBuffer` change; the programs below read stdin only
through `sys.stdin.read()`, which every version patches alike). Give the module name or the file:

    pip download --no-deps lighteval==0.13.0 && unzip -q lighteval-0.13.0-*.whl 'lighteval/tasks/tasks/lcb/*'
    PYTHONPATH=. python bench/lcb_harness_compare.py --harness lighteval/tasks/tasks/lcb/codegen_metrics.py \
        [--data-dir ../shared/data] [--workers 2] [--busy]

The official harness runs programs unsandboxed, in-process, so only the programs written here run through
it: for every problem of the local LiveCodeBench release (public tests), programs of known behaviour built
from the problem's own tests: correct (reads stdin or is a `class Solution`, answers from a table of the
tests), correct with numbers respelled (`2` as `2.0`, trailing spaces, a tuple for a list), wrong on the
last test, raising on the second test, printing then `exit()`, a syntax error, and (`--loops`) infinite loops.
LCB's known mocking faults (iterating `sys.stdin`, `open(0)`, ...) are left out on purpose: there our
sandbox accepts what LCB rejects (see ../shared/sandbox/controls).
"""

from __future__ import annotations

import argparse
import collections
import importlib
import importlib.util
import json
import os
import statistics
import sys
import time
from pathlib import Path

from _busy import busy_cores

from evalkit.data.livecodebench import CodeProblem, LiveCodeBench
from sandbox import Job, Limits, judge_many
from sandbox.pool import default_workers

KINDS = ("correct", "respelled", "wrong_last", "raise_second", "exit_after", "syntax_error")
EXPECTED_PASS = {"correct": True, "respelled": True, "exit_after": True}


def load_harness(name: str):
    if name.endswith(".py"):
        spec = importlib.util.spec_from_file_location("official_lcb_harness", name)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # ProcessPoolExecutor pickles its functions by module name
        spec.loader.exec_module(module)
        return module
    return importlib.import_module(name)


def _respell(text: str) -> str:
    """The same numbers spelled otherwise (2 -> 2.0), trailing spaces, a blank line first: LCB accepts it."""
    lines = []
    for line in text.strip().split("\n"):
        tokens = line.split()
        if tokens and all(t.lstrip("-").isdigit() for t in tokens):
            line = " ".join(t + ".0" for t in tokens)
        lines.append(line + "  ")
    return "\n" + "\n".join(lines) + "\n"


def _wrong(text: str) -> str:
    tokens = text.split()
    if tokens and tokens[-1].lstrip("-").isdigit():
        return text.rstrip()[: -len(tokens[-1])] + str(int(tokens[-1]) + 1) + "\n"
    return text.rstrip() + " x\n"


def stdin_program(problem: CodeProblem, kind: str) -> str:
    tests = problem.tests
    table = {t["input"].strip(): t["output"] for t in tests}
    if kind == "respelled":
        table = {k: _respell(v) for k, v in table.items()}
    if kind == "wrong_last":
        table[tests[-1]["input"].strip()] = _wrong(tests[-1]["output"])
    lines = ["import sys", f"ANSWERS = {table!r}", "data = sys.stdin.read().strip()"]
    if kind == "raise_second":
        lines.append(f"if data == {tests[min(1, len(tests) - 1)]['input'].strip()!r}:\n    raise ValueError('second test')")
    lines.append("print(ANSWERS[data], end='')")
    if kind == "exit_after":
        lines.append("exit(0)\nprint('never')")
    if kind == "syntax_error":
        lines.append("def broken(:\n    pass")
    return "\n".join(lines) + "\n"


def call_program(problem: CodeProblem, kind: str) -> str:
    tests = problem.tests
    table = {}
    for i, t in enumerate(tests):
        args = [json.loads(line) for line in t["input"].split("\n")]
        value = json.loads(t["output"])
        if kind == "respelled" and isinstance(value, list):
            value = tuple(value)  # LCB turns a top-level tuple into a list
        elif kind == "respelled" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)  # 1 == 1.0
        if kind == "wrong_last" and i == len(tests) - 1:
            value = [value, "wrong"]
        table[json.dumps(args)] = value
    second = json.dumps([json.loads(line) for line in tests[min(1, len(tests) - 1)]["input"].split("\n")])
    body = ["import json", f"ANSWERS = {table!r}", "class Solution:",
            f"    def {problem.fn_name}(self, *args):", "        key = json.dumps(list(args))"]
    if kind == "raise_second":
        body.append(f"        if key == {second!r}:\n            raise ValueError('second test')")
    body.append("        return ANSWERS[key]")
    if kind == "syntax_error":
        body.append("    def broken(:\n        pass")
    return "\n".join(body) + "\n"


def corpus(problems: list[CodeProblem], loops: int) -> list[tuple[CodeProblem, str, str]]:
    out = []
    for problem in problems:
        if not problem.tests:
            continue
        for kind in KINDS:
            if kind == "exit_after" and problem.fn_name:
                continue  # a call-based program has no printed output for exit() to keep
            make = call_program if problem.fn_name else stdin_program
            out.append((problem, kind, make(problem, kind)))
    for problem in [p for p in problems if p.tests][:loops]:
        source = (f"class Solution:\n    def {problem.fn_name}(self, *args):\n        while True: pass\n"
                  if problem.fn_name else "while True:\n    pass\n")
        out.append((problem, "infinite_loop", source))
    return out


def official_class(codes: list) -> str:
    """LCB's per-test codes -> our verdict names (the first failure decides)."""
    for c in codes:
        if c is True:
            continue
        return {False: "WA", -2: "WA", -3: "TLE", -4: "RE", -1: "RE"}.get(c, f"code {c!r}")
    return "AC"


def run_official(harness, items, workers: int, timeout: int) -> tuple[float, dict[int, list]]:
    by_problem: dict[str, list[int]] = collections.defaultdict(list)
    for i, (problem, _, _) in enumerate(items):
        by_problem[problem.id].append(i)
    samples, generations, order = [], [], []
    for idx in by_problem.values():
        problem = items[idx[0]][0]
        samples.append({"input_output": json.dumps({
            "inputs": [t["input"] for t in problem.tests], "outputs": [t["output"] for t in problem.tests],
            "fn_name": problem.fn_name})})
        generations.append([items[i][2] for i in idx])
        order.append(idx)
    start = time.monotonic()
    results = harness.evaluate_generations(samples, generations, num_process_evaluate=workers, timeout=timeout)
    wall = time.monotonic() - start
    per_item = {}
    for p, idx in enumerate(order):
        for j, i in enumerate(idx):
            per_item[i] = results[p][j]
    return wall, per_item


def run_ours(items, workers: int, timeout: int) -> tuple[float, list]:
    jobs = [Job(source, problem.tests, problem.fn_name) for problem, _, source in items]
    start = time.monotonic()
    results = judge_many(jobs, mode="lcb", limits=Limits(timeout_s=float(timeout)), workers=workers, progress=False)
    wall = time.monotonic() - start
    return wall, results


def compare(harness, items, workers: int, timeout: int, label: str, rounds: int) -> None:
    """`rounds` alternating runs of both (load from other users then hits them alike); medians."""
    walls: dict[str, list[float]] = {"official": [], "ours": []}
    for _ in range(rounds):
        official_wall, official = run_official(harness, items, workers, timeout)
        ours_wall, ours = run_ours(items, workers, timeout)
        walls["official"].append(official_wall)
        walls["ours"].append(ours_wall)
    official_wall, ours_wall = statistics.median(walls["official"]), statistics.median(walls["ours"])
    tests_official = sum(len(codes) for codes in official.values())
    tests_ours = sum(len(r.tests) for r in ours)
    pass_equal = class_equal = 0
    wrong_expectation = []
    disagreements = []
    for i, (problem, kind, _) in enumerate(items):
        o_class = official_class(official[i])
        our = ours[i]
        pass_equal += (o_class == "AC") == our.passed
        class_equal += o_class == our.verdict
        if o_class != our.verdict:
            disagreements.append(f"{problem.id} {kind}: official {o_class} {official[i]}, ours {our.verdict}")
        if our.passed != EXPECTED_PASS.get(kind, False):
            wrong_expectation.append(f"{problem.id} {kind}: ours {our.verdict}")
    n = len(items)
    kinds = collections.Counter(kind for _, kind, _ in items)
    print(f"{label}: {n} programs on {len({p.id for p, _, _ in items})} problems ({dict(kinds)}), "
          f"{workers} workers, median of {rounds} alternating rounds")
    print(f"  official LCB harness: {official_wall:.2f} s wall ({', '.join(f'{w:.2f}' for w in walls['official'])}), "
          f"{tests_official} tests run, {n / official_wall:.1f} programs/s, {tests_official / official_wall:.1f} tests/s")
    print(f"  evalkit sandbox:      {ours_wall:.2f} s wall ({', '.join(f'{w:.2f}' for w in walls['ours'])}), "
          f"{tests_ours} tests run, {n / ours_wall:.1f} programs/s, {tests_ours / ours_wall:.1f} tests/s")
    print(f"  speed-up (official wall / ours): {official_wall / ours_wall:.2f}x")
    print(f"  same pass/fail: {pass_equal}/{n}; same verdict (AC/WA/TLE/RE): {class_equal}/{n}; "
          f"our verdict not the program's known one: {len(wrong_expectation)}")
    for line in (disagreements + wrong_expectation)[:20]:
        print("   ", line)
    sys.stdout.flush()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--harness", required=True, help="the official harness: a module name or a .py file")
    ap.add_argument("--data-dir", type=Path, default=None, help="the benchmark data directory (default: EVALKIT_DATA_DIR)")
    ap.add_argument("--workers", type=int, default=default_workers())
    ap.add_argument("--timeout", type=int, default=6, help="seconds per test, as LCB's integer alarm")
    ap.add_argument("--loops", type=int, default=0,
                    help="also N infinite-loop programs (each costs a full time limit in both harnesses)")
    ap.add_argument("--problems", type=int, default=0, help="only the first N problems (0: all)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating runs of both harnesses; medians are given")
    ap.add_argument("--busy", action="store_true", help="run it again with one busy-loop process per core")
    args = ap.parse_args()
    data_dir = args.data_dir or os.environ.get("EVALKIT_DATA_DIR")
    if not data_dir:
        ap.error("--data-dir (or EVALKIT_DATA_DIR) is required")
    harness = load_harness(args.harness)
    problems = LiveCodeBench(check_count=False).load(data_dir)
    if args.problems:
        problems = problems[: args.problems]
    items = corpus(problems, args.loops)
    compare(harness, items, args.workers, args.timeout, "as the machine is", args.rounds)
    if args.busy:
        with busy_cores() as hogs:
            compare(harness, items, args.workers, args.timeout, f"with {hogs} busy-loop processes", args.rounds)


if __name__ == "__main__":
    main()
