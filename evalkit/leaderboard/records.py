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
from evalkit.data import benchmark_of
from evalkit.errors import EvalkitError
from evalkit.io import sha256_file
from evalkit.rundir import Run, TaskResult

SCHEMA_FILE = Path(__file__).with_name("record.schema.json")


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def validation_errors(record: Any) -> list[str]:
    """Every schema violation as 'path: message' (empty when valid)."""
    validator = jsonschema.Draft202012Validator(schema())
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}"
            for e in sorted(validator.iter_errors(record), key=lambda e: list(map(str, e.absolute_path)))]


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "unnamed"


def record_path(board: Path, record: dict[str, Any]) -> Path:
    return board / "records" / record["suite"] / f"{safe_name(record['model']['id'])}__{record['preset']}.json"


def grader_of(run: Run, task: TaskResult, suite: str) -> str:
    """The version string of the grader behind the task's verdicts: the one `evalkit score` recorded, an
    imported run's (`evalkit.grading@...` or `published:<source>`), the one `evalkit eval` ran, else unknown."""
    rescored = run.results.get("grader")
    if isinstance(rescored, dict) and rescored.get(task.name):
        return str(rescored[task.name])
    if task.settings.get("metadata.grader"):
        return task.settings["metadata.grader"]
    versions = run.manifest.get("versions") if isinstance(run.manifest.get("versions"), dict) else {}
    recorded = versions.get("judge" if suite == "code" else "grader")
    return str(recorded) if recorded else "unknown (the run recorded no grader version)"


def coverage(run: Run, task: TaskResult) -> tuple[int, int]:
    """(problems scored, problems in the benchmark): a `--limit` run or a subset scores fewer."""
    from evalkit import data

    scored = len(task.problems)
    counts = (run.results.get("n-samples") or {}).get(task.name) or {}
    total = int(counts.get("original") or scored)
    found = benchmark_of(task.name)
    if found.benchmark == found.key:  # a whole benchmark, not a slice (livecodebench_easy): its declared size
        total = max(total, int(getattr(data.get(found.benchmark), "expected_count", 0) or 0))
    return scored, max(total, scored)


def _clip(x: float) -> float:
    return min(1.0, max(0.0, round(x, 6)))


def _task_entry(task: TaskResult, total: int) -> dict[str, Any]:
    scores = [p.score for p in task.problems]
    lo, hi = stats.score_interval(scores, max(p.n for p in task.problems))  # the interval `evalkit compare` shows
    entry = {
        "task": task.name, "metric": task.metric, "score": _clip(sum(scores) / len(scores)), "ci95": [_clip(lo), _clip(hi)],
        "n_problems": len(scores), "samples_per_problem": max(p.n for p in task.problems),
        "samples_sha256": sha256_file(task.samples_file),
    }
    if total > len(scores):
        entry["benchmark_problems"] = total
    return entry


def build_records(run: Run, preset: str | None = None, suite: str | None = None, note: str = "",
                  allow_partial: bool = False) -> list[dict[str, Any]]:
    """One record per suite among the run's tasks. Tasks of no known suite need `suite`. A task scored on
    fewer problems than its benchmark has (`--limit`, a subset) is refused unless `allow_partial`."""
    preset = safe_name(preset or run.preset or "lm-eval")
    by_suite: dict[str, dict[str, TaskResult]] = {}
    unknown = []
    totals: dict[str, int] = {}
    for name, task in sorted(run.tasks.items()):
        found = benchmark_of(name)
        key, task_suite = found.key, found.suite
        scored, totals[name] = coverage(run, task)
        limited = run.results.get("config", {}).get("limit") not in (None, "", 0) if isinstance(
            run.results.get("config"), dict) else False
        if (scored < totals[name] or limited) and not allow_partial:
            raise EvalkitError(f"{run.path}: task {name} scored {scored} of {totals[name]} problems"
                               f"{' (--limit)' if limited else ''}; a partial run goes on the leaderboard only with "
                               "--allow-partial, and is then shown with its coverage.")
        chosen = suite or task_suite
        if chosen is None:
            unknown.append(name)
            continue
        by_suite.setdefault(chosen, {})[key] = task
    if unknown:
        raise EvalkitError(f"tasks {', '.join(unknown)} belong to no known benchmark suite; pass --suite.")
    records = []
    for suite_name, tasks in sorted(by_suite.items()):
        graders = sorted({grader_of(run, t, suite_name) for t in tasks.values()})
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
            "tasks": {key: _task_entry(task, totals[task.name]) for key, task in sorted(tasks.items())},
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
