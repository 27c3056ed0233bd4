"""Sandboxed execution and judging of untrusted programs (LiveCodeBench-style).

    from sandbox import judge, Limits
    judge(source, [{"input": "1 2\\n", "output": "3\\n"}], mode="lcb").verdict  # "AC"

`judge` runs each test in a fresh bubblewrap sandbox (see `sandbox.isolation`), decides the verdict
outside it (`sandbox.judge`), and `judge_many` spreads many programs over the cores (`sandbox.pool`).
"""

from sandbox.isolation import IsolationUnavailable, walls
from sandbox.judge import VERDICTS, BadTests, Judgement, TestCase, TestVerdict, judge
from sandbox.limits import Limits
from sandbox.pool import Job, judge_many

__all__ = ["VERDICTS", "BadTests", "IsolationUnavailable", "Job", "Judgement", "Limits", "TestCase", "TestVerdict",
           "judge", "judge_many", "walls"]
