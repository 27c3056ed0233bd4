"""Layered equivalence: normalised strings -> exact/rounded numbers -> structure -> sympy (in a worker).

`compare(gold, pred, symbolic=False)` never touches sympy: where a leaf needs it, it raises `NeedsSymbolic`
and the caller sends the pair to a bounded worker process that calls `compare(..., symbolic=True)`.
"""

from __future__ import annotations

import re

from evalkit.grading import normalize, units
from evalkit.grading.numbers import Num, numbers_equal, parse_based, parse_number, parse_time, times_equal
from evalkit.grading.policy import STRICT, Policy
from evalkit.grading.structure import Node, parse


class NeedsSymbolic(Exception):
    """Raised by the cheap layer when only sympy can decide."""


_PLAIN_TEXT = re.compile(r"[A-Za-z][A-Za-z '\-]*")
_CHOICE = re.compile(r"\(?([A-Ea-e])\)?")


def compare_leaves(gold: str, pred: str, symbolic: bool, policy: Policy = STRICT) -> tuple[bool, str]:
    g_full, p_full = normalize.full(gold), normalize.full(pred)
    gk, pk = normalize.key_from_full(g_full), normalize.key_from_full(p_full)
    if gk == pk:
        return True, "normalised strings equal"
    if gk.lower() == pk.lower() and _PLAIN_TEXT.fullmatch(gk):
        return True, "text equal ignoring case"
    gn, pn = parse_number(gk), parse_number(pk)
    if gn is not None and pn is not None:
        if numbers_equal(gn, pn, policy):
            return True, "numbers equal"
        return False, "numbers differ"
    gt, pt = parse_time(gk), parse_time(pk)
    if gt and pt:
        return (True, "same clock time") if times_equal(gt, pt) else (False, "different clock times")
    g_text = bool(_PLAIN_TEXT.fullmatch(gk)) and not _CHOICE.fullmatch(gk)
    p_text = bool(_PLAIN_TEXT.fullmatch(pk)) and not _CHOICE.fullmatch(pk)
    if (g_text and len(gk) > 2 and (pn is not None or p_text)) or (p_text and len(pk) > 2 and (gn is not None or g_text)):
        return False, "different text"
    gc, pc = _CHOICE.fullmatch(gk), _CHOICE.fullmatch(pk)
    if gc and pc:
        return (gc.group(1).upper() == pc.group(1).upper()), "choice letters"
    if not symbolic:
        raise NeedsSymbolic
    from evalkit.grading.symbolic import symbolic_equal

    return symbolic_equal(g_full, p_full, policy)


def _strip_names(node: Node) -> Node:
    return node.items[0] if node.kind == "eq" and node.name and node.items else node


def _unwrap(node: Node) -> Node:
    while node.kind in ("list", "set") and len(node.items) == 1 and node.left != "union" and node.kind == "list":
        node = node.items[0]
    return node


def _dedupe(items: tuple[Node, ...]) -> tuple[Node, ...]:
    seen, out = set(), []
    for it in items:
        k = normalize.key(it.text) if it.text else id(it)
        if k not in seen:
            seen.add(k)
            out.append(it)
    return tuple(out)


def _match_unordered(gold: tuple[Node, ...], pred: tuple[Node, ...], symbolic: bool, policy: Policy = STRICT) -> bool:
    """Every gold element matched by a distinct prediction element, and no extras (repeats ignored)."""
    gold, pred = _dedupe(gold), _dedupe(pred)
    if len(gold) != len(pred):
        return False
    remaining = list(pred)
    for g in gold:
        for j, p in enumerate(remaining):
            if compare_nodes(g, p, symbolic, policy)[0]:
                del remaining[j]
                break
        else:
            return False
    return True


def _match_ordered(gold: tuple[Node, ...], pred: tuple[Node, ...], symbolic: bool, policy: Policy = STRICT) -> bool:
    return len(gold) == len(pred) and all(compare_nodes(g, p, symbolic, policy)[0] for g, p in zip(gold, pred))


def _named(items: tuple[Node, ...]) -> dict[str, Node] | None:
    if items and all(it.kind == "eq" and it.name and it.items for it in items):
        names = [it.name for it in items]
        if len(set(names)) == len(names):
            return {it.name: it.items[0] for it in items}
    return None


