"""`evalkit show RUN`: one row per problem -- verdict per sample, extracted answers, gold, tokens -- under
the run's headline; filters for wrong, correct, no-answer and (against a second run) flipped problems."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from evalkit.errors import EvalkitError
from evalkit.output_flags import check_output_file, output_option

ONLY = ("wrong", "correct", "no-answer", "flipped")
FORMATS = ("table", "json", "csv")
_CELL = 60  # characters of one extracted answer or gold shown in the table (json/csv keep everything)


def register(app: typer.Typer) -> None:
    app.command("show")(show)


def show(
    run: Path = typer.Argument(..., help="A run directory (`evalkit eval`, `lm_eval --log_samples`, rescored or imported)."),
    task: str = typer.Option(None, "--task", help="Show only this task (default: every task of the run)."),
    only: str = typer.Option(None, "--only", help="wrong: some sample is not correct; correct: every sample is; "
                             "no-answer: some sample has no extracted answer; flipped: the score differs from "
                             "--against's on the same problem."),
    against: Path = typer.Option(None, "--against", help="A second run of the same problems, for --only flipped "
                                 "(its verdicts are shown beside this run's)."),
    fmt: str = typer.Option("table", "--format", help="table (terminal; plain text when piped), json or csv."),
    output: Path = output_option("Write the json/csv to this file (whole or not at all) instead of stdout."),
) -> None:
    """Show a run per problem: verdict per sample, extracted answers, gold and tokens.

    One row per problem: id, one mark per sample (✓ correct, ✗ wrong, ∅ no answer extracted), the
    extracted answers, the gold and output tokens, under the run's headline (model, preset, each task's
    score ± standard error). JSON also carries the grader's reasons; `--only flipped --against RUN2` lists
    the problems whose score changed between two runs."""
    from evalkit.io import atomic_write
    from evalkit.rundir import load_run

    if fmt not in FORMATS:
        raise EvalkitError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}.")
    if only is not None and only not in ONLY:
        raise EvalkitError(f"--only {only!r}: choose one of {', '.join(ONLY)}.")
    if (only == "flipped") != (against is not None):
        raise EvalkitError("--only flipped needs --against RUN2, and --against is only for --only flipped.")
    if output is not None and fmt == "table":
        raise EvalkitError("--output needs --format json or csv.")
    if output is not None:
        check_output_file("--output", output)
    loaded = load_run(run)
    other = load_run(against) if against is not None else None
    names = [task] if task else list(loaded.tasks)
    missing = [t for t in names if t not in loaded.tasks or (other is not None and t not in other.tasks)]
    if missing:
        where = loaded.path if missing[0] not in loaded.tasks else other.path  # type: ignore[union-attr]
        known = ", ".join(loaded.tasks)
        raise EvalkitError(f"--task {missing[0]}: {where} has no samples for it (tasks: {known}).")
    views = {t: _rows(loaded, other, t, only) for t in names}
    if fmt == "table":
        _print_table(loaded, views, other)
        return
    text = _json(loaded, views) if fmt == "json" else _csv(views, other is not None)
    if output is None:
        print(text, end="")
    else:
        atomic_write(output, text)


def _rows(run, other, task: str, only: str | None) -> list[tuple]:
    """(problem, the other run's problem or None) for the problems that pass the filter."""
    theirs = {p.key: p for p in other.tasks[task].problems} if other is not None else {}
    rows = []
    for problem in run.tasks[task].problems:
        twin = theirs.get(problem.key)
        if only == "wrong" and problem.all_correct:
            continue
        if only == "correct" and not problem.all_correct:
            continue
        if only == "no-answer" and not problem.no_answer:
            continue
        if only == "flipped" and (twin is None or twin.score == problem.score):
            continue
        rows.append((problem, twin))
    return rows


def _headline(run, task: str) -> str:
    head = run.headline(task)
    metric, flt = run.tasks[task].metric, run.tasks[task].filter
    value, err = head.get(f"{metric},{flt}"), head.get(f"{metric}_stderr,{flt}")
    problems = run.tasks[task].problems
    samples = sum(p.n for p in problems)
    if value is None:
        value = sum(p.score for p in problems) / len(problems)
    score = f"{100 * value:.1f}%" + (f" ± {100 * err:.1f}" if isinstance(err, int | float) else "")
    return f"{task}: {metric} {score} on {len(problems)} problems, {samples} samples"


def _short(value, width: int = _CELL) -> str:
    text = "∅" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _tokens(problem) -> str:
    known = [s.tokens for s in problem.samples if s.tokens is not None]
    if not known:
        return "-"
    return str(known[0]) if len(known) == 1 else f"{sum(known) / len(known):.0f} (mean)"


def _print_table(run, views: dict, other) -> None:
    console = Console()
    if not console.is_terminal:  # piped: plain text, one line per problem (grep-able), no colour
        console = Console(width=100_000, no_color=True, highlight=False)
    console.print(f"{run.label}: {run.model}" + (f" @ {run.model_revision}" if run.model_revision else "")
                  + (f", preset {run.preset}" if run.preset else ""), highlight=False)
    for task, rows in views.items():
        console.print(_headline(run, task), highlight=False)
        if other is not None:
            console.print("against " + _headline(other, task), highlight=False)
        table = Table(box=None, pad_edge=False, header_style="bold")
        table.add_column("id", overflow="fold", ratio=2)
        table.add_column(run.label if other is not None else "verdicts", overflow="fold")
        if other is not None:
            table.add_column(other.label, overflow="fold")
        table.add_column("extracted", overflow="fold", ratio=3)
        table.add_column("gold", overflow="fold", ratio=2)
        table.add_column("tokens", justify="right", no_wrap=True)
        for problem, twin in rows:
            cells = [problem.name, problem.marks or f"{problem.score:g}"]
            if other is not None:
                cells.append(twin.marks or f"{twin.score:g}" if twin else "-")
            answers = [s.extracted for s in problem.samples]
            extracted = " | ".join(_short(a, _CELL // max(len(answers), 1) + 8) for a in answers) if answers else "-"
            cells += [extracted, _short(problem.gold), _tokens(problem)]
            table.add_row(*cells)
        console.print(table)
        console.print(f"{len(rows)} of {len(run.tasks[task].problems)} problems shown.", highlight=False)


def _json(run, views: dict) -> str:
    out = {"run": str(run.path), "model": run.model, "revision": run.model_revision, "preset": run.preset,
           "tasks": {}}
    for task, rows in views.items():
        out["tasks"][task] = {
            "headline": run.headline(task), "metric": run.tasks[task].metric, "filter": run.tasks[task].filter,
            "problems": [problem.to_dict() | ({"against": twin.to_dict()} if twin else {}) for problem, twin in rows],
        }
    return json.dumps(out, indent=2, ensure_ascii=False, default=str) + "\n"


def _csv(views: dict, against: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    head = ["task", "id", "doc_id", "score", "verdicts", "extracted", "gold", "tokens"]
    writer.writerow(head + (["against_score", "against_verdicts"] if against else []))
    for task, rows in views.items():
        for problem, twin in rows:
            row = [task, problem.name, problem.doc_id, problem.score, problem.marks,
                   " | ".join("" if s.extracted is None else str(s.extracted) for s in problem.samples),
                   problem.gold, " ".join("" if s.tokens is None else str(s.tokens) for s in problem.samples)]
            if against:
                row += [twin.score, twin.marks] if twin else ["", ""]
            writer.writerow(row)
    return buffer.getvalue()
