"""Exact parsing and comparison of plain numbers (no sympy): the fast layer that settles most answers.

Tolerance policy (documented in the README):
- two exact rationals (integers, terminating decimals, fractions, mixed numbers, scientific notation) are
  equal only when they are exactly equal (`1/2004!`-style near-misses never pass here);
- a decimal written with k >= 2 places also matches a more precise value rounded or truncated to k places
  (`1.414` for sqrt 2, `125.663` for 40 pi, `7.78` for 70/9), because that is what a rounded answer is;
- otherwise (floats from evaluation) a relative tolerance of 1e-9.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

REL_TOL = 1e-9
MAX_DIGITS = 400  # longer numerals are not "plain numbers"; they go to the bounded workers

_INT = r"\d+"
_DEC = r"(?:\d+\.\d*|\.\d+|\d+)"
_RE_DEC = re.compile(rf"([-+]?)\s*({_DEC})")
_RE_SCI = re.compile(rf"([-+]?)\s*({_DEC})\s*(?:[eE]\s*([-+]?\d+)|(?:\\times|\\cdot|x|\*)\s*10\s*\^\s*\{{?\s*([-+]?\d+)\s*\}}?)")
_RE_FRAC = re.compile(rf"([-+]?)\s*\\frac\{{\s*([-+]?)\s*({_DEC})\s*\}}\{{\s*([-+]?)\s*({_DEC})\s*\}}")
_RE_SLASH = re.compile(rf"([-+]?)\s*\(?\s*([-+]?)\s*({_DEC})\s*\)?\s*/\s*\(?\s*([-+]?)\s*({_DEC})\s*\)?")
_RE_MIXED = re.compile(rf"([-+]?)\s*({_INT})\s*\\frac\{{\s*({_INT})\s*\}}\{{\s*({_INT})\s*\}}")
_RE_POW10 = re.compile(r"([-+]?)\s*10\s*\^\s*\{?\s*([-+]?\d{1,3})\s*\}?")


@dataclass(frozen=True)
class Num:
    value: Fraction
    decimals: int | None = None  # places after the point when written as a decimal, else None


def _sign(*signs: str) -> int:
    return -1 if sum(s == "-" for s in signs) % 2 else 1


def parse_number(text: str) -> Num | None:
    """A plain number written in any usual way, as an exact Fraction, or None."""
    t = text.strip()
    if not t or len(t) > MAX_DIGITS or not any(c.isdigit() for c in t):
        return None
    t = re.sub(r"^\{(.*)\}$", r"\1", t).strip()
    while t.startswith("(") and t.endswith(")") and t.count("(") == 1:
        t = t[1:-1].strip()
    try:
        m = _RE_DEC.fullmatch(t)
        if m:
            body = m.group(2)
            places = len(body.split(".")[1]) if "." in body else None
            return Num(_sign(m.group(1)) * Fraction(body), places)
        m = _RE_FRAC.fullmatch(t) or _RE_SLASH.fullmatch(t)  # same groups: \frac{a}{b} and a/b
        if m:
            den = Fraction(m.group(5))
            if den == 0:
                return None
            return Num(_sign(m.group(1), m.group(2), m.group(4)) * Fraction(m.group(3)) / den)
        m = _RE_MIXED.fullmatch(t)
        if m:
            den = int(m.group(4))
            if den == 0:
                return None
            return Num(_sign(m.group(1)) * (int(m.group(2)) + Fraction(int(m.group(3)), den)))
        m = _RE_SCI.fullmatch(t)
        if m:
            exp = int(m.group(3) or m.group(4))
            if abs(exp) > 400:
                return None
            return Num(_sign(m.group(1)) * Fraction(m.group(2)) * Fraction(10) ** exp)
        m = _RE_POW10.fullmatch(t)
        if m:
            return Num(_sign(m.group(1)) * Fraction(10) ** int(m.group(2)))
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    return None


def rounded_match(approx: Num, exact: float | Fraction) -> bool:
    """`approx` (k >= 2 decimals) is `exact` rounded (half away from zero) or truncated to k places."""
    k = approx.decimals
    if k is None or k < 2:
        return False
    scale = 10**k
    target = Fraction(exact) * scale
    a = approx.value * scale
    if a.denominator != 1:
        return False
    sign = -1 if target < 0 else 1
    truncated = sign * math.floor(abs(target))
    rounded = sign * math.floor(abs(target) + Fraction(1, 2))
    return a.numerator in (truncated, rounded)


def numbers_equal(gold: Num, pred: Num) -> bool:
    if gold.value == pred.value:
        return True
    # The less precise decimal may be a rounding of the more precise value.
    g, p = gold.decimals, pred.decimals
    if p is not None and (g is None or p < g) and rounded_match(pred, gold.value):
        return True
    return g is not None and (p is None or g < p) and rounded_match(gold, pred.value)


_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(a\.?\s*m\.?|p\.?\s*m\.?)?", re.IGNORECASE)


def parse_time(text: str) -> tuple[int, int, str | None] | None:
    """`4:30 p.m.` -> (4, 30*60, 'pm'); minutes as seconds. None if not a clock time."""
    m = _TIME.fullmatch(text.strip())
    if not m:
        return None
    hour, minute, sec = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if hour > 24 or minute > 59 or sec > 59:
        return None
    half = m.group(4)
    return hour, minute * 60 + sec, (half[0].lower() if half else None)


def times_equal(a: tuple[int, int, str | None], b: tuple[int, int, str | None]) -> bool:
    def to24(h: int, half: str | None) -> int:
        if half == "p" and h < 12:
            return h + 12
        if half == "a" and h == 12:
            return 0
        return h

    (ha, sa, pa), (hb, sb, pb) = a, b
    if sa != sb:
        return False
    if pa and pb or (pa is None and pb is None):
        return to24(ha, pa) % 24 == to24(hb, pb) % 24
    # One side has no am/pm: compare on a 12-hour clock.
    return to24(ha, pa) % 12 == to24(hb, pb) % 12
