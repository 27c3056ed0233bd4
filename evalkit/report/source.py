"""Read one run for the report: the per-problem results `evalkit compare` uses plus what a person wants
to look at (prompt, every response, extracted answer, verdict, reason, per-test verdicts).

The run directory itself is read by evalkit.rundir; this module only shapes its per-problem view for
the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.rundir import Run, load_run
from evalkit.rundir import Sample as RunSample


@dataclass
class Sample:
    correct: bool
    extracted: str | None  # None: no answer / no code could be extracted
    reason: str
    tokens: int | None
    output: str
    tests: list[dict[str, Any]] = field(default_factory=list)  # code tasks: one {verdict, detail} per test


@dataclass
class Problem:
    key: tuple[int, str]
    name: str
    score: float
    prompt: str
    gold: str
    samples: list[Sample]


@dataclass
class RunDetails:
    run: Run  # what `evalkit compare` reads (scores, alignment keys, settings)
    problems: dict[str, dict[tuple[int, str], Problem]]  # task -> problem key -> details


def _extracted(sample: RunSample) -> str | None:
    value = sample.extracted
    if value in (None, "", False):
        return None
    return "code" if value is True else str(value)


def _reason(sample: RunSample) -> str:
    record = sample.record or {}
    parts = [record[k] for k in ("reason", "verdict") if isinstance(record.get(k), str) and record[k]]
    if not parts and sample.reason:
        parts.append(sample.reason)
    if record.get("detail"):
        parts.append(str(record["detail"]))
    return " · ".join(dict.fromkeys(parts))


def _tests(record: dict[str, Any]) -> list[dict[str, Any]]:
    tests = record.get("tests")
    if not isinstance(tests, list):
        return []
    # code tasks store one verdict string per test; a dict may add that test's detail
    return [{"verdict": t, "detail": ""} if isinstance(t, str) else
            {"verdict": str(t.get("verdict", "?")), "detail": str(t.get("detail", ""))[:300]}
            for t in tests if isinstance(t, str | dict)]


def _sample(sample: RunSample, correct: bool | None) -> Sample:
    ok = sample.correct if correct is None else correct
    return Sample(bool(ok), _extracted(sample), _reason(sample), sample.tokens, sample.response,
                  _tests(sample.record or {}))


def read_run(path: str | Path) -> RunDetails:
    """One run directory (as `evalkit compare` accepts it) with every sample's details, from evalkit.rundir."""
    run = load_run(path)
    details: dict[str, dict[tuple[int, str], Problem]] = {}
    for name, task in run.tasks.items():
        details[name] = {
            p.key: Problem(p.key, p.name, p.score, p.prompt, p.gold,
                           [_sample(s, p.correct[i] if p.correct and i < len(p.correct) else None)
                            for i, s in enumerate(p.samples)])
            for p in task.problems
        }
    return RunDetails(run, details)