def compare_nodes(gold: Node, pred: Node, symbolic: bool, policy: Policy = STRICT) -> tuple[bool, str]:
    gold, pred = _unwrap(gold), _unwrap(pred)
    # Equations with a name on the left (`x = 3`, `f(x) = 2x+3`) against a bare value.
    if gold.kind == "eq" and gold.name and pred.kind != "eq":
        return compare_nodes(gold.items[0], pred, symbolic, policy)
    if pred.kind == "eq" and pred.name and gold.kind != "eq":
        return compare_nodes(gold, pred.items[0], symbolic, policy)
    if gold.kind == "eq" and pred.kind == "eq":
        if gold.name and pred.name:
            # Named on both sides: the values decide (a differently named variable is a notation choice).
            return compare_nodes(gold.items[0], pred.items[0], symbolic, policy)
        return compare_leaves(gold.text, pred.text, symbolic, policy)
    if gold.kind == "leaf" and pred.kind == "leaf" or gold.kind == "rel" or pred.kind == "rel":
        if gold.kind in ("list", "set", "tuple", "matrix") or pred.kind in ("list", "set", "tuple", "matrix"):
            if not symbolic:
                raise NeedsSymbolic
            from evalkit.grading.symbolic import symbolic_equal

            return symbolic_equal(_text(gold), _text(pred), policy)
        return compare_leaves(_text(gold), _text(pred), symbolic, policy)
    collections = ("list", "set")
    if gold.kind in collections and pred.kind in collections:
        if "union" in (gold.left, pred.left) and gold.left != pred.left:
            return _symbolic_whole(gold, pred, symbolic, policy)
        g_named, p_named = _named(gold.items), _named(pred.items)
        if g_named and p_named and set(g_named) == set(p_named):
            ok = all(compare_nodes(g_named[k], p_named[k], symbolic, policy)[0] for k in g_named)
            return ok, "named values" + (" match" if ok else " differ")
        # A braced set and a bare list of the same elements are the same answer; order never matters here.
        g_items = tuple(_strip_names(i) for i in gold.items)
        p_items = tuple(_strip_names(i) for i in pred.items)
        if policy.ordered and "union" not in (gold.left, pred.left):  # "Enter the ordered pair (a, b) as a, b"
            ok = _match_ordered(g_items, p_items, symbolic, policy)
            return ok, "ordered elements" + (" match" if ok else " differ (the question asks for an order)")
        ok = _match_unordered(g_items, p_items, symbolic, policy)
        return ok, "all elements matched" if ok else "elements differ (missing or extra)"
    if gold.kind == "tuple" and pred.kind == "tuple":
        if (gold.left, gold.right) != (pred.left, pred.right):
            return False, "different brackets (tuple vs interval / open vs closed)"
        ok = _match_ordered(gold.items, pred.items, symbolic, policy)
        return ok, "tuple elements" + (" match" if ok else " differ")
    # A bare list against a tuple: compare in order (`1,-16,-4,43` vs `(1,-16,-4,43)`).
    if {gold.kind, pred.kind} == {"tuple", "list"}:
        t = gold if gold.kind == "tuple" else pred
        if t.left == "(" and t.right == ")" or t.left == "[" and t.right == "]":
            g_items = gold.items if gold.kind == "tuple" else tuple(_strip_names(i) for i in gold.items)
            p_items = pred.items if pred.kind == "tuple" else tuple(_strip_names(i) for i in pred.items)
            ok = _match_ordered(g_items, p_items, symbolic, policy)
            return ok, "ordered elements" + (" match" if ok else " differ")
        return False, "interval against a list"
    if gold.kind == "matrix" and pred.kind == "matrix":
        if len(gold.items) == len(pred.items) and all(
            len(a.items) == len(b.items) for a, b in zip(gold.items, pred.items)
        ):
            ok = all(_match_ordered(a.items, b.items, symbolic, policy) for a, b in zip(gold.items, pred.items))
            return ok, "matrix entries" + (" match" if ok else " differ")
        return False, "matrix shapes differ"
    if "matrix" in (gold.kind, pred.kind) and {gold.kind, pred.kind} & {"tuple", "list"}:
        m, other = (gold, pred) if gold.kind == "matrix" else (pred, gold)
        flat = tuple(c for row in m.items for c in row.items)
        is_vector = len(m.items) == 1 or all(len(r.items) == 1 for r in m.items)
        if is_vector and (other.kind == "list" or (other.left, other.right) in (("[", "]"), ("(", ")"))):
            ok = _match_ordered(flat, other.items, symbolic, policy)
            return ok, "vector entries" + (" match" if ok else " differ")
        return False, "matrix against a list"
    if gold.kind == "set" and pred.kind == "tuple" or gold.kind == "tuple" and pred.kind == "set":
        if gold.left == "union" or pred.left == "union":
            return _symbolic_whole(gold, pred, symbolic, policy)
        return False, "set against a tuple"
    # Structure against a single value, or anything else: a count mismatch unless sympy sees through it.
    if "leaf" in (gold.kind, pred.kind) and {gold.kind, pred.kind} & {"list", "set"}:
        leaf = gold if gold.kind == "leaf" else pred
        if parse_number(normalize.key(leaf.text)) is not None:
            return False, "one value against several"
    return _symbolic_whole(gold, pred, symbolic, policy)


