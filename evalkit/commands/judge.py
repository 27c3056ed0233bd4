"""`evalkit judge`: run one program on a LiveCodeBench-style test file in the sandbox, print JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from evalkit.errors import EvalkitError

UNSAFE_FLAG = "--unsafe-no-sandbox-i-trust-this-code"


def register(app: typer.Typer) -> None:
    app.command("judge")(judge_command)


def judge_command(
    program: Path = typer.Argument(..., help="The Python program to judge (never run outside the sandbox)."),
    tests: Path = typer.Option(..., "--tests", help='JSON list of {"input": str, "output": str} (LiveCodeBench '
                               "format; for call-based problems each input line is one JSON argument)."),
    mode: str = typer.Option("lcb", "--mode", help="lcb: official LiveCodeBench comparison rules; "
                             "tolerant: the same plus 1e-6 absolute/relative tolerance on numbers."),
    fn_name: str = typer.Option(None, "--fn-name", help="Function/method name: makes it a call-based "
                                "(LeetCode-style) problem; `class Solution` is used when the code has one."),
    timeout: float = typer.Option(6.0, "--timeout", min=0.1, help="Per-test time limit in seconds: CPU time "
                                  "summed over every process and thread of the test, with a wall-clock backstop of "
                                  "3x+2 s (LCB uses 6)."),
    memory_mb: int = typer.Option(1024, "--memory-mb", min=64, help="Per-test memory limit in MiB."),
    all_tests: bool = typer.Option(False, "--all-tests", help="Run every test instead of stopping at the "
                                   "first failure (the overall verdict is the same)."),
    unsafe: bool = typer.Option(False, UNSAFE_FLAG, help="Run WITHOUT namespaces or seccomp (only rlimits "
                                "and a temp dir). Dangerous: only for code you wrote yourself."),
) -> None:
    """Judge PROGRAM on TESTS in the sandbox and print one JSON object: the overall verdict (AC, WA, TLE,
    MLE, OLE, RE, SE) and one entry per test (verdict, time, memory, detail). For a wrong answer the detail
    (and a line on stderr) is the first differing line, expected vs got, each capped at 80 characters.
    Exit status 0 whenever a verdict was produced, 2 for bad input or when the sandbox is unavailable."""
    from sandbox import BadTests, IsolationUnavailable, Limits, judge

    if not program.is_file():
        raise EvalkitError(f"program {program} not found.")
    try:
        raw = json.loads(tests.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvalkitError(f"--tests {tests} not found.") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise EvalkitError(f"--tests {tests} is not valid JSON ({err}).") from None
    if not isinstance(raw, list):
        raise EvalkitError(f"--tests {tests} must hold a JSON list of {{input, output}} objects.")
    if unsafe:
        print(f"WARNING: {UNSAFE_FLAG}: {program} runs with YOUR uid, filesystem and network.", file=sys.stderr)
    limits = Limits(timeout_s=timeout, memory_mb=memory_mb, unsafe_no_sandbox=unsafe)
    try:
        result = judge(program.read_text(encoding="utf-8", errors="replace"), raw, mode=mode, fn_name=fn_name,
                       limits=limits, stop_at_first_failure=not all_tests)
    except BadTests as err:
        raise EvalkitError(f"--tests {tests}: {err}") from None
    except IsolationUnavailable as err:
        raise EvalkitError(f"{err} (to run unisolated anyway: {UNSAFE_FLAG}).") from None
    print(json.dumps(result.to_dict(), indent=2))
    for index, test in enumerate(result.tests, 1):
        if test.verdict == "WA" and test.detail:
            print(f"test {index}: WA, {test.detail}", file=sys.stderr)
            break
