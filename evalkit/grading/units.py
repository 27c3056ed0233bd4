"""Units after an answer: split them off, and decide whether two units agree.

Why: stripping a unit is right when only one side has one (`12\\text{ cm}^2` for `12`), but when both
sides carry units they are part of the answer: `12 cm^2` is not `12 mm^2`, `30 minutes` is not
`30 seconds`, and `0.5 hours` is `30 minutes`. Units we know have a dimension and an exact scale; words
we do not know (`students`, `ways`) are dropped as before, since they rarely change the value.
Linear-time string work only (no sympy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

# Words that are maths, not units, when they trail a number.
MATH_WORDS = {
    "sin", "cos", "tan", "cot", "sec", "csc", "log", "ln", "exp", "pi", "sqrt", "frac", "and", "or",
    "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "infty", "i", "e",
}

# name -> (dimension, exact scale in the dimension's base unit)
_L, _T, _M, _MONEY, _ANGLE_DEG, _ANGLE_RAD = "L", "T", "M", "$", "deg", "rad"
_BASE: dict[str, tuple[str, Fraction]] = {
    "mm": (_L, Fraction(1, 1000)), "millimeter": (_L, Fraction(1, 1000)), "millimetre": (_L, Fraction(1, 1000)),
    "cm": (_L, Fraction(1, 100)), "centimeter": (_L, Fraction(1, 100)), "centimetre": (_L, Fraction(1, 100)),
    "meter": (_L, Fraction(1)), "metre": (_L, Fraction(1)),
    "km": (_L, Fraction(1000)), "kilometer": (_L, Fraction(1000)), "kilometre": (_L, Fraction(1000)),
    "inch": (_L, Fraction("0.0254")), "in": (_L, Fraction("0.0254")),
    "foot": (_L, Fraction("0.3048")), "feet": (_L, Fraction("0.3048")), "ft": (_L, Fraction("0.3048")),
    "yard": (_L, Fraction("0.9144")), "yd": (_L, Fraction("0.9144")),
    "mile": (_L, Fraction("1609.344")), "mi": (_L, Fraction("1609.344")),
    "second": (_T, Fraction(1)), "sec": (_T, Fraction(1)), "s": (_T, Fraction(1)), "m": (_L, Fraction(1)),
    "minute": (_T, Fraction(60)), "min": (_T, Fraction(60)),
    "hour": (_T, Fraction(3600)), "hr": (_T, Fraction(3600)), "h": (_T, Fraction(3600)),
    "day": (_T, Fraction(86400)), "week": (_T, Fraction(604800)),
    "month": ("month", Fraction(1)), "year": ("month", Fraction(12)), "yr": ("month", Fraction(12)),  # not in days
    "mg": (_M, Fraction(1, 1000)), "milligram": (_M, Fraction(1, 1000)),
    "g": (_M, Fraction(1)), "gram": (_M, Fraction(1)),
    "kg": (_M, Fraction(1000)), "kilogram": (_M, Fraction(1000)),
    "pound": (_M, Fraction("453.59237")), "lb": (_M, Fraction("453.59237")),
    "ounce": (_M, Fraction("28.349523125")), "oz": (_M, Fraction("28.349523125")),
    "dollar": (_MONEY, Fraction(1)), "cent": (_MONEY, Fraction(1, 100)),
    "degree": (_ANGLE_DEG, Fraction(1)), "radian": (_ANGLE_RAD, Fraction(1)), "rad": (_ANGLE_RAD, Fraction(1)),
}
_DERIVED = {  # written as one word
    "mph": "mile/hour", "kph": "km/hour", "liter": "dm^3", "litre": "dm^3", "l": "dm^3",
    "ml": "cm^3", "milliliter": "cm^3", "millilitre": "cm^3", "cc": "cm^3", "dm": "dm",
}
_BASE["dm"] = (_L, Fraction(1, 10))
_GENERIC = {"unit", "units", "square units", "sq units", "cubic units", "sq. units", "u"}
_PLURAL = {"feet": "foot", "inches": "inch", "cents": "cent", "hours": "hour", "minutes": "minute",
           "seconds": "second", "days": "day", "weeks": "week", "degrees": "degree", "radians": "radian",
           "dollars": "dollar", "miles": "mile", "yards": "yard", "pounds": "pound", "ounces": "ounce",
           "grams": "gram", "meters": "meter", "metres": "metre", "liters": "liter", "litres": "litre",
           "mins": "min", "secs": "sec", "months": "month", "years": "year", "yrs": "yr", "hrs": "hr", "lbs": "lb", "kms": "km", "cms": "cm"}
for _p in ("millimeter", "centimeter", "kilometer", "millimetre", "centimetre", "kilometre", "milligram",
           "kilogram", "milliliter", "millilitre"):
    _PLURAL[_p + "s"] = _p

_DOLLAR_SIGN = re.compile(r"(?:US)?\\?\$\s*([-+]?\s*[\d.,]+)")
_DEGREE_SIGN = re.compile(r"\s*(?:\^\s*\{?\s*\\circ\s*\}?|\\circ|\\degree)\s*$")
_TAIL = re.compile(
    r"(.*?(?:[\d})]|\\pi|\\infty)\.?)\s*"
    r"((?:square\s+|sq\.?\s+|cubic\s+)?[A-Za-z][A-Za-z .]*?(?:\s*\^\s*\{?\d\}?)?"
    r"(?:\s*/\s*[A-Za-z]+(?:\s*\^\s*\{?\d\}?)?)?)\s*\.?"
)


@dataclass(frozen=True)
class Unit:
    text: str  # as written, lower-cased (for messages)
    dims: tuple[tuple[str, int], ...] | None  # None: a word we do not know
    scale: Fraction = Fraction(1)


def _word(word: str) -> str:
    w = word.lower().strip(". ")
    return _PLURAL.get(w, w)


def _factor(text: str) -> tuple[dict[str, int], Fraction] | None:
    """`cm^2`, `square centimeters`, `km` -> ({dimension: power}, scale); None if not a unit we know."""
    t = text.strip().lower()
    power = 1
    m = re.match(r"(square|sq\.?|cubic)\s+(.*)$", t)
    if m:
        power, t = (3 if m.group(1) == "cubic" else 2), m.group(2)
    m = re.fullmatch(r"(.*?)\s*\^\s*\{?(\d)\}?", t)
    if m:
        t, power = m.group(1), power * int(m.group(2))
    w = _word(t)
    if w in _DERIVED:
        return _compound(_DERIVED[w], power)
    if w not in _BASE:
        return None
    dim, scale = _BASE[w]
    return {dim: power}, scale**power


def _compound(text: str, power: int = 1) -> tuple[dict[str, int], Fraction] | None:
    parts = text.split("/")
    if len(parts) > 2:
        return None
    dims: dict[str, int] = {}
    scale = Fraction(1)
    for sign, part in zip((1, -1), parts):
        f = _factor(part)
        if f is None:
            return None
        for d, p in f[0].items():
            dims[d] = dims.get(d, 0) + sign * p * power
        scale = scale * f[1] ** power if sign == 1 else scale / f[1] ** power
    return dims, scale


def parse_unit(text: str) -> Unit:
    t = re.sub(r"\s+", " ", text.strip().lower())
    found = _compound(t) if "/" in t else _factor(t)
    if found is None:
        return Unit(t, None)
    dims = tuple(sorted((d, p) for d, p in found[0].items() if p))
    return Unit(t, dims, found[1])


def split_unit(text: str, degree_sign: bool = True, letter_unit: bool = False) -> tuple[str, Unit | None]:
    """(value, unit) of an answer with a trailing unit (`10 cm^2`, `60^\\circ`, `\\frac{450}{7} km/h`).

    A single letter is a variable (`4t`), unless `letter_unit` (it was written as text: `5\\text{ m}^2`)."""
    if len(text) > 300:
        return text, None
    m = _DOLLAR_SIGN.fullmatch(text)
    if m:  # `\\$0.50`: a sum of money, comparable with `50 cents`
        return m.group(1).strip(), Unit("dollar", ((_MONEY, 1),))
    m = _DEGREE_SIGN.search(text) if degree_sign else None
    if m and m.start() > 0:
        return text[: m.start()].strip(), Unit("degree", ((_ANGLE_DEG, 1),))
    m = _TAIL.fullmatch(text)
    if not m:
        return text, None
    head, tail = m.group(1), m.group(2).strip()
    if re.search(r"\d:\d\d$", head):  # `4:30 p.m.` keeps its half of the day
        return text, None
    words = [w for w in re.split(r"[\s./]+", re.sub(r"\^\{?\d\}?", "", tail)) if w]
    if not words or any(w.lower() in MATH_WORDS for w in words):
        return text, None
    if len(words) == 1 and len(words[0]) == 1 and not letter_unit:  # `4t`, `3x`: a variable, not a unit
        return text, None
    # The head must be a number or a letter-free formula (`\\frac{1}{3}`); otherwise the words may be maths.
    if re.search(r"[A-Za-z]", re.sub(r"\\[a-zA-Z]+", "", head)):
        return text, None
    if tail.lower() in _GENERIC:
        return head.strip(), None  # "units": a placeholder, never a disagreement
    return head.strip(), parse_unit(tail)


_TEXT_UNIT = re.compile(r"\\(?:text|mathrm|textrm|mbox|rm)\s*\{\s*[A-Za-z]{1,3}\s*\}\s*(?:\^\s*\{?\d\}?)?\s*\.?\s*$")


def written_as_text(raw: str) -> bool:
    """The answer ends in a short word set as text (`\\text{ m}`): a unit even when it is one letter."""
    return bool(_TEXT_UNIT.search(raw))


def conversion(gold: Unit, pred: Unit) -> Fraction | None | bool:
    """How to read a value in `pred`'s unit in `gold`'s unit: a factor, None (unknown word), or False."""
    if gold.dims is None or pred.dims is None:
        return None
    if gold.dims != pred.dims:
        return False
    return pred.scale / gold.scale
