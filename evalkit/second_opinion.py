"""A second opinion on a run: every sample graded again by another grader (Math-Verify), disagreements listed.

Why: a score is only as good as its grader. Re-grading every saved response with an independent grader
shows at once how much of a score depends on the grader, and `disagreements.jsonl` lists the samples
where the two differ (problem id, sample index, gold, both extracted answers, both verdicts, our
reason) for a person to look at. The other grader runs in the same bounded worker processes as ours
(`pool.py`): Math-Verify's own `signal.alarm` timeouts are switched off and the pool's wall-clock limit
kills a worker that overruns. Math-Verify is the optional extra `evalkit[audit]`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.errors import EvalkitError
from evalkit.io import atomic_write
from evalkit.rundir import find_samples
from evalkit.rundir.samples import read_rows as _read_rows
from evalkit.rundir.samples import responses as _responses
from evalkit.rundir.samples import verdict_records as _verdict_records

GRADERS = {"math-verify": "math-verify"}  # --second-opinion name -> worker job kind (`worker.CHECKS`)
DISAGREEMENTS = "disagreements.jsonl"
SUMMARY = "second_opinion.json"
INSTALL = "pip install 'evalkit[audit]'"


def require(grader: str) -> str:
    """The worker job kind of `grader`, or one clear error (unknown name, or its package not installed)."""
    if grader not in GRADERS:
        raise EvalkitError(f"--second-opinion {grader!r}: unknown grader; choose one of {', '.join(GRADERS)}.")
    try:
        import math_verify  # noqa: F401
    except ImportError:
        raise EvalkitError(f"--second-opinion {grader} needs the Math-Verify package: {INSTALL}.") from None
    return GRADERS[grader]


@dataclass
class Sample:
    """One saved response with our verdict on it (from a samples_*.jsonl row of a math task)."""

    task: str
    doc_id: Any
    problem_id: Any
    index: int
    gold: str
    output: str
    extracted: str | None
    correct: bool
    reason: str


@dataclass
class TaskOpinion:
    task: str
    grader: str
    samples: int = 0
    ours: float = 0.0  # avg@n under evalkit's grader
    theirs: float = 0.0  # avg@n under the second grader
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    skipped: str | None = None  # why the task was not re-graded (not a math task)


def _gold(row: dict) -> str:
    from evalkit.grading.api import gold_text

    doc = row.get("doc") or {}
    answers = doc.get("answers")
    if isinstance(answers, list) and answers:
        return gold_text(answers)
    return str(doc.get("answer", row.get("target", "")))


def read_samples(path: Path, task: str) -> list[Sample] | None:
    """Every response in `path` with our verdict, or None if its rows carry no math verdicts."""
    out = []
    for row in _rows(path):
        records, outputs = _verdict_records(row.get("filtered_resps")), _responses(row, str(path))
        if records is None or len(records) != len(outputs):
            return None
        doc = row.get("doc") or {}
        pid = doc.get("id", doc.get("problem_id", row.get("doc_id")))
        gold = _gold(row)
        for j, (rec, text) in enumerate(zip(records, outputs, strict=True)):
            out.append(Sample(task, row.get("doc_id"), pid, j, gold, text, rec.get("extracted"),
                              rec.get("correct") is True, str(rec.get("reason", ""))))
    return out


def _rows(path: Path) -> list[dict]:
    return [row for _, row in _read_rows(path)]


def _version(grader: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(grader)
    except PackageNotFoundError:
        return None


def _avg_at_n(samples: list[Sample], correct: list[bool]) -> float:
    """Mean over problems of the fraction of correct samples (avg@n, as our tasks report it)."""
    per_doc: dict[Any, list[bool]] = {}
    for s, c in zip(samples, correct, strict=True):
        per_doc.setdefault(s.doc_id, []).append(c)
    return sum(sum(v) / len(v) for v in per_doc.values()) / len(per_doc) if per_doc else 0.0


def audit(files: dict[str, Path], out_dir: Path, grader: str = "math-verify", workers: int | None = None,
          timeout: float = 5.0, progress: Callable[[int, int], None] | None = None) -> list[TaskOpinion]:
    """Re-grade every sample of `files` (task -> samples file) with `grader`; write DISAGREEMENTS and SUMMARY
    into `out_dir` (atomically) and return the per-task opinions. `progress(graded, found)`: n more graded,
    or n more samples found to grade."""
    from evalkit.grading.pool import default_workers, get_pool

    kind = require(grader)
    workers = workers or default_workers()
    opinions = []
    for task, path in files.items():
        samples = read_samples(path, task)
        opinion = TaskOpinion(task, grader)
        opinions.append(opinion)
        if samples is None:
            opinion.skipped = "no math verdicts in its samples (not a math task)"
            continue
        theirs: list[tuple[bool | None, str, str | None]] = [(None, "not graded", None)] * len(samples)
        if progress:
            progress(0, len(samples))

        def on_result(i: int, result: tuple[bool | None, str, str | None], theirs=theirs) -> None:
            theirs[i] = result
            if progress:
                progress(1, 0)

        get_pool(workers).run_batch([(s.gold, s.output) for s in samples], timeout, workers, on_result, kind=kind)
        their_correct = [t[0] is True for t in theirs]
        opinion.samples = len(samples)
        opinion.ours = _avg_at_n(samples, [s.correct for s in samples])
        opinion.theirs = _avg_at_n(samples, their_correct)
        key = grader.replace("-", "_")
        for s, (equal, reason, extracted), ok in zip(samples, theirs, their_correct, strict=True):
            if ok != s.correct:
                opinion.disagreements.append({
                    "task": s.task, "problem_id": s.problem_id, "doc_id": s.doc_id, "sample": s.index, "gold": s.gold,
                    "evalkit_extracted": s.extracted, f"{key}_extracted": extracted,
                    "evalkit_correct": s.correct, f"{key}_correct": ok,
                    "evalkit_reason": s.reason, f"{key}_reason": reason,
                })
    rows = [d for o in opinions for d in o.disagreements]
    atomic_write(out_dir / DISAGREEMENTS, "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows))
    summary = {"grader": grader, "version": _version(grader), "disagreements_file": DISAGREEMENTS, "tasks": {
        o.task: ({"skipped": o.skipped} if o.skipped else
                 {"samples_file": files[o.task].name, "samples": o.samples,
                  "scores": {"evalkit": o.ours, grader: o.theirs}, "disagreements": len(o.disagreements),
                  "only_evalkit_correct": sum(d["evalkit_correct"] for d in o.disagreements),
                  f"only_{key}_correct": sum(not d["evalkit_correct"] for d in o.disagreements)})
        for o in opinions}}
    atomic_write(out_dir / SUMMARY, json.dumps(summary, indent=2, default=str) + "\n")
    return opinions


def audit_run_dir(run_dir: Path, grader: str = "math-verify", workers: int | None = None, timeout: float = 5.0,
                  quiet: bool = False) -> list[TaskOpinion]:
    """`audit` on the newest samples file of each task under `run_dir`, written beside them; prints the result."""
    files = find_samples(run_dir)
    return audit_with_progress(files, next(iter(files.values())).parent, grader, workers, timeout, quiet)


def audit_rescored(tasks: dict[str, dict], out_dir: Path, grader: str, workers: int | None = None,
                   quiet: bool = False) -> list[TaskOpinion]:
    """`audit` on the samples files `evalkit score` just wrote (its summary's `tasks`), beside them."""
    return audit_with_progress({t: out_dir / info["samples_file"] for t, info in tasks.items()}, out_dir, grader,
                               workers, 5.0, quiet)


def audit_with_progress(files: dict[str, Path], out_dir: Path, grader: str, workers: int | None, timeout: float,
                        quiet: bool) -> list[TaskOpinion]:
    """`audit` with a progress bar on stderr (unless `quiet`), then the summary printed on stdout."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(f"second opinion ({grader})"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True, quiet=quiet)) as bar:
        job = bar.add_task("grading", total=0)

        def progress(graded: int, found: int) -> None:
            if found:
                bar.update(job, total=bar.tasks[0].total + found)
            if graded:
                bar.advance(job, graded)

        opinions = audit(files, out_dir, grader, workers, timeout, progress)
    print_opinions(opinions, out_dir)
    return opinions


def print_opinions(opinions: list[TaskOpinion], out_dir: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="second opinion: the same samples under two graders")
    for col in ("task", "samples", "evalkit", opinions[0].grader if opinions else "second", "difference", "disagreements"):
        table.add_column(col, justify="left" if col == "task" else "right")
    for o in opinions:
        if o.skipped:
            table.add_row(o.task, "-", "-", "-", "-", f"skipped: {o.skipped}")
            continue
        table.add_row(o.task, str(o.samples), f"{o.ours:.4f}", f"{o.theirs:.4f}", f"{o.ours - o.theirs:+.4f}",
                      str(len(o.disagreements)))
    console = Console()
    console.print(table)
    console.print(f"disagreements: {out_dir / DISAGREEMENTS} ({sum(len(o.disagreements) for o in opinions)} samples); "
                  f"summary: {out_dir / SUMMARY}", highlight=False)
