"""Leaderboard records: one JSON file per (model, suite, preset), built from a run directory and
validated against `record.schema.json`. A record holds scores, intervals and hashes, never outputs.

Layout: `<board>/records/<suite>/<model>__<preset>.json`, `<board>/references.yaml`, `<board>/README.md`.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from evalkit import __version__, stats
from evalkit.errors import EvalkitError
from evalkit.io import sha256_file
from evalkit.runs import Run, TaskResult

SCHEMA_FILE = Path(__file__).with_name("record.schema.json")
TASK_PREFIX = "evalkit_"


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def validation_errors(record: Any) -> list[str]:
    """Every schema violation as 'path: message' (empty when valid)."""
    validator = jsonschema.Draft202012Validator(schema())
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}"
            for e in sorted(validator.iter_errors(record), key=lambda e: list(map(str, e.absolute_path)))]


def benchmark_of(task: str) -> tuple[str, str | None]:
    """(benchmark key, suite or None): `evalkit_math500` -> ("math500", "math") via the data registry."""
    from evalkit import data

    key = re.sub(r"[^a-z0-9_]", "_", task.removeprefix(TASK_PREFIX).lower())
    bench = data.registry().get(key)
    return key, (bench.suite if bench else None)


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "unnamed"


def record_path(board: Path, record: dict[str, Any]) -> Path:
    return board / "records" / record["suite"] / f"{safe_name(record['model']['id'])}__{record['preset']}.json"


def _grader(run: Run, task: TaskResult) -> str:
    for source in (task.settings, run.settings):
        for key in ("metadata.grader", "manifest.grader", "manifest.versions.grader", "manifest.versions.evalkit"):
            if source.get(key):
                return source[key]
    return f"task-defined ({task.metric})"


def _clip(x: float) -> float:
    return min(1.0, max(0.0, round(x, 6)))


def _task_entry(task: TaskResult, iters: int) -> dict[str, Any]:
    scores = [p.score for p in task.problems]
    lo, hi = stats.bootstrap_ci(scores, iters=iters, seed=0)
    return {
        "task": task.name, "metric": task.metric, "score": _clip(sum(scores) / len(scores)), "ci95": [_clip(lo), _clip(hi)],
        "n_problems": len(scores), "samples_per_problem": max(p.n for p in task.problems),
        "samples_sha256": sha256_file(task.samples_file),
    }


def build_records(run: Run, preset: str | None = None, suite: str | None = None, note: str = "",
                  iters: int = stats.DEFAULT_ITERS) -> list[dict[str, Any]]:
    """One record per suite among the run's tasks. Tasks of no known suite need `suite`."""
    preset = safe_name(preset or run.preset or "lm-eval")
    by_suite: dict[str, dict[str, TaskResult]] = {}
    unknown = []
    for name, task in sorted(run.tasks.items()):
        key, task_suite = benchmark_of(name)
        chosen = suite or task_suite
        if chosen is None:
            unknown.append(name)
            continue
        by_suite.setdefault(chosen, {})[key] = task
    if unknown:
        raise EvalkitError(f"tasks {', '.join(unknown)} belong to no known benchmark suite; pass --suite.")
    records = []
    for suite_name, tasks in sorted(by_suite.items()):
        graders = sorted({_grader(run, t) for t in tasks.values()})
        record = {
            "schema_version": 1,
            "model": {"id": run.model, "revision": run.model_revision or "unknown"},
            "suite": suite_name,
            "preset": preset,
            "date": run.date[:10],
            "grader": "; ".join(graders),
            "note": note,
            "provenance": {
                "manifest_sha256": sha256_file(run.manifest_file) if run.manifest_file else None,
                "results_sha256": sha256_file(run.results_file),
            },
            "tasks": {key: _task_entry(task, iters) for key, task in sorted(tasks.items())},
            "evalkit_version": __version__,
        }
        errors = validation_errors(record)
        if errors:
            raise EvalkitError(f"{run.path}: the record for suite {suite_name} is invalid: {errors[0]}.")
        records.append(record)
    return records


def dump(record: dict[str, Any]) -> str:
    return json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load_records(board: Path) -> tuple[list[tuple[Path, dict[str, Any]]], list[str]]:
    """All records under `board/records` and the problems found (invalid JSON/schema, misplaced)."""
    records, problems = [], []
    for path in sorted((board / "records").rglob("*.json")):
        rel = path.relative_to(board)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            problems.append(f"{rel}: not valid JSON ({err})")
            continue
        errors = validation_errors(record)
        if errors:
            problems += [f"{rel}: {e}" for e in errors]
            continue
        if record_path(board, record) != path:
            problems.append(f"{rel}: should be at {record_path(board, record).relative_to(board)} (model/suite/preset)")
            continue
        records.append((path, record))
    return records, problems
