"""The data an `evalkit report` page shows, as one JSON-able dict: scores with intervals and paired
differences (the same functions as `evalkit compare`), the per-problem grid across runs, every
sample's details, and accuracy by output length. Repeated strings (prompts shared by runs) are stored once."""

from __future__ import annotations

from typing import Any

import numpy as np

from evalkit import stats
from evalkit.compare import compare
from evalkit.compare.lengths import accuracy_by_length
from evalkit.errors import EvalkitError
from evalkit.report.source import Problem, RunDetails

CORRECT, WRONG, NO_ANSWER = 1, 0, 2  # cell codes of the grid
DEFAULT_MAX_CHARS = 12000


def clip_text(text: str, max_chars: int) -> str:
    """Keep the start and (more of) the end of a long response: the final answer is at the end."""
    if max_chars <= 0 or len(text) <= max_chars:
        return text
    head = max_chars // 4
    tail = max_chars - head
    return f"{text[:head]}\n\n[… {len(text) - max_chars} characters cut by --max-chars …]\n\n{text[-tail:]}"


class _Strings:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.index: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        if text not in self.index:
            self.index[text] = len(self.items)
            self.items.append(text)
        return self.index[text]


def _score_rows(task: str, runs: list[RunDetails], warnings: list[str]) -> list[dict[str, Any] | None]:
    """One score row per run (None where the run lacks the task), paired against the first run that has it."""
    having = [r for r in runs if task in r.run.tasks]
    rows: dict[str, dict[str, Any]] = {}
    if len(having) >= 2:
        try:
            report = compare([r.run for r in having], [task], force=True)
            warnings += report.warnings
            for row in report.tasks[0].rows:
                rows[row.run] = {"score": row.score, "ci": list(row.ci), "n": row.n_samples,
                                 "problems": report.tasks[0].n_problems, "diff": row.diff,
                                 "diff_ci": list(row.diff_ci) if row.diff_ci else None,
                                 "p": row.p_value, "test": row.test}
        except EvalkitError as err:
            warnings.append(f"{task}: runs not paired ({err})")
    for r in having:
        if r.run.label not in rows:
            scores = np.array([p.score for p in r.run.tasks[task].problems])
            n = max(p.n for p in r.run.tasks[task].problems)
            rows[r.run.label] = {"score": float(scores.mean()), "ci": list(stats.score_interval(scores, n)), "n": n,
                                 "problems": int(scores.size), "diff": None, "diff_ci": None, "p": None, "test": None}
    return [rows.get(r.run.label) if task in r.run.tasks else None for r in runs]


def _length(task: str, runs: list[RunDetails]) -> dict[str, Any] | None:
    data = []
    for r in runs:
        samples = [s for p in r.problems.get(task, {}).values() for s in p.samples if s.tokens is not None]
        data.append((np.array([s.tokens for s in samples], dtype=float), np.array([s.correct for s in samples], dtype=float)))
    present = [d for d in data if d[0].size]
    if not present:
        return None
    edges, per_run = accuracy_by_length(present)
    it = iter(per_run)
    out = []
    for lengths, _ in data:
        if lengths.size:
            acc, count = next(it)
            out.append({"acc": [None if np.isnan(a) else a for a in acc], "count": count})
        else:
            out.append(None)
    return {"edges": [float(e) for e in edges], "runs": out}


def _cell(problem: Problem, strings: _Strings, max_chars: int) -> dict[str, Any]:
    codes = [CORRECT if s.correct else NO_ANSWER if s.extracted is None else WRONG for s in problem.samples]
    samples = [{"x": s.extracted, "r": s.reason, "t": s.tokens, "o": strings(clip_text(s.output, max_chars)),
                **({"tests": s.tests} if s.tests else {})} for s in problem.samples]
    return {"s": problem.score, "v": codes, "p": strings(problem.prompt), "samples": samples}


def _is_code(task: str, runs: list[RunDetails]) -> bool:
    return any(s.tests or s.extracted == "code" for r in runs for p in r.problems.get(task, {}).values() for s in p.samples)


def build(runs: list[RunDetails], max_chars: int = DEFAULT_MAX_CHARS, title: str = "evalkit report") -> dict[str, Any]:
    if not runs:
        raise EvalkitError("report needs at least one run.")
    labels = [r.run.label for r in runs]
    if len(set(labels)) != len(labels):
        for i, r in enumerate(runs):
            r.run.label = f"{chr(ord('A') + i)}:{r.run.label}"
    strings, warnings, tasks = _Strings(), [], []
    for task in sorted(set().union(*(r.run.tasks for r in runs))):
        keys = list(dict.fromkeys(k for r in runs for k in r.problems.get(task, {})))
        keys.sort(key=lambda k: k[0])
        problems = []
        for key in keys:
            found = [r.problems.get(task, {}).get(key) for r in runs]
            first = next(p for p in found if p is not None)
            problems.append({"id": first.name, "doc": key[0], "gold": first.gold,
                             "cells": [_cell(p, strings, max_chars) if p else None for p in found]})
        tasks.append({"name": task, "metric": next(r.run.tasks[task].metric for r in runs if task in r.run.tasks),
                      "code": _is_code(task, runs), "scores": _score_rows(task, runs, warnings),
                      "length": _length(task, runs), "problems": problems})
    # what a click needs (responses, samples' details) travels apart from what the first paint needs
    details = [[[cell.pop("samples") if cell else None for cell in p["cells"]] for p in t["problems"]] for t in tasks]
    return {"title": title, "runs": [{"label": r.run.label, "model": r.run.model, "preset": r.run.preset,
                                      "path": str(r.run.path)} for r in runs],
            "warnings": warnings, "tasks": tasks, "details": {"samples": details, "strings": strings.items}}
