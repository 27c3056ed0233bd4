"""`evalkit report RUN [RUN ...] -o report.html`: one self-contained HTML file to browse runs per problem."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from evalkit.errors import EvalkitError
from evalkit.output_flags import check_output_file, output_option


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def report(
    runs: list[Path] = typer.Argument(..., help="Run directories (`evalkit eval` runs, `lm_eval --output_path` dirs "
                                      "written with --log_samples, imported runs). The first is the baseline of Δ and flips."),
    output: Path = output_option("The HTML file to write, e.g. report.html (missing folders are created).", default=...),
    max_chars: int = typer.Option(12000, "--max-chars", min=0, help="Keep at most this many characters of each "
                                  "response (the first quarter and the end, where the answer is); 0 keeps everything."),
    title: str = typer.Option("evalkit report", "--title", help="Title of the page."),
) -> None:
    """Write one offline HTML file to browse runs problem by problem.

    The file needs no server and no network. It holds the score table (95% intervals,
    samples per problem, problems; Δ and p against the first run as in `evalkit compare`), accuracy against
    output length, and a grid of every problem across runs, one coloured cell per sample (correct, wrong,
    no answer). Filter by task, wrong, flipped or extraction failures; click a problem to see its prompt and
    every response with its extracted answer, verdict and reason (per-test verdicts for code tasks), side by
    side across runs. See docs/report.md."""
    from evalkit.report import page, payload, source

    check_output_file("--output", output, suffix=".html")
    err = Console(stderr=True)
    details = []
    for path in runs:
        err.print(f"reading {path}", highlight=False)
        details.append(source.read_run(path))
    data = payload.build(details, max_chars=max_chars, title=title)
    if not any(t["problems"] for t in data["tasks"]):
        raise EvalkitError("the runs hold no problems to show.")
    size = page.write(data, output)
    problems = sum(len(t["problems"]) for t in data["tasks"])
    err.print(f"wrote {output} ({size / 1e6:.1f} MB: {len(runs)} runs, {len(data['tasks'])} tasks, {problems} problems)",
              highlight=False)
