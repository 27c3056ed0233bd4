"""`evalkit compare RUN_A RUN_B ...`: scores with intervals and paired differences against the first run."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from evalkit import stats
from evalkit.compare import compare as build_report
from evalkit.compare import render
from evalkit.errors import EvalkitError
from evalkit.io import atomic_write
from evalkit.output_flags import check_output_file, output_option
from evalkit.rundir import load_run

FORMATS = ("table", "markdown", "json")


def register(app: typer.Typer) -> None:
    compare.__doc__ = compare.__doc__.replace("{rule}", stats.TESTS_RULE)
    app.command("compare")(compare)


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [t for v in values for t in v.split(",") if t.strip()]


def compare(
    runs: list[Path] = typer.Argument(..., help="Run directories: `evalkit eval` runs or `lm_eval --output_path` dirs "
                                      "(written with --log_samples). The first is the baseline."),
    tasks: list[str] = typer.Option(None, "--tasks", help="Tasks to compare (repeat or comma-separate). Default: every task all runs have."),
    fmt: str = typer.Option("table", "--format", help="Output: table (terminal), markdown, or json (all flipped ids)."),
    plot: Path = typer.Option(None, "--plot", help="Write FILE.png (per-task scores with 95% intervals per run) and, when "
                              "per-sample lengths exist, FILE_length.png (accuracy by output-length bucket)."),
    force: bool = typer.Option(False, "--force", help="Compare even when problem sets, task versions, datasets or golds "
                               "differ (only problems common to all runs are used)."),
    iters: int = typer.Option(stats.DEFAULT_ITERS, "--iters", min=200, help="Sign-flip permutation resamples (the p-value for avg@n)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the resampling (results are reproducible)."),
    output: Path = output_option("Write the markdown/json output to this file (whole or not at all) instead of stdout."),
) -> None:
    """Compare runs task by task: scores, paired differences, p-values and flips.

    Each score comes with a 95% interval, the difference against the first run with a paired interval
    and p-value, the problems that flipped each way, and the settings that
    differ. Problems are aligned by doc id and problem-text hash; mismatched runs are refused unless --force.

    {rule} Coverage is measured by bench/compare_coverage.py; see docs/compare.md."""
    if fmt not in FORMATS:
        raise EvalkitError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}.")
    if output is not None and fmt == "table":
        raise EvalkitError("--output needs --format markdown or json.")
    if output is not None:
        check_output_file("--output", output)
    if plot is not None:
        check_output_file("--plot", plot, suffix=".png")
    loaded = [load_run(path) for path in runs]
    report = build_report(loaded, _split(tasks), force=force, iters=iters, seed=seed)
    if fmt == "table":
        render.print_table(report)
    else:
        text = render.markdown(report) if fmt == "markdown" else render.to_json(report)
        if output is None:
            print(text, end="")
        else:
            atomic_write(output, text)
    if plot is not None:
        from evalkit.compare.plot import write_plots

        written = write_plots(report, loaded, plot)
        Console(stderr=True).print("wrote " + ", ".join(str(p) for p in written), highlight=False)
