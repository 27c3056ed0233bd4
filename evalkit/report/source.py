"""Read one run for the report: the per-problem results `evalkit compare` uses plus what a person wants
to look at (prompt, every response, extracted answer, verdict, reason, per-test verdicts).

This module is the report's only reader of run directories: `read_run` is the adapter to repoint when
the run-directory package (evalkit/rundir) offers a per-problem API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.data.jsonl import read_jsonl
from evalkit.runs import Run, _literal, load_run


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


def _prompt(row: dict[str, Any]) -> str:
    """lm-eval logs a generation request's arguments as [(context, gen_kwargs)] or {gen_args_0: {arg_0: ...}}."""
    args = row.get("arguments")
    if isinstance(args, dict) and args:
        first = next(iter(args.values()))
        if isinstance(first, dict):
            return str(first.get("arg_0", ""))
    if isinstance(args, list) and args and isinstance(args[0], list | tuple) and args[0]:
        return str(args[0][0])
    return ""


def _flat(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return [x for item in value for x in _flat(item)]
    return [value]


def _verdict(item: Any) -> dict[str, Any]:
    if isinstance(item, str) and item.startswith("{"):
        item = _literal(item)
    return item if isinstance(item, dict) else {}


def _extracted(verdict: dict[str, Any]) -> str | None:
    value = verdict.get("extracted")
    if value in (None, "", False):
        return None
    return "code" if value is True else str(value)


def _reason(verdict: dict[str, Any]) -> str:
    parts = [verdict[k] for k in ("reason", "verdict") if isinstance(verdict.get(k), str) and verdict[k]]
    if verdict.get("detail"):
        parts.append(str(verdict["detail"]))
    return " · ".join(parts)


def _tests(verdict: dict[str, Any]) -> list[dict[str, Any]]:
    tests = verdict.get("tests")
    if not isinstance(tests, list):
        return []
    # code tasks store one verdict string per test; a dict may add that test's detail
    return [{"verdict": t, "detail": ""} if isinstance(t, str) else
            {"verdict": str(t.get("verdict", "?")), "detail": str(t.get("detail", ""))[:300]}
            for t in tests if isinstance(t, str | dict)]


def _samples(row: dict[str, Any], correct: list[bool] | None) -> list[Sample]:
    outputs = [str(o) for o in _flat(row.get("resps") or [])]
    verdicts = [_verdict(v) for v in _flat(row.get("filtered_resps") or [])]
    count = max(len(outputs), len(verdicts), len(correct or []))
    out = []
    for i in range(count):
        verdict = verdicts[i] if i < len(verdicts) else {}
        ok = correct[i] if correct and i < len(correct) else bool(verdict.get("correct"))
        tokens = verdict.get("tokens")
        out.append(Sample(bool(ok), _extracted(verdict), _reason(verdict),
                          int(tokens) if isinstance(tokens, int | float) else None,
                          outputs[i] if i < len(outputs) else "", _tests(verdict)))
    return out


def read_run(path: str | Path) -> RunDetails:
    """One run directory (as `evalkit compare` accepts it) with every sample's details."""
    run = load_run(path)
    details: dict[str, dict[tuple[int, str], Problem]] = {}
    for name, task in run.tasks.items():
        by_doc = {p.doc_id: p for p in task.problems}
        problems = {}
        for _, row in read_jsonl(task.samples_file):
            result = by_doc.get(row.get("doc_id"))
            if row.get("filter", "none") != task.filter or result is None:
                continue
            problems[result.key] = Problem(result.key, result.name, result.score, _prompt(row),
                                           str(row.get("target", "")), _samples(row, result.correct))
        details[name] = problems
    return RunDetails(run, details)
