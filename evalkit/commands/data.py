"""`evalkit data list|show`: what benchmarks exist, where they come from, and what their rows look like."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from evalkit import data

DATA_DIR_HELP = "Local benchmark directory (layout of shared/data). Default: $EVALKIT_DATA_DIR, else the Hub."


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Benchmark data: list the registry, show problems.", no_args_is_help=True)
    group.command("list")(list_benchmarks)
    group.command("show")(show)
    app.add_typer(group, name="data")


def list_benchmarks(
    data_dir: Path = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List every benchmark with its Hub source, local file and expected problem count."""
    root = data.resolve_data_dir(data_dir)
    rows = []
    for bench in data.registry().values():
        local = bench.local_path(root) if root else None
        rows.append(
            {
                "name": bench.name,
                "title": bench.title,
                "suite": bench.suite,
                "hub": f"{bench.hub.dataset}" + (f" [{bench.hub.subset}]" if bench.hub.subset else ""),
                "split": bench.hub.split,
                "revision": bench.hub.revision,
                "problems": bench.expected_count,
                "local": str(local) + ("" if local.is_file() else " (missing)") if local else "-",
            }
        )
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title="evalkit benchmarks")
    for column in ("name", "title", "suite", "problems", "hub", "split", "local"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(str(row[c]) for c in ("name", "title", "suite", "problems", "hub", "split", "local")))
    Console().print(table)


def show(
    name: str = typer.Argument(..., help="Benchmark name (see `evalkit data list`)."),
    limit: int = typer.Option(3, "--limit", "-n", min=0, help="How many problems to print (0: all)."),
    data_dir: Path = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines instead of panels."),
) -> None:
    """Load a benchmark (checking every row and the count) and print its first problems."""
    problems = data.load(name, data_dir)
    shown = problems if limit == 0 else problems[:limit]
    if as_json:
        for problem in shown:
            print(json.dumps(problem.to_dict(), ensure_ascii=False))
        return
    console = Console()
    console.print(f"[bold]{data.get(name).title}[/]: {len(problems)} problems loaded and checked.")
    for problem in shown:
        meta = ", ".join(f"{k}={v}" for k, v in problem.metadata.items() if v is not None)
        console.rule(f"{problem.id}")
        console.print(problem.question, markup=False, highlight=False)
        console.print(f"[green]answer:[/] {' | '.join(problem.answers)}" + (f"   [dim]{meta}[/]" if meta else ""))
