"""The expensive layer: latex2sympy2-extended + sympy. Only ever called inside a killable worker process.

Two expressions are equal when their difference simplifies to 0 exactly, or, when both evaluate to
numbers, when the values agree to a relative 1e-9 (or the rounded-decimal rule of `numbers.py`), or,
with free symbols, when they agree at several random points. Relations are compared as solution sets,
equations up to a non-zero constant factor, sets/intervals as sets, matrices entry by entry.
"""

from __future__ import annotations

import random
import re
from fractions import Fraction
from functools import lru_cache

import mpmath
import sympy
from latex2sympy2_extended import latex2sympy
from latex2sympy2_extended.latex2sympy2 import ConversionConfig
from latex2sympy2_extended.math_normalization import NormalizationConfig

from evalkit.grading.numbers import REL_TOL, parse_number, rounded_match
from evalkit.grading.policy import STRICT, Policy
from evalkit.grading.structure import split_top

_NORM = NormalizationConfig(basic_latex=True, units=False, malformed_operators=True, nits=False, boxed="none")
_CONV = ConversionConfig(lowercase_symbols=False)
_PRECISION = 40
_I = sympy.Symbol("i")


@lru_cache(maxsize=4096)
def to_sympy(text: str):
    parts = split_top(text, r"\bor\b|\\lor(?![a-zA-Z])")
    if len(parts) > 1 and all(parts):  # `x < -2 or x > 3`: a union of conditions
        return sympy.Or(*(_latex(p) for p in parts))
    return _latex(text)


def _latex(text: str):
    text = re.sub(r"\^\s*\{?\s*\\circ\s*\}?", r"\\cdot\\frac{\\pi}{180}", text)
    expr = latex2sympy(text, normalization_config=_NORM, conversion_config=_CONV)
    if isinstance(expr, (sympy.Basic, sympy.MatrixBase)) and _I in getattr(expr, "free_symbols", ()):
        expr = expr.subs(_I, sympy.I)  # in an answer, i is the imaginary unit
    return expr


def _as_number(expr) -> mpmath.mpc | None:
    """The value of a closed-form expression as an mpmath complex (no float underflow: 1/2004! stays non-zero)."""
    try:
        if getattr(expr, "free_symbols", None) or not isinstance(expr, sympy.Expr):
            return None
        val = sympy.N(expr, _PRECISION)
        if val.has(sympy.zoo, sympy.oo, sympy.nan, -sympy.oo):
            return None
        re_, im_ = val.as_real_imag()
        if not (re_.is_Number and im_.is_Number):
            return None
        return mpmath.mpc(mpmath.mpf(sympy.Float(re_, _PRECISION)._mpf_), mpmath.mpf(sympy.Float(im_, _PRECISION)._mpf_))
    except (TypeError, ValueError, OverflowError, AttributeError, RecursionError, ZeroDivisionError):
        return None


def _close(a: mpmath.mpc, b: mpmath.mpc) -> bool:
    return a == b or abs(a - b) <= REL_TOL * max(abs(a), abs(b))


def _rounding_of(text: str | None, exact, min_places: int = 2) -> bool:
    """`text` is a decimal (>= min_places places) that is `exact` (a real sympy number) rounded or truncated."""
    num = parse_number(text) if text else None
    if num is None:
        return False
    try:
        value = Fraction(str(sympy.N(sympy.re(exact), _PRECISION)))
    except (ValueError, TypeError, ZeroDivisionError):
        return False
    return num.decimals is not None and rounded_match(num, value, min_places)


def _random_points_equal(a, b, symbols) -> bool:
    rng = random.Random(1234)
    for _ in range(6):
        subs = {s: sympy.Rational(rng.randint(11, 199), rng.randint(7, 97)) for s in symbols}
        va, vb = _as_number(a.subs(subs)), _as_number(b.subs(subs))
        if va is None or vb is None:
            return False
        if abs(va - vb) > 1e-8 * max(1, abs(va), abs(vb)):
            return False
    return True


