"""Align runs problem by problem and compute, per task, scores with intervals and paired differences.

Problems are matched on (doc_id, hash of the problem text): a reordered, filtered or different
dataset then shows up as a mismatch instead of silently pairing unrelated problems. Different problem
sets, task versions, datasets or gold answers are refused unless `force`, which compares the problems
common to every run and says how many were dropped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from evalkit import stats
from evalkit.compare.settings import settings_diff
from evalkit.errors import EvalkitError
from evalkit.rundir import ProblemResult, Run, TaskResult


@dataclass
class RunRow:
    run: str
    score: float
    ci: tuple[float, float]
    n_samples: int  # samples per problem (max over problems)
    diff: float | None = None
    diff_ci: tuple[float, float] | None = None
    p_value: float | None = None
    test: str | None = None
    lost: list[str] = field(default_factory=list)  # solved by the first run, not by this one
    gained: list[str] = field(default_factory=list)


@dataclass
class TaskReport:
    task: str
    metric: str
    n_problems: int
    dropped: int
    rows: list[RunRow]


@dataclass
class Report:
    runs: list[dict[str, str]]
    settings_diff: list[dict[str, Any]]
    tasks: list[TaskReport]
    warnings: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _example(keys: set[tuple[int, str]]) -> str:
    doc_id = min(keys)[0]
    return f"doc_id {doc_id}"


def _check_alignment(task: str, runs: list[Run]) -> list[str]:
    """Reasons these runs cannot be paired on `task` (empty when they can)."""
    problems = []
    first = runs[0].tasks[task]
    base = {p.key: p for p in first.problems}
    for run in runs[1:]:
        other = run.tasks[task]
        for key, value in first.identity.items():
            if other.identity.get(key) != value:
                problems.append(f"{key} differs ({value or '-'} in {runs[0].label}, {other.identity.get(key) or '-'} in {run.label})")
        if other.metric != first.metric:
            problems.append(f"scored with {first.metric} in {runs[0].label} but {other.metric} in {run.label}")
        theirs = {p.key: p for p in other.problems}
        missing, extra = set(base) - set(theirs), set(theirs) - set(base)
        if missing or extra:
            ids_a, ids_b = {k[0] for k in missing}, {k[0] for k in extra}
            swapped = ids_a & ids_b
            detail = (
                f"doc_id {min(swapped)} is a different problem in {run.label} (reordered or different dataset?)"
                if swapped
                else f"{len(missing)} problems of {runs[0].label} missing in {run.label}"
                + (f" (e.g. {_example(missing)})" if missing else "")
                + f", {len(extra)} extra"
            )
            problems.append(f"problem sets differ: {detail}")
        gold = [k for k in set(base) & set(theirs) if base[k].target_hash != theirs[k].target_hash]
        if gold:
            problems.append(f"{len(gold)} problems have different gold answers in {run.label} (e.g. {_example(set(gold))})")
    return problems


def _common(runs: list[Run], task: str) -> list[tuple[int, str]]:
    keys = set.intersection(*({p.key for p in r.tasks[task].problems} for r in runs))
    return sorted(keys)


def select_tasks(runs: list[Run], wanted: list[str] | None) -> tuple[list[str], list[str]]:
    """Tasks to compare (in every run) and warnings about tasks that only some runs have."""
    shared = sorted(set.intersection(*(set(r.tasks) for r in runs)))
    every = sorted(set().union(*(r.tasks for r in runs)))
    if wanted:
        for task in wanted:
            lacking = [r.label for r in runs if task not in r.tasks]
            if lacking:
                raise EvalkitError(f"--tasks {task}: not in run(s) {', '.join(lacking)} (they have: {', '.join(every)}).")
        return list(dict.fromkeys(wanted)), []
    if not shared:
        raise EvalkitError("the runs have no task in common: " + "; ".join(f"{r.label}: {', '.join(r.tasks)}" for r in runs))
    only = [t for t in every if t not in shared]
    return shared, ([f"tasks not in every run, skipped: {', '.join(only)}"] if only else [])


def compare(runs: list[Run], tasks: list[str] | None = None, force: bool = False,
            iters: int = stats.DEFAULT_ITERS, seed: int = 0) -> Report:
    if len(runs) < 2:
        raise EvalkitError("compare needs at least two runs.")
    labels = [r.label for r in runs]
    if len(set(labels)) != len(labels):
        for i, run in enumerate(runs):
            run.label = f"{chr(ord('A') + i)}:{run.label}"
    names, warnings = select_tasks(runs, tasks)
    reports = []
    for task in names:
        reasons = _check_alignment(task, runs)
        if reasons and not force:
            raise EvalkitError(f"task {task} cannot be compared: {'; '.join(reasons)}. Pass --force to compare the common problems anyway.")
        warnings += [f"{task}: {r} (--force)" for r in reasons]
        keys = _common(runs, task)
        if not keys:
            raise EvalkitError(f"task {task}: no problem is common to all runs.")
        reports.append(_task_report(task, runs, keys, iters, seed))
    return Report([{"label": r.label, "path": str(r.path), "model": r.model, "preset": r.preset} for r in runs],
                  settings_diff(runs, names), reports, warnings)


def _aligned(result: TaskResult, keys: list[tuple[int, str]]) -> list[ProblemResult]:
    by_key = {p.key: p for p in result.problems}
    return [by_key[k] for k in keys]


def _task_report(task: str, runs: list[Run], keys: list[tuple[int, str]], iters: int, seed: int) -> TaskReport:
    aligned = [_aligned(r.tasks[task], keys) for r in runs]
    scores = [np.array([p.score for p in probs]) for probs in aligned]
    names = [p.name for p in aligned[0]]
    rows = []
    for i, run in enumerate(runs):
        n_samples = max(p.n for p in aligned[i])
        row = RunRow(run.label, float(scores[i].mean()), stats.score_interval(scores[i], n_samples), n_samples)
        if i:
            binary = runs[0].tasks[task].binary and run.tasks[task].binary  # this pair alone decides its test
            paired = stats.paired_compare(scores[0], scores[i], binary=binary, iters=iters, seed=seed)
            row.diff, row.diff_ci, row.p_value, row.test = paired.diff, (paired.ci_low, paired.ci_high), paired.p_value, paired.test
            row.lost = [n for n, a, b in zip(names, scores[0], scores[i]) if stats.solved(a) and not stats.solved(b)]
            row.gained = [n for n, a, b in zip(names, scores[0], scores[i]) if not stats.solved(a) and stats.solved(b)]
        rows.append(row)
    total = max(len(r.tasks[task].problems) for r in runs)
    return TaskReport(task, runs[0].tasks[task].metric, len(keys), total - len(keys), rows)
