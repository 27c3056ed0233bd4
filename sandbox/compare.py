"""Output comparison, outside the sandbox: `lcb` (official LiveCodeBench rules, see LCB_RULES.md) and
`tolerant` (the same, plus a 1e-6 absolute-or-relative tolerance on numbers).

Call-based results arrive as strict JSON from the in-sandbox harness and are rebuilt here
(`decode_call_result`) into values that compare under `==` exactly as the returned objects would in
LCB: nested tuples stay tuples, NaN stays NaN, and anything that is not plain data becomes `Opaque`,
which equals nothing. The program's own `__eq__` never runs.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

MODES = ("lcb", "tolerant")
TOLERANCE = 1e-6
MAX_INT_DIGITS = 50_000  # as the sandbox's interpreter: a returned int cannot be longer
_TOKEN = re.compile(r"\S+")  # the same whitespace as str.split()


class Opaque:
    """A returned object that is not plain data (a set, a NumPy array, a custom class): equals nothing."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __eq__(self, other: object) -> bool:
        return False

    def __ne__(self, other: object) -> bool:
        return True

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


def parse_int(text: str) -> int:
    """JSON integers up to MAX_INT_DIGITS digits (Python refuses int(str) past 4300 by default);
    longer ones are refused rather than converted (the conversion is quadratic)."""
    if len(text) < 4000:
        return int(text)
    if len(text) > MAX_INT_DIGITS + 1:
        raise ValueError(f"integer of {len(text)} digits")
    return int(Decimal(text))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def loads_strict(text: str | bytes) -> Any:
    return json.loads(text, parse_int=parse_int, parse_constant=_reject_constant)


def loads_expected(text: str) -> Any:
    """Expected outputs of call-based tests, parsed as LCB does (json.loads, which accepts NaN)."""
    return json.loads(text, parse_int=parse_int)


def _lines(text: str | bytes) -> Iterator[str]:
    """LCB's `[line.strip() for line in text.strip().split("\\n")]`, one line at a time: the lines
    that are blank at either end are exactly what the whole-text strip removes. Bytes are decoded
    line by line (a UTF-8 sequence never contains the newline byte)."""
    newline = b"\n" if isinstance(text, (bytes, bytearray)) else "\n"
    blank, seen, pos = 0, False, 0
    while pos <= len(text):
        end = text.find(newline, pos)
        end = len(text) if end < 0 else end
        raw = text[pos:end]
        line = (raw.decode("utf-8", errors="surrogateescape") if isinstance(raw, (bytes, bytearray)) else raw).strip()
        pos = end + 1
        if not line:
            blank += 1
            continue
        if seen:
            yield from [""] * blank
        seen, blank = True, 0
        yield line
    if not seen:
        yield ""


def _is_integer(token: str) -> bool:
    return not any(c in token for c in ".eE")


def _numbers_equal(a: str, b: str, tolerant: bool) -> bool | None:
    """Equal by value; None when either token is not a Decimal literal. Tolerance only for numbers
    written with a fraction or an exponent: integers compare exactly."""
    try:
        da, db = Decimal(a), Decimal(b)
        if da == db:
            return True
        if not tolerant or not (da.is_finite() and db.is_finite()) or (_is_integer(a) and _is_integer(b)):
            return False
        fa, fb = float(da), float(db)
    except (InvalidOperation, ValueError):
        return None
    except OverflowError:
        return False
    return math.isclose(fa, fb, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def _line_equal(a: str, b: str, tolerant: bool) -> bool:
    if a == b:
        return True
    got, want = _TOKEN.finditer(a), _TOKEN.finditer(b)  # token by token, never a list of them
    for x in got:
        y = next(want, None)
        if y is None or not _numbers_equal(x.group(), y.group(), tolerant):
            return False
    return next(want, None) is None


def stdio_equal(output: str | bytes, expected: str, mode: str = "lcb") -> bool:
    """LCB: strip the whole text, split at '\\n', strip each line; same line count; each pair equal
    as strings, or else every token of both lines a Decimal literal and pairwise equal by value.
    Streams both sides and stops at the first difference (memory: one line, never one list)."""
    tolerant = mode == "tolerant"
    got, want = _lines(output), _lines(expected)
    for a in got:
        b = next(want, None)
        if b is None or not _line_equal(a, b, tolerant):
            return False
    return next(want, None) is None


def decode_call_result(payload: dict) -> Any:
    """Rebuild the returned value from the harness's {"value", "special"} message."""
    value = payload["value"]
    special = payload.get("special") or []
    if not isinstance(special, list):
        raise TypeError("malformed special list")
    # deepest paths first, so a tuple is built from already-rebuilt children
    for path, kind, arg in sorted(special, key=lambda s: -len(s[0])):
        if kind == "tuple":
            rebuilt: Any = None
        elif kind == "float" and arg in ("nan", "inf", "-inf"):
            rebuilt = float(arg)
        else:
            rebuilt = Opaque(str(arg))
        if not path:
            value = tuple(value) if kind == "tuple" else rebuilt
            continue
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        if kind == "tuple":
            parent[path[-1]] = tuple(parent[path[-1]])
        else:
            parent[path[-1]] = rebuilt
    return value


def _close(a: Any, b: Any) -> bool:
    if type(a) is float or type(b) is float:
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
            return a == b or math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
        return False
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    return a == b


def call_equal(value: Any, expected: Any, mode: str = "lcb") -> bool:
    """LCB: `value == expected` on plain data (top-level tuple already turned into a list)."""
    if mode == "tolerant":
        return _close(value, expected)
    return bool(value == expected)
