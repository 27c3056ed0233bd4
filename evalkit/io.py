"""The file primitives every part of evalkit shares: whole-or-nothing writes, content hashes, strict JSONL.

One home for each (`atomic_write`, `sha256_file` / `sha256_text`, `read_json` / `read_jsonl`), so a result
file is never half-written (a crash leaves the old file or the new one, never a mix, and no temp file
behind) and every malformed input file or line is reported the same way, naming it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from evalkit.errors import DataError


@contextlib.contextmanager
def atomic_writer(path: str | Path, mode: str = "w") -> Iterator[IO]:
    """A file handle whose content replaces `path` only when the block ends without an exception.

    The temp file lives beside `path` (same filesystem, so the rename is atomic) and is fsync'd first;
    missing parent folders are created.
    `mode` is "w" (text, UTF-8) or "wb".
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_writer mode must be 'w' or 'wb', not {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: str | Path, data: str | bytes) -> None:
    """Write `data` to `path` whole or not at all (readers never see half a file)."""
    with atomic_writer(path, "wb" if isinstance(data, bytes) else "w") as handle:
        handle.write(data)


def atomic_write_json(path: str | Path, obj: Any, **dump_kwargs: Any) -> None:
    """`obj` as JSON (indent 2, UTF-8 kept as is, trailing newline), whole or not at all."""
    dump_kwargs = {"indent": 2, "ensure_ascii": False} | dump_kwargs
    atomic_write(path, json.dumps(obj, **dump_kwargs) + "\n")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: str | Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB blocks (model shards and datasets do not fit in memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_json(path: str | Path) -> dict[str, Any]:
    """A JSON object from `path`, or one sentence naming the file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataError(f"cannot read {path}: {err}.") from None
    if not isinstance(data, dict):
        raise DataError(f"{path} is not a JSON object.")
    return data


def read_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line_number, object) for each non-blank line; malformed lines raise DataError."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found.")
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f"{path}:{lineno}: not valid JSON ({err.msg} at column {err.colno}).") from None
            if not isinstance(obj, dict):
                raise DataError(f"{path}:{lineno}: expected a JSON object, got {type(obj).__name__}.")
            yield lineno, obj


def require(row: dict[str, Any], fields: list[str], where: str) -> None:
    """Raise DataError naming `where` (file:line) if any of `fields` is absent or null."""
    missing = [name for name in fields if row.get(name) is None]
    if missing:
        raise DataError(f"{where}: missing field(s) {', '.join(repr(m) for m in missing)}.")
