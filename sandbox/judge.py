"""Judge one program on a list of tests: one fresh sandboxed process per test, verdicts decided here.

The sandbox sees only the program and one test's input. Expected outputs stay in this process;
exit status 0 is necessary, never sufficient. Tests run in order (public then private, as given) and
judging stops at the first test that is not AC, as LiveCodeBench does.

Verdicts: AC, WA, TLE (CPU time, or the wall-clock backstop), MLE (memory), OLE (output cap), RE
(crash, non-zero exit, load error), SE (the runner itself failed, or under `judge_many` the item's
tests are malformed: never caused by what a program does).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sandbox.compare import MODES, call_equal, decode_call_result, loads_expected, loads_strict, stdio_equal
from sandbox.difference import call_wa_detail, wa_detail
from sandbox.isolation import IsolationUnavailable
from sandbox.limits import Limits, RunResult
from sandbox.prelude import prelude_arg
from sandbox.session import Session, sealed_program
from sandbox.unsafe import run

VERDICTS = ("AC", "WA", "TLE", "MLE", "OLE", "RE", "SE")


class BadTests(ValueError):
    """The tests themselves are malformed (not the program's fault); the message says which one."""


@dataclass(frozen=True)
class TestCase:
    input: str
    output: str


@dataclass
class TestVerdict:
    verdict: str
    time_s: float
    memory_mb: float
    cpu_s: float = 0.0
    exit_code: int | None = None
    signal: int | None = None
    detail: str = ""
    stdout: str | None = None  # first KiB of what the program printed (only with keep_output)
    stderr: str | None = None  # last KiB of its stderr (only with keep_output)


@dataclass
class Judgement:
    verdict: str
    tests: list[TestVerdict] = field(default_factory=list)
    mode: str = "lcb"

    @property
    def passed(self) -> bool:
        return self.verdict == "AC"

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "passed": self.passed, "mode": self.mode,
                "tests": [asdict(t) for t in self.tests]}


def as_tests(raw: Sequence[Any]) -> list[TestCase]:
    """Tests from LiveCodeBench's `[{"input": str, "output": str}, ...]` (or TestCase objects)."""
    out = []
    for i, item in enumerate(raw):
        if isinstance(item, TestCase):
            out.append(item)
        elif isinstance(item, dict) and isinstance(item.get("input"), str) and isinstance(item.get("output"), str):
            out.append(TestCase(item["input"], item["output"]))
        else:
            raise BadTests(f"test {i} is not an object with string fields 'input' and 'output'.")
    return out


def call_arguments(test_input: str, index: int) -> bytes:
    """LCB call-based input: each line is one JSON argument. Sent to the harness as one JSON array."""
    try:
        args = [loads_expected(line) for line in test_input.split("\n")]
    except ValueError as err:
        raise BadTests(f"test {index}: an input line is not JSON ({err}).") from None
    return json.dumps(args).encode()


def _memory_error(res: RunResult, message: str = "") -> bool:
    tail = res.stderr[-2000:].decode(errors="replace")
    return "MemoryError" in tail.strip().splitlines()[-1:].__str__() or message.startswith("MemoryError")


def _failure(res: RunResult, message: str = "") -> tuple[str, str]:
    if _memory_error(res, message):
        return "MLE", "MemoryError"
    if res.signal:
        return "RE", f"killed by signal {res.signal}"
    last = res.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
    return "RE", message or f"exit status {res.exit_code}: {last[0][:300]}"


def result_bound(expected: str) -> int:
    """The largest call-based result message worth parsing: a value equal to `expected` encodes (as
    the sandbox's compact JSON) in at most a few times its text (`1e15` -> `1000000000000000.0`)."""
    return 8 * len(expected.encode()) + (64 << 10)