def _symbolic_whole(gold: Node, pred: Node, symbolic: bool, policy: Policy = STRICT) -> tuple[bool, str]:
    if not symbolic:
        raise NeedsSymbolic
    from evalkit.grading.symbolic import symbolic_equal

    return symbolic_equal(_text(gold), _text(pred), policy)


def _text(node: Node) -> str:
    return node.text


def _decimal_comma(text: str) -> str | None:
    m = re.fullmatch(r"\s*([-+]?\d+),(\d{1,2}|\d{4,})\s*", text) or re.fullmatch(r"\s*([-+]?0),(\d+)\s*", text)
    return f"{m.group(1)}.{m.group(2)}" if m else None


def _units(gold: str, pred: str, g_basic: str, p_basic: str) -> tuple[tuple[bool, str] | None, str, str]:
    """Units on both sides must agree (or convert exactly); a unit on one side only is dropped.

    Returns (a verdict or None, gold, pred): the values to compare further, without their units."""
    g_value, g_unit = units.split_unit(g_basic, letter_unit=units.written_as_text(gold))
    p_value, p_unit = units.split_unit(p_basic, letter_unit=units.written_as_text(pred))
    if g_unit is None or p_unit is None:
        return None, (g_value if g_unit else gold), (p_value if p_unit else pred)
    factor = units.conversion(g_unit, p_unit)
    if factor is False:
        return (False, f"different units ({g_unit.text} vs {p_unit.text})"), gold, pred
    if factor is None or factor == 1:
        return None, g_value, p_value
    num = parse_number(normalize.full(p_value))
    if num is not None:
        v = num.value * factor
        return None, g_value, str(v.numerator) if v.denominator == 1 else f"\\frac{{{v.numerator}}}{{{v.denominator}}}"
    return None, g_value, f"\\frac{{{factor.numerator}}}{{{factor.denominator}}}\\cdot ({p_value})"


def compare(gold: str, pred: str, symbolic: bool = False, policy: Policy = STRICT) -> tuple[bool, str]:
    """Decide gold == pred. Raises NeedsSymbolic when `symbolic` is False and only sympy can decide."""
    g_basic, p_basic = normalize.basic(gold), normalize.basic(pred)
    gb, pb = parse_based(g_basic), parse_based(p_basic)
    if gb is not None and pb is not None:  # `1011_2` vs `1011_3`: the base is part of the value
        return (True, "same value in the given bases") if gb == pb else (False, "different values (base subscripts)")
    decided, gold, pred = _units(gold, pred, g_basic, p_basic)
    if decided is not None:
        return decided
    g_full, p_full = normalize.full(gold), normalize.full(pred)
    if not p_full:
        return False, "empty answer"
    if normalize.key_from_full(g_full) == normalize.key_from_full(p_full):
        return True, "normalised strings equal"
    g_pct = normalize.strip_percent(normalize.basic(gold))[1]
    p_pct = normalize.strip_percent(normalize.basic(pred))[1]
    if g_pct != p_pct:  # `25\%` may also be written 0.25 (either side)
        gn, pn = parse_number(g_full), parse_number(p_full)
        if gn is not None and pn is not None:
            if g_pct and numbers_equal(Num(gn.value / 100, None), pn, policy):
                return True, "percent written as a fraction"
            if p_pct and numbers_equal(gn, Num(pn.value / 100, None), policy):
                return True, "percent written as a fraction"
    g_node, p_node = parse(g_full), parse(p_full)
    if g_node.kind == "leaf" and parse_number(g_full) is not None and p_node.kind == "list":
        dc = _decimal_comma(normalize.basic(pred))
        if dc is not None:
            return compare_leaves(g_full, dc, symbolic, policy)
    if p_node.kind == "leaf" and parse_number(p_full) is not None and g_node.kind == "list":
        dc = _decimal_comma(normalize.basic(gold))
        if dc is not None:
            return compare_leaves(dc, p_full, symbolic, policy)
    return compare_nodes(g_node, p_node, symbolic, policy)
