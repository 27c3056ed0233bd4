"""The `evalkit` command. Each subcommand lives in its own module under `evalkit/commands/`.

A module there exposes `register(app: typer.Typer) -> None`; this file finds and calls them, so adding
a capability never means editing a central list.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer
from rich.console import Console
from rich.markup import escape

from evalkit import __version__, commands
from evalkit.errors import EvalkitError

app = typer.Typer(
    name="evalkit",
    help="Train and evaluate reasoning LLMs on math and code with scores you can trust.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"evalkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """evalkit: benchmarks, grading, sandboxed code judging, training and comparison in one CLI."""


for _info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
    importlib.import_module(f"{commands.__name__}.{_info.name}").register(app)


def main() -> None:
    """Entry point: turn every EvalkitError into one red sentence and exit code 2."""
    try:
        app()
    except EvalkitError as err:
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(err))}", highlight=False)
        sys.exit(2)
