"""PNG plots of a comparison: per-task scores with 95% intervals per run, and accuracy against output
length (when the runs recorded per-sample token counts). matplotlib's Agg backend: no display needed."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from evalkit.compare.core import Report
from evalkit.compare.lengths import accuracy_by_length
from evalkit.errors import EvalkitError
from evalkit.io import atomic_writer
from evalkit.rundir import Run


def _save(fig, path: Path) -> None:
    """Write atomically: a half-written PNG never replaces a good one."""
    try:
        with atomic_writer(path, "wb") as handle:
            fig.savefig(handle, format="png", dpi=130, bbox_inches="tight")
    finally:
        plt.close(fig)


def scores_plot(report: Report, path: Path) -> None:
    tasks = report.tasks
    labels = [r["label"] for r in report.runs]
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.45 * len(tasks) * len(labels)))
    height = 0.8 / len(labels)
    colors = plt.get_cmap("tab10").colors
    for j, label in enumerate(labels):
        ys = np.arange(len(tasks)) + (j - (len(labels) - 1) / 2) * height
        rows = [t.rows[j] for t in tasks]
        xs = np.array([100 * r.score for r in rows])
        err = np.array([[100 * (r.score - r.ci[0]), 100 * (r.ci[1] - r.score)] for r in rows]).T
        ax.errorbar(xs, ys, xerr=err, fmt="o", color=colors[j % 10], capsize=4, label=label)
        for x, y in zip(xs, ys):
            ax.annotate(f"{x:.1f}", (x, y), textcoords="offset points", xytext=(0, 5), ha="center", fontsize=8)
    ax.set_yticks(np.arange(len(tasks)), [f"{t.task}\n({t.metric}, {t.n_problems} problems)" for t in tasks])
    ax.invert_yaxis()
    ax.set_xlabel("score (%) with 95% interval over problems")
    ax.set_xlim(0, 100)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=min(len(labels), 3), fontsize=8, frameon=False)
    _save(fig, path)


def _length_samples(run: Run, tasks: list[str]) -> tuple[np.ndarray, np.ndarray]:
    lengths, correct = [], []
    for task in tasks:
        for problem in run.tasks[task].problems:
            if problem.tokens and problem.correct:
                lengths += problem.tokens
                correct += problem.correct
    return np.array(lengths, dtype=float), np.array(correct, dtype=float)


def length_plot(runs: list[Run], tasks: list[str], path: Path) -> bool:
    """Accuracy per output-length bucket (quantiles of all runs' lengths); False when no lengths."""
    data = [(run.label, *_length_samples(run, tasks)) for run in runs]
    data = [d for d in data if d[1].size]
    if not data:
        return False
    edges, per_run = accuracy_by_length([(d[1], d[2]) for d in data])
    fig, ax = plt.subplots(figsize=(7.5, 4))
    centers = np.arange(edges.size - 1)
    for (label, lengths, _), (acc, counts) in zip(data, per_run):
        acc = [100 * a for a in acc]
        ax.plot(centers, acc, marker="o", label=f"{label} ({lengths.size} samples)")
        for x, y, c in zip(centers, acc, counts):
            if not np.isnan(y):
                ax.annotate(f"n={c}", (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7)
    ax.set_xticks(centers, [f"{int(edges[b])}–{int(edges[b + 1])}" for b in centers])
    ax.set_xlabel("output length (tokens), quantile buckets over all runs")
    ax.set_ylabel("accuracy (%) of samples in bucket")
    ax.set_ylim(-5, 105)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(f"accuracy vs output length ({', '.join(tasks)})", fontsize=9)
    _save(fig, path)
    return True


def write_plots(report: Report, runs: list[Run], path: Path) -> list[Path]:
    """Write FILE.png (scores) and FILE_length.png (when lengths exist); return what was written."""
    if path.suffix.lower() != ".png":
        raise EvalkitError(f"--plot {path}: the file name must end in .png.")
    scores_plot(report, path)
    written = [path]
    second = path.with_name(f"{path.stem}_length.png")
    if length_plot(runs, [t.task for t in report.tasks], second):
        written.append(second)
    return written
