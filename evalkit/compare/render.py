"""Print a comparison `Report` as a rich table, Markdown or JSON."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from evalkit.compare.core import Report, RunRow

MAX_IDS = 10  # flipped problem ids listed per direction in table/markdown (JSON has all)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _cells(row: RunRow) -> list[str]:
    score = f"{_pct(row.score)} [{_pct(row.ci[0])}, {_pct(row.ci[1])}]"
    if row.diff is None:
        return [row.run, score, str(row.n_samples), "-", "-", "-"]
    diff = f"{100 * row.diff:+.1f} [{100 * row.diff_ci[0]:+.1f}, {100 * row.diff_ci[1]:+.1f}]"
    return [row.run, score, str(row.n_samples), diff, f"{row.p_value:.3g} ({row.test})", f"-{len(row.lost)} / +{len(row.gained)}"]


HEADERS = ["run", "score % [95% CI]", "n/problem", "Δ vs first [95% CI]", "p (test)", "flips lost/gained"]


def _ids(ids: list[str]) -> str:
    shown = ", ".join(ids[:MAX_IDS])
    return shown + (f", … (+{len(ids) - MAX_IDS})" if len(ids) > MAX_IDS else "")


def _flip_lines(report: Report) -> list[str]:
    lines = []
    for task in report.tasks:
        first = task.rows[0].run
        for row in task.rows[1:]:
            if row.lost:
                lines.append(f"{task.task}: solved by {first}, not by {row.run}: {_ids(row.lost)}")
            if row.gained:
                lines.append(f"{task.task}: solved by {row.run}, not by {first}: {_ids(row.gained)}")
    return lines


def _title(task) -> str:
    dropped = f", {task.dropped} dropped (--force)" if task.dropped else ""
    return f"{task.task} — {task.metric}, {task.n_problems} problems{dropped}"


def print_table(report: Report, console: Console | None = None) -> None:
    console = console or Console()
    if report.settings_diff:
        diff = Table(title="settings that differ", title_justify="left")
        diff.add_column("setting", overflow="fold")  # names are never cut
        for run in report.runs:
            diff.add_column(run["label"], overflow="fold")
        for row in report.settings_diff:
            diff.add_row(row["setting"], *row["values"])
        console.print(diff)
    for task in report.tasks:
        table = Table(title=_title(task), title_justify="left")
        for header in HEADERS:
            table.add_column(header, overflow="fold")
        for row in task.rows:
            table.add_row(*_cells(row))
        console.print(table)
    for line in _flip_lines(report) + [f"warning: {w}" for w in report.warnings]:
        console.print(line, markup=False, highlight=False)
    console.print("Scores are means of per-problem scores; the problem is the unit of every interval and test "
                  "(`evalkit compare --help` says which test is used when).", style="dim")


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def markdown(report: Report) -> str:
    out = []
    if report.settings_diff:
        out += ["**Settings that differ**", "", _md_row(["setting"] + [r["label"] for r in report.runs]),
                _md_row(["---"] * (1 + len(report.runs)))]
        out += [_md_row([row["setting"]] + row["values"]) for row in report.settings_diff]
        out.append("")
    for task in report.tasks:
        out += [f"**{_title(task)}**", "", _md_row(HEADERS), _md_row(["---"] * len(HEADERS))]
        out += [_md_row(_cells(row)) for row in task.rows]
        out.append("")
    out += [f"- {line}" for line in _flip_lines(report)]
    out += [f"- warning: {w}" for w in report.warnings]
    return "\n".join(out).rstrip() + "\n"


def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
