"""Rows of an lm-eval `samples_<task>_<ts>.jsonl`, whoever wrote them.

lm-eval 0.4 writes a request's arguments as `{"gen_args_0": {"arg_0": prompt, "arg_1": gen_kwargs}}`;
evalkit's writers (and older lm-eval) as `[[prompt, gen_kwargs]]`. Filters' outputs are whatever the
filter returned, stringified: our tasks' verdicts are JSON strings, other dicts come back as Python
reprs. These helpers read all of those forms, so no caller needs to know them.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from evalkit.errors import EvalkitError
from evalkit.io import read_jsonl


def read_rows(path: Path, need: tuple[str, ...] = ("doc_id", "doc", "resps")) -> list[tuple[int, dict[str, Any]]]:
    """(line number, row) for every row; a row missing one of `need` is an error naming the line."""
    rows = []
    for lineno, row in read_jsonl(path):
        missing = [key for key in need if key not in row]
        if missing:
            raise EvalkitError(f"{path}:{lineno}: missing {missing[0]!r}; was it written by lm-eval --log_samples?")
        rows.append((lineno, row))
    if not rows:
        raise EvalkitError(f"{path} is empty.")
    return rows


def request(row: dict[str, Any], where: str = "") -> tuple[str, dict[str, Any]]:
    """(prompt, generation kwargs) of a generation row's only request, in either layout."""
    args = row.get("arguments")
    if isinstance(args, dict):  # lm-eval 0.4: {"gen_args_0": {"arg_0": ..., "arg_1": ...}}
        if len(args) != 1:
            raise EvalkitError(f"{where}: doc {row.get('doc_id')} has {len(args)} requests; only generation tasks "
                               "(one request per document) can be read.")
        (first,) = args.values()
        if isinstance(first, dict):
            return str(first.get("arg_0", "")), dict(first.get("arg_1") or {})
    if isinstance(args, list | tuple) and args and isinstance(args[0], list | tuple):
        if len(args) != 1:
            raise EvalkitError(f"{where}: doc {row.get('doc_id')} has {len(args)} requests; only generation tasks "
                               "(one request per document) can be read.")
        prompt = args[0][0] if args[0] else ""
        kwargs = args[0][1] if len(args[0]) > 1 and isinstance(args[0][1], dict) else {}
        return str(prompt), dict(kwargs)
    return "", {}


def responses(row: dict[str, Any], where: str = "") -> list[str]:
    """Every response (all repeats) of the row's one request."""
    resps = row.get("resps")
    if not isinstance(resps, list) or len(resps) != 1 or not isinstance(resps[0], list):
        count = len(resps) if isinstance(resps, list) else 0
        raise EvalkitError(f"{where}: doc {row.get('doc_id')} has {count} requests; only generation tasks "
                           "(one request per document) can be read.")
    return [r if isinstance(r, str) else str(r[0] if isinstance(r, list | tuple) and r else r) for r in resps[0]]


def literal(text: str) -> Any:
    """A verdict dict written as JSON (evalkit tasks) or as a Python repr (lm-eval's str() of a dict)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return None


def verdict_records(filtered: Any) -> list[dict[str, Any]] | None:
    """Per-sample verdict dicts from `filtered_resps`, or None when the filter recorded no verdicts."""
    items: list[Any] = []

    def walk(value: Any) -> None:
        if isinstance(value, list | tuple):
            for item in value:
                walk(item)
        else:
            items.append(value)

    walk(filtered)
    records = []
    for item in items:
        if isinstance(item, str) and item.startswith("{"):
            item = literal(item)
        if not isinstance(item, dict) or "correct" not in item:
            return None
        records.append(item)
    return records or None
