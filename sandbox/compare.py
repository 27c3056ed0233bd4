"""Output comparison, outside the sandbox: `lcb` (official LiveCodeBench rules, see LCB_RULES.md) and
`tolerant` (the same, plus a 1e-6 absolute-or-relative tolerance on numbers).

Call-based results arrive as strict JSON from the in-sandbox harness and are rebuilt here
(`decode_call_result`) into values that compare under `==` exactly as the returned objects would in
LCB: nested tuples stay tuples, NaN stays NaN, and anything that is not plain data becomes `Opaque`,
which equals nothing. The program's own `__eq__` never runs.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

MODES = ("lcb", "tolerant")
TOLERANCE = 1e-6
MAX_INT_DIGITS = 50_000  # as the sandbox's interpreter: a returned int cannot be longer
_SPACES = re.compile(r"\s+")  # the same whitespace as str.split()
_FINITE = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_FINITE_TOKENS = re.compile(f"{_FINITE}(?: {_FINITE})*")  # single-space separated: one C-speed match
_BLANK_RUN = {bytes: re.compile(rb"[ \t\r\n\x0b\x0c]*"), str: re.compile(r"[ \t\r\n\x0b\x0c]*")}
BLOCK = 1 << 16


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
    line by line (a UTF-8 sequence never contains the newline byte); runs of blank lines are
    skipped at C speed."""
    is_bytes = isinstance(text, (bytes, bytearray))
    newline = b"\n" if is_bytes else "\n"
    blank_run = _BLANK_RUN[bytes if is_bytes else str]
    blank, seen, pos = 0, False, 0
    while pos <= len(text):
        run_end = blank_run.match(text, pos).end()
        ends = text.count(newline, pos, run_end)
        if ends:  # `ends` whole lines of ASCII whitespace only
            blank += ends
            pos = text.rfind(newline, pos, run_end) + 1
            continue
        end = text.find(newline, pos)
        end = len(text) if end < 0 else end
        raw = text[pos:end]
        line = (raw.decode("utf-8", errors="surrogateescape") if is_bytes else raw).strip()
        pos = end + 1
        if not line:
            blank += 1
            continue
        if seen:
            yield from itertools.repeat("", blank)
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


def _single_spaced(line: str) -> str:
    if line.isascii() and "  " not in line and not any(c in line for c in "\t\r\x0b\x0c\x1c\x1d\x1e\x1f"):
        return line  # already so: skip the copy
    return _SPACES.sub(" ", line)


def _all_numbers(text: str) -> bool:
    """Every single-space separated token of `text` is a Decimal literal equal to itself (not NaN)."""
    digits = text.replace(" ", "")
    if (digits.isascii() and digits.isdigit()) or _FINITE_TOKENS.fullmatch(text):
        return True
    return all(_numbers_equal(tok, tok, False) for tok in text.split(" "))


def _line_equal(a: str, b: str, tolerant: bool) -> bool:
    """Two stripped lines as LCB compares them. Different strings are equal only if every token of
    both is a Decimal literal and the pairs are equal by value: walked in blocks (identical blocks
    are checked at C speed), token by token only where the lines differ, stopping at the first
    difference; never a list of tokens."""
    if a == b:
        return True
    a, b = _single_spaced(a), _single_spaced(b)
    pa = pb = 0
    na, nb = len(a), len(b)
    while pa < na or pb < nb:
        if pa >= na or pb >= nb:
            return False  # one line has tokens left
        ea, eb = min(na, pa + BLOCK), min(nb, pb + BLOCK)
        if ea - pa == eb - pb and a[pa:ea] == b[pb:eb]:
            if ea == na and eb == nb:
                return _all_numbers(a[pa:ea])
            cut = a.rfind(" ", pa, ea)
            if cut > pa:  # whole tokens, identical in both lines
                if not _all_numbers(a[pa:cut]):
                    return False
                pb += cut - pa + 1
                pa = cut + 1
                continue
        limit = pa + BLOCK
        while pa < na and pa <= limit:  # where they differ: token by token, by value
            if pb >= nb:
                return False
            ta, tb = a.find(" ", pa), b.find(" ", pb)
            ta, tb = na if ta < 0 else ta, nb if tb < 0 else tb
            if not _numbers_equal(a[pa:ta], b[pb:tb], tolerant):
                return False
            pa, pb = ta + 1, tb + 1
    return True


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
