"""`evalkit grade`: check answers against golds, one pair on the command line or a JSONL file in parallel."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from evalkit.errors import DataError, EvalkitError
from evalkit.grading import GradeItem, check, grade
from evalkit.grading.api import DEFAULT_TIMEOUT
from evalkit.io import atomic_write, read_jsonl
from evalkit.output_flags import check_output_file, output_option


class _RateColumn(ProgressColumn):
    """Verdicts per second since the start."""

    def render(self, task: Any) -> Text:
        elapsed = task.elapsed or 0.0
        rate = task.completed / elapsed if elapsed > 0 else 0.0
        return Text(f"{rate:,.0f} verdicts/s", style="cyan")


def register(app: typer.Typer) -> None:
    app.command("grade")(grade_command)


def _items(path: Path) -> tuple[list[dict[str, Any]], list[GradeItem]]:
    rows, items = [], []
    for lineno, row in read_jsonl(path):
        where = f"{path}:{lineno}"
        gold = row.get("gold")
        if gold is None:
            raise DataError(f"{where}: missing field 'gold'.")
        if not (isinstance(gold, str) or isinstance(gold, list) and gold and all(isinstance(g, str) for g in gold)):
            raise DataError(f"{where}: 'gold' must be a string or a non-empty list of strings.")
        has_pred, has_output = "pred" in row, "output" in row
        if has_pred == has_output:
            raise DataError(f"{where}: each row needs exactly one of 'pred' (an answer) or 'output' (a response).")
        value = row["pred"] if has_pred else row["output"]
        if value is not None and not isinstance(value, str):
            raise DataError(f"{where}: '{'pred' if has_pred else 'output'}' must be a string or null.")
        question = row.get("question")
        if question is not None and not isinstance(question, str):
            raise DataError(f"{where}: 'question' must be a string or null.")
        rows.append(row)
        items.append(GradeItem(gold=gold, pred=value, question=question) if has_pred
                     else GradeItem(gold=gold, output=value or "", question=question))
    return rows, items


def _write(rows: list[dict[str, Any]], output: Path | None) -> None:
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if output is None:
        sys.stdout.write(lines)
        return
    atomic_write(output, lines)


def grade_command(
    gold: str = typer.Argument(None, help="Gold answer (pair mode; give PRED too).", show_default=False),
    pred: str = typer.Argument(None, help="Predicted answer to compare with GOLD (pair mode).", show_default=False),
    input_path: Path = typer.Option(
        None, "--input", "-i", help="JSONL file: rows with 'gold' and either 'pred' (an answer) or 'output' "
        "(a whole response, extracted first).", show_default=False
    ),
    output: Path = output_option("With --input: the JSONL file of graded rows, written whole when grading ends "
                                 "(missing folders are created). Default: standard output."),
    workers: int = typer.Option(None, "--workers", "-w", min=1, help="Worker processes. Default: all cores.",
                                show_default=False),
    timeout: float = typer.Option(DEFAULT_TIMEOUT, "--timeout", "-t", min=0.1,
                                  help="Wall-clock limit per symbolic check, in seconds (then: timeout, null)."),
    question: str = typer.Option(None, "--question", "-q", help="The problem text (pair mode): where it asks for an "
                                 "approximation, a rounded decimal may stand for an exact gold. Without it: strict.",
                                 show_default=False),
    numeric_tolerance: float = typer.Option(None, "--numeric-tolerance", metavar="REL", min=0.0, max=1.0,
                                            help="Lenient: a number within relative error REL of the gold is equal "
                                            "(recorded in every output row).", show_default=False),
) -> None:
    """Grade answers: `evalkit grade GOLD PRED` for one pair, or `evalkit grade --input F.jsonl` for a file.

    Output rows repeat the input and add `equal` (true, false, or null for no answer / timeout), `extracted`
    (the answer found in `output`, when extraction ran) and a short `reason`. A row's optional `question`
    plays the part of --question. Rules (rounding, units, bases, angles, sets vs tuples): docs/grading.md.
    """
    if input_path is not None:
        if gold is not None or pred is not None:
            raise EvalkitError("give either GOLD PRED or --input FILE, not both.")
        if question is not None:
            raise EvalkitError("--question is for pair mode; in a file, give each row a 'question' field.")
        if output is not None:
            check_output_file("--output", output)
        _grade_file(input_path, output, workers, timeout, numeric_tolerance)
        return
    if output is not None:
        raise EvalkitError("--output is for --input FILE; pair mode prints its verdict.")
    if gold is None or pred is None:
        raise EvalkitError("give GOLD and PRED (pair mode) or --input FILE (see `evalkit grade --help`).")
    verdict = check(gold, pred, timeout=timeout, question=question, numeric_tolerance=numeric_tolerance)
    word = {True: "[green]equal[/]", False: "[red]not equal[/]", None: "[yellow]undecided[/]"}[verdict.equal]
    Console().print(f"{word}: {verdict.reason}", highlight=False)


def _grade_file(path: Path, output: Path | None, workers: int | None, timeout: float,
                numeric_tolerance: float | None) -> None:
    rows, items = _items(path)
    console = Console(stderr=True)
    columns = [TextColumn("grading"), BarColumn(), MofNCompleteColumn(), _RateColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("grade", total=len(items))
        verdicts = grade(items, workers=workers, timeout=timeout, numeric_tolerance=numeric_tolerance,
                         progress=lambda n, _correct: progress.advance(task, n))
    out_rows = []
    for row, item, verdict in zip(rows, items, verdicts):
        new = dict(row)
        new["equal"] = verdict.equal
        if item.output is not None:
            new["extracted"] = verdict.extracted
        new["reason"] = verdict.reason
        if numeric_tolerance is not None:
            new["numeric_tolerance"] = numeric_tolerance
        out_rows.append(new)
    _write(out_rows, output)
    n = len(verdicts)
    right = sum(v.equal is True for v in verdicts)
    none = sum(v.equal is None and v.reason == "no answer" for v in verdicts)
    timeouts = sum(v.equal is None and v.reason != "no answer" for v in verdicts)
    console.print(
        f"{n} rows: {right} equal, {n - right - none - timeouts} not equal, {none} without an answer, "
        f"{timeouts} undecided (timeout)" + (f"; written to {output}" if output else ""),
        highlight=False,
    )