def verdict_for(res: RunResult, expected: str, mode: str, call: bool, limits: Limits) -> tuple[str, str]:
    if res.killed == "output":
        return "OLE", f"output over {limits.output_mb} MiB"
    if res.killed == "memory" or res.peak_rss > limits.memory_mb << 20:  # any recorded peak over the limit
        return "MLE", f"memory over {limits.memory_mb} MiB"
    if res.killed == "time" or res.time_s > limits.timeout_s:
        if res.cpu_s > limits.timeout_s:
            return "TLE", f"over {limits.timeout_s:g} s of CPU time"
        return "TLE", f"over the {limits.hard_wall_s:g} s wall-clock backstop"
    if res.killed == "died":  # the sandbox's PID 1 vanished under this program
        return "RE", "the sandbox died while running the program"
    if not res.started:
        return "SE", "sandbox failed to start: " + res.bwrap_error
    if call:
        body = res.status[1:]
        if len(body) > result_bound(expected):  # cannot equal the expected value: not worth parsing
            return ("RE", "malformed result") if res.exit_code != 0 else ("WA", "result far larger than expected")
        try:
            message = loads_strict(body) if body else None
        except (ValueError, RecursionError, MemoryError):
            message = None
        if isinstance(message, dict) and "oversize" in message:
            return "OLE", f"result over {limits.output_mb} MiB"
        if res.exit_code != 0 or not isinstance(message, dict):
            err = message.get("error", "") if isinstance(message, dict) else ""
            return _failure(res, str(err) if err else "no result returned")
        if "error" in message:
            return _failure(res, str(message["error"])[:300])
        try:
            value = decode_call_result(message)
            expected_value = loads_expected(expected)
        except (ValueError, KeyError, IndexError, TypeError, RecursionError) as err:
            return "RE", f"malformed result ({type(err).__name__})"
        if call_equal(value, expected_value, mode):
            return "AC", ""
        return "WA", call_wa_detail(expected, value)
    if res.exit_code != 0:
        return _failure(res)
    return ("AC", "") if stdio_equal(res.stdout, expected, mode) else ("WA", wa_detail(res.stdout, expected))


def judge(program: str, tests: Sequence[Any], *, mode: str = "lcb", fn_name: str | None = None,
          limits: Limits | None = None, slot: int = 0, stop_at_first_failure: bool = True,
          keep_output: bool = False, session: Session | None = None) -> Judgement:
    """Judge `program` on `tests`; `fn_name` makes it a call-based (LeetCode-style) problem.
    `session`: a warm sandbox to reuse (`judge_many` keeps one per worker); else one is made here."""
    if mode not in MODES:
        raise BadTests(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}.")
    limits = limits or Limits()
    cases = as_tests(tests)
    call = bool(fn_name)
    if call and not (isinstance(fn_name, str) and fn_name.isidentifier()):  # the launcher's argv is NUL-separated
        raise BadTests(f"fn_name {str(fn_name)[:80]!r} is not a Python identifier.")
    inner = ["call", prelude_arg(program), fn_name] if call else ["stdio", prelude_arg(program)]
    stdins = [call_arguments(t.input, i) if call else t.input.encode() for i, t in enumerate(cases)]
    result = Judgement("AC", mode=mode)
    own = session is None and not limits.unsafe_no_sandbox
    if own:
        session = Session(limits, slot)
    elif session is not None:
        limits = session.limits
    try:
        _judge_cases(result, cases, stdins, program, inner, limits, slot, session, mode, call, stop_at_first_failure,
                     keep_output)
    finally:
        if own and session is not None:
            session.close()
    return result


def _judge_cases(result: Judgement, cases: list[TestCase], stdins: list[bytes], program: str, inner: list[str],
                 limits: Limits, slot: int, session: Session | None, mode: str, call: bool, stop: bool,
                 keep_output: bool) -> None:
    program_fd = sealed_program(program) if session is not None else None
    try:
        _judge_each(result, cases, stdins, program, program_fd, inner, limits, slot, session, mode, call, stop,
                    keep_output)
    finally:
        if program_fd is not None:
            os.close(program_fd)


def _judge_each(result: Judgement, cases: list[TestCase], stdins: list[bytes], program: str, program_fd: int | None,
                inner: list[str], limits: Limits, slot: int, session: Session | None, mode: str, call: bool,
                stop: bool, keep_output: bool) -> None:
    """Run tests in order, recording verdicts; stop at the first failure when `stop`."""
    for case, stdin in zip(cases, stdins):
        try:
            if session is not None and program_fd is not None:
                res = session.run(program_fd, stdin, inner)
            else:
                res = run(program, stdin, inner, limits, slot)
        except IsolationUnavailable:
            raise
        except Exception as err:  # noqa: BLE001 -- the runner's own fault: SE, never blamed on the program
            result.tests.append(TestVerdict("SE", 0.0, 0.0, detail=f"{type(err).__name__}: {err}"))
            result.verdict = "SE"
            break
        verdict, detail = verdict_for(res, case.output, mode, call, limits)
        entry = TestVerdict(verdict, round(res.time_s, 4), round(res.peak_rss / 2**20, 1),
                            round(res.cpu_s, 4), res.exit_code, res.signal, detail)
        if keep_output:
            entry.stdout = res.stdout[:1024].decode(errors="replace")
            entry.stderr = res.stderr[-1024:].decode(errors="replace")
        result.tests.append(entry)
        if verdict != "AC" and result.verdict == "AC":
            result.verdict = verdict
            if stop:
                break
