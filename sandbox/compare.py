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
from decimal import Decimal, InvalidOperation
from typing import Any

MODES = ("lcb", "tolerant")
TOLERANCE = 1e-6


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
    """JSON integers of any length (Python refuses int(str) past 4300 digits by default)."""
    return int(text) if len(text) < 4000 else int(Decimal(text))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def loads_strict(text: str | bytes) -> Any:
    return json.loads(text, parse_int=parse_int, parse_constant=_reject_constant)


def loads_expected(text: str) -> Any:
    """Expected outputs of call-based tests, parsed as LCB does (json.loads, which accepts NaN)."""
    return json.loads(text, parse_int=parse_int)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().split("\n")]


def _decimals(line: str) -> list[Decimal] | None:
    try:
        return [Decimal(tok) for tok in line.split()]
    except (InvalidOperation, ValueError):
        return None


def _numbers_equal(a: Decimal, b: Decimal, tolerant: bool) -> bool:
    try:
        if a == b:
            return True
        if not tolerant or not (a.is_finite() and b.is_finite()):
            return False
        fa, fb = float(a), float(b)
    except (InvalidOperation, OverflowError):
        return False
    return math.isclose(fa, fb, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def stdio_equal(output: str, expected: str, mode: str = "lcb") -> bool:
    """LCB: strip the whole text, split at '\\n', strip each line; same line count; each pair equal
    as strings, or else every token of both lines a Decimal literal and pairwise equal by value."""
    tolerant = mode == "tolerant"
    got, want = _lines(output), _lines(expected)
    if len(got) != len(want):
        return False
    for a, b in zip(got, want):
        if a == b:
            continue
        da, db = _decimals(a), _decimals(b)
        if da is None or db is None or len(da) != len(db):
            return False
        if not all(_numbers_equal(x, y, tolerant) for x, y in zip(da, db)):
            return False
    return True


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
