"""`--output/-o`, the one spelling of "where this command writes", and the check every writer makes first.

Every command that writes a file or a directory takes it as `--output/-o` (older spellings stay as aliases).
Before any work, the path is checked: a folder that cannot be created, or a file where a folder must go,
is one sentence naming the flag, not a traceback after an hour of grading. Nothing is created by the
check itself; missing folders are made by the atomic write that follows (evalkit.io).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from evalkit.errors import EvalkitError

OUTPUT = ("--output", "-o")


def output_option(help: str, *aliases: str, default: Any = None) -> Any:
    """The `--output/-o` option (plus `aliases`, the spellings a command had before); `...` makes it required."""
    return typer.Option(default, *OUTPUT, *aliases, help=help, show_default=default not in (None, ...))


def _check_creatable(flag: str, path: Path, folder: Path) -> None:
    """`folder` exists and is writable, or its nearest existing ancestor is a folder we can create it in."""
    ancestor = folder
    while not ancestor.exists() and not ancestor.is_symlink() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        what = "a file" if ancestor.is_file() else "not a folder"
        raise EvalkitError(f"{flag} {path}: folder {folder} cannot be created ({ancestor} is {what}).")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        what = "is not writable" if ancestor == folder else f"cannot be created ({ancestor} is not writable)"
        raise EvalkitError(f"{flag} {path}: folder {folder} {what}.")


def check_output_file(flag: str, path: Path, suffix: str | None = None) -> Path:
    """Refuse an unusable output file before any work: wrong suffix, a folder, or a parent that cannot be made."""
    if suffix and path.suffix.lower() != suffix:
        raise EvalkitError(f"{flag} {path}: the file name must end in {suffix}.")
    if path.is_dir():
        raise EvalkitError(f"{flag} {path} is a folder; give a file name.")
    _check_creatable(flag, path, path.parent)
    return path


def check_output_dir(flag: str, path: Path) -> Path:
    """Refuse an unusable output directory before any work: a file, or a folder that cannot be created."""
    if path.exists() and not path.is_dir():
        raise EvalkitError(f"{flag} {path} is a file; give a folder.")
    _check_creatable(flag, path, path)
    return path


def one_output(positional: Path | None, option: Path | None, name: str) -> Path:
    """The output of a command that takes it either as a positional `name` (its old spelling) or as -o."""
    if positional is not None and option is not None:
        raise EvalkitError(f"give the output once: {name} or --output/-o, not both.")
    if positional is None and option is None:
        raise EvalkitError(f"missing output: give {name} or --output/-o.")
    return positional if positional is not None else option  # type: ignore[return-value]
