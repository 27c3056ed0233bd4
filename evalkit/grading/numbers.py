"""Exact parsing and comparison of plain numbers (no sympy): the fast layer that settles most answers.

Rounding rule (docs/grading.md):
- two exact rationals (integers, terminating decimals, fractions, mixed numbers, scientific notation) are
  equal only when they are exactly equal (`1/2004!`-style near-misses never pass here);
- when the gold is itself a decimal, the less precise of two decimals (k >= 2 places) may be the other
  rounded or truncated to k places (`1.41` for a gold `1.414`, a gold `0.67` for `2/3`);
- a decimal for an exact gold (`0.667` for `2/3`) is accepted only when the question asks for an
  approximation (`Policy.rounding`), then with k >= 1 places; `--numeric-tolerance REL` adds a relative
  tolerance (`Policy.rel_tol`);
- otherwise (floats from evaluation) a relative tolerance of 1e-9.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from evalkit.grading.policy import STRICT, Policy

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
            mantissa = m.group(2)
            places = (len(mantissa.split(".")[1]) if "." in mantissa else 0) - exp
            return Num(_sign(m.group(1)) * Fraction(mantissa) * Fraction(10) ** exp, places if places > 0 else None)
        m = _RE_POW10.fullmatch(t)
        if m:
            return Num(_sign(m.group(1)) * Fraction(10) ** int(m.group(2)))
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    return None


def rounded_match(approx: Num, exact: float | Fraction, min_places: int = 2) -> bool:
    """`approx` (k >= min_places decimals) is `exact` rounded (half away from zero) or truncated to k places."""
    k = approx.decimals
    if k is None or k < min_places:
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


def within(a: Fraction | float, b: Fraction | float, rel_tol: float | None) -> bool:
    """`--numeric-tolerance`: |a - b| <= rel_tol * max(|a|, |b|)."""
    return rel_tol is not None and abs(a - b) <= Fraction(rel_tol) * max(abs(a), abs(b))


def numbers_equal(gold: Num, pred: Num, policy: Policy = STRICT) -> bool:
    if gold.value == pred.value or within(gold.value, pred.value, policy.rel_tol):
        return True
    g, p = gold.decimals, pred.decimals
    if g is not None:  # a decimal gold: the less precise decimal may be a rounding of the other value
        if p is not None and p < g and rounded_match(pred, gold.value):
            return True
        return (p is None or g < p) and rounded_match(gold, pred.value)
    # An exact gold: a rounded decimal only where the question asks for an approximation.
    return policy.rounding and p is not None and rounded_match(pred, gold.value, min_places=1)


_RE_BASED = re.compile(r"([0-9A-Za-z]+)_\{?\(?(\d{1,2})\)?\}?")


def parse_based(text: str) -> int | None:
    """The value of a numeral with a base subscript (`1011_2`, `A3_{16}`, `2022_{(3)}`), or None."""
    m = _RE_BASED.fullmatch(text.strip())
    if not m or not 2 <= int(m.group(2)) <= 36:
        return None
    try:
        return int(m.group(1), int(m.group(2)))
    except ValueError:
        return None


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