def exprs_equal(a, b, approx: tuple[str | None, str | None] = (None, None), policy: Policy = STRICT) -> bool:
    if a == b:
        return True
    a, b = _explicit(a), _explicit(b)
    a, b = _vector_as_tuple(a, b), _vector_as_tuple(b, a)
    if isinstance(a, sympy.MatrixBase) or isinstance(b, sympy.MatrixBase):
        if not (isinstance(a, sympy.MatrixBase) and isinstance(b, sympy.MatrixBase)) or a.shape != b.shape:
            return False
        return all(exprs_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, (sympy.Set, sympy.Tuple)) or isinstance(b, (sympy.Set, sympy.Tuple)):
        return sets_equal(a, b)
    if isinstance(a, sympy.logic.boolalg.Boolean) or isinstance(b, sympy.logic.boolalg.Boolean):
        return relations_equal(a, b)
    if not (isinstance(a, sympy.Expr) and isinstance(b, sympy.Expr)):
        return False
    fa, fb = _as_number(a), _as_number(b)
    if fa is not None and fb is not None:
        if _close(fa, fb) or policy.rel_tol is not None and abs(fa - fb) <= policy.rel_tol * max(abs(fa), abs(fb)):
            return True
        # A decimal gold keeps the rounding rule; a decimal for an exact gold needs the question's leave.
        pred_rounded = policy.rounding and _rounding_of(approx[1], a, 1)
        return pred_rounded or _rounding_of(approx[0], b, 2)
    symbols = a.free_symbols | b.free_symbols
    try:
        simplified = sympy.simplify(a - b) == 0
    except Exception:  # noqa: BLE001 - sympy raises many kinds on odd input; a failure is "not shown equal"
        simplified = False
    return simplified or bool(symbols) and _random_points_equal(a, b, sorted(symbols, key=str))


def _vector_as_tuple(x, other):
    """A column or row vector compared with a tuple `(2, 3)` is that tuple (and `(2, 3)`, which the parser
    reads as an open interval, is the pair it is when the other side is a vector)."""
    if isinstance(x, sympy.MatrixBase) and 1 in x.shape and isinstance(other, (sympy.Tuple, sympy.Interval)):
        return sympy.Tuple(*list(x))
    if isinstance(x, sympy.Interval) and x.left_open and x.right_open and isinstance(other, sympy.MatrixBase) \
            and 1 in other.shape:
        return sympy.Tuple(x.start, x.end)
    return x


def _explicit(x):
    """A matrix expression such as `\\frac{8}{49}\\begin{pmatrix}2\\\\6\\end{pmatrix}` as an explicit matrix."""
    if isinstance(x, sympy.MatrixExpr) and not isinstance(x, sympy.MatrixBase):
        try:
            return sympy.Matrix(x.doit())
        except Exception:  # noqa: BLE001 - symbolic shapes: leave as is
            return x
    return x


def sets_equal(a, b) -> bool:
    if isinstance(a, sympy.Tuple) and isinstance(b, sympy.Tuple):
        return len(a) == len(b) and all(exprs_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, (sympy.logic.boolalg.Boolean, sympy.core.relational.Relational)):
        a = _relation_set(a)
    if isinstance(b, (sympy.logic.boolalg.Boolean, sympy.core.relational.Relational)):
        b = _relation_set(b)
    if not (isinstance(a, sympy.Set) and isinstance(b, sympy.Set)):
        return False
    if isinstance(a, sympy.FiniteSet) and isinstance(b, sympy.FiniteSet):
        if len(a) != len(b):
            return False
        rest = list(b)
        for x in a:
            for j, y in enumerate(rest):
                if exprs_equal(x, y):
                    del rest[j]
                    break
            else:
                return False
        return True
    try:
        return bool(a.symmetric_difference(b) == sympy.EmptySet) or a == b
    except Exception:  # noqa: BLE001 - undecidable set algebra: not shown equal
        return False


def _relation_set(rel):
    symbols = rel.free_symbols
    if len(symbols) != 1:
        return rel
    try:
        return rel.as_set()
    except Exception:  # noqa: BLE001 - e.g. not solvable in closed form
        return rel


def relations_equal(a, b) -> bool:
    if isinstance(a, sympy.Equality) and isinstance(b, sympy.Equality):
        da, db = a.lhs - a.rhs, b.lhs - b.rhs
        if exprs_equal(da, db) or exprs_equal(da, -db):
            return True
        try:
            ratio = sympy.simplify(da / db)
            return bool(ratio.is_number and ratio != 0)
        except Exception:  # noqa: BLE001 - not shown proportional
            return False
    sa, sb = _relation_set(a), _relation_set(b)
    if isinstance(sa, sympy.Set) or isinstance(sb, sympy.Set):
        return sets_equal(sa, sb)
    return a == b


def symbolic_equal(gold: str, pred: str, policy: Policy = STRICT) -> tuple[bool, str]:
    try:
        a = to_sympy(gold)
    except Exception as err:  # noqa: BLE001 - the gold itself does not parse: only exact text could have matched
        return False, f"gold not parsable as LaTeX ({type(err).__name__})"
    try:
        b = to_sympy(pred)
    except Exception as err:  # noqa: BLE001 - an unparsable prediction is wrong, with the reason kept
        return False, f"prediction not parsable as LaTeX ({type(err).__name__})"
    approx = (gold if parse_number(gold) is not None else None, pred if parse_number(pred) is not None else None)
    try:
        ok = exprs_equal(a, b, approx, policy)
    except Exception as err:  # noqa: BLE001 - sympy internals failing on odd input: not shown equal
        return False, f"sympy failed ({type(err).__name__})"
    return ok, "symbolically equal" if ok else "symbolically different"
