"""Render lm-eval results as one rich table: a row per task, a column per evalkit metric."""

from __future__ import annotations

from typing import Any

from rich.table import Table

HEADLINE = ["avg@n", "pass@1", "maj@n", "extraction_failure_rate", "mean_output_tokens"]
LABELS = {"extraction_failure_rate": "no answer %", "mean_output_tokens": "out tokens"}


def metric_value(task_results: dict[str, Any], metric: str, filter_name: str = "score") -> float | None:
    return task_results.get(f"{metric},{filter_name}")


def results_table(results: dict[str, Any], title: str = "evalkit scores") -> Table:
    """`results` is lm-eval's output dict (the one written to results_*.json)."""
    table = Table(title=title)
    table.add_column("task", no_wrap=True)
    table.add_column("problems", justify="right")
    for metric in HEADLINE:
        table.add_column(LABELS.get(metric, metric), justify="right", no_wrap=True)
    samples = results.get("n-samples", {})
    for task, values in sorted(results["results"].items()):
        cells = []
        for metric in HEADLINE:
            value = metric_value(values, metric)
            stderr = metric_value(values, f"{metric}_stderr")
            if value is None:
                cells.append("-")
            elif metric == "mean_output_tokens":
                cells.append(f"{value:.1f}")
            else:
                cells.append(f"{100 * value:.1f}" + (f" ± {100 * stderr:.1f}" if isinstance(stderr, float) else ""))
        n_docs = samples.get(task, {}).get("effective", "")
        table.add_row(task, str(n_docs), *cells)
    return table
