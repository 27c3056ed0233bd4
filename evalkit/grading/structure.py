"""Turn a normalised answer string into a small tree: lists, sets, tuples/intervals, matrices, equations.

Why a tree of strings rather than a sympy object: the structure (which brackets, ordered or not, how many
elements, which variable names) decides most false positives (`n=2,3,4` vs `n=1,2,3`, `\\pm 2021` vs
`2021`, "1331 and 1728" vs "1728"), and it can be read in linear time without sympy. Leaves stay strings
and are compared by `compare.py`, cheaply when possible, symbolically in a bounded worker otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evalkit.grading.units import MATH_WORDS

MAX_ELEMENTS = 64

_OPEN = "([{"
_CLOSE = ")]}"


@dataclass(frozen=True)
class Node:
    kind: str  # leaf | list | set | tuple (with brackets) | matrix | eq | rel
    text: str = ""
    items: tuple[Node, ...] = ()
    left: str = ""  # bracket characters for kind == tuple
    right: str = ""
    name: str = ""  # lhs of a named equation (kind == eq)


def _depths(text: str) -> list[int]:
    """Bracket depth at each character, treating \\{ \\} and ( [ { ) ] } alike; \\left/\\right already gone."""
    depth = 0
    out = []
    for c in text:
        if c in _OPEN:
            depth += 1
            out.append(depth)
        elif c in _CLOSE:
            out.append(depth)
            depth = max(depth - 1, 0)
        else:
            out.append(depth)
    return out


def split_top(text: str, seps: str) -> list[str]:
    """Split on the regex `seps` only where it occurs at bracket depth 0 (and outside \\begin..\\end)."""
    depth = _depths(text)
    env = 0
    env_at = []
    for m in re.finditer(r"\\(begin|end)\{", text):
        env_at.append((m.start(), 1 if m.group(1) == "begin" else -1))
    marks = [0] * (len(text) + 1)
    for pos, d in env_at:
        marks[pos] += d
    inside = []
    for i in range(len(text)):
        env += marks[i]
        inside.append(env > 0)
    parts, last = [], 0
    for m in re.finditer(seps, text):
        i = m.start()
        if depth[i] == 0 and not inside[i] and (i == 0 or text[i - 1] != "\\"):
            parts.append(text[last:i])
            last = m.end()
    parts.append(text[last:])
    return [p.strip() for p in parts]


def _wrapped(text: str) -> tuple[str, str, str] | None:
    """If `text` is one bracketed group `(…)`, `[…)`, `\\{…\\}`, return (left, inner, right)."""
    if len(text) < 2:
        return None
    if text.startswith("\\{") and text.endswith("\\}"):
        inner = text[2:-2]
        d = _depths(inner)
        if inner.count("{") - inner.count("}") == 0 and (not d or min(d) >= 0):
            return "{", inner, "}"
        return None
    if text[0] in "([" and text[-1] in ")]":
        depth = 0
        for i, c in enumerate(text):
            if c in _OPEN:
                depth += 1
            elif c in _CLOSE:
                depth -= 1
                if depth == 0 and i != len(text) - 1:
                    return None
        return text[0], text[1:-1], text[-1]
    return None


_SUB = r"(?:_\{[^{}]{1,30}\}|_\\?\w+)?(?:\^\{?\w\}?)?"  # `k_{\min}`, `S_{\triangle ABC}`, `a_3`, `x^2`
_ONE_NAME = (
    rf"(?:[A-Za-z]{_SUB}|\([a-z](?:\s*,\s*[a-z])+\)|[A-Za-z]+\([a-z,\s]*\)|\|[A-Za-z]+\||\\[a-zA-Z]+{_SUB}"
    r"|\\frac\{[A-Za-z]+\}\{[A-Za-z]+\}|\\angle\s*[A-Z]+|\\overline\{[A-Z]+\}|[A-Z]{2,3}|\\text\{[^{}]*\}"
    r"|\[[A-Z]{2,6}\]|[A-Z]?[a-z]{2,15}(?:\s[a-z]{2,15})?)"  # `[ABC] = 14` (an area), `Area = 14`, `total cost = 5`
)
_NAME = re.compile(rf"{_ONE_NAME}(?:\s*:\s*{_ONE_NAME})*")  # also ratios of names: `AB:CD`, `V_1:V_2`
_FUNCS = {"\\sin", "\\cos", "\\tan", "\\log", "\\ln", "\\sqrt", "\\frac", "\\pi", "\\infty", "\\exp"}
_REL = re.compile(r"\\le(?:q|qslant)?(?![a-zA-Z])|\\ge(?:q|qslant)?(?![a-zA-Z])|<=?|>=?|\\ne(?:q)?(?![a-zA-Z])|\\lt|\\gt")


def is_name(lhs: str) -> bool:
    lhs = lhs.strip()
    return bool(_NAME.fullmatch(lhs)) and lhs not in _FUNCS and not (len(lhs) > 1 and lhs.lower() in MATH_WORDS)


def _expand_pm(text: str) -> list[str] | None:
    """`a \\pm b` -> [a + b, a - b], also inside fractions (`\\frac{-1 \\pm \\sqrt{13}}{4}`); `\\mp` opposite."""
    if not re.search(r"\\(?:pm|mp)(?![a-zA-Z])", text):
        return None
    plus = re.sub(r"\\pm(?![a-zA-Z])", "+", re.sub(r"\\mp(?![a-zA-Z])", "-", text))
    minus = re.sub(r"\\pm(?![a-zA-Z])", "-", re.sub(r"\\mp(?![a-zA-Z])", "+", text))
    return [plus.strip(), minus.strip()]


def parse(text: str, depth: int = 0) -> Node:
    """Parse a fully normalised answer into a Node (linear-ish; recursion is bounded)."""
    text = text.strip()
    if depth > 6 or len(text) > 5000:
        return Node("leaf", text)
    # `x \in S` -> S
    m = re.match(r"^(.{1,40}?)\s*\\in\s*(.+)$", text)
    if m and is_name(m.group(1)):
        text = m.group(2).strip()
    parts = split_top(text, r";")
    if len(parts) > 1:
        return _collection([p for p in parts if p], depth, "list", text)
    groups = [g for g in split_top(text, r"\band\b|\bor\b") if g.strip(" ,")]
    if len(groups) > 1 and all(len(split_top(g, "=")) > 1 and len(split_top(g.strip(" ,"), ",")) > 1 for g in groups):
        return _collection(groups, depth, "list", text)  # `p=5, q=2 and p=7, q=2`: groups of assignments
    parts = split_top(text, r",|\band\b|\bor\b")
    parts = [p for p in parts if p]
    if len(parts) > 1:
        return _collection(parts, depth, "list", text)
    if not parts:
        return Node("leaf", "")
    text = parts[0]
    wrapped = _wrapped(text)
    if wrapped:
        left, inner, right = wrapped
        inner_parts = [p for p in split_top(inner, r",|;") if p] if inner.strip() else []
        if left == "{":
            return Node("set", text, _flatten_pm([parse(p, depth + 1) for p in inner_parts[:MAX_ELEMENTS]]))
        if left == "(" and right == ")" and len(inner_parts) == 1:
            return parse(inner, depth + 1)  # plain parentheses
        return Node("tuple", text, tuple(parse(p, depth + 1) for p in inner_parts[:MAX_ELEMENTS]), left, right)
    if text.startswith("\\begin{") and re.match(r"\\begin\{[pbvBV]?matrix\}", text):
        return _matrix(text)
    union = split_top(text, r"\\cup(?![a-zA-Z])")
    if len(union) > 1:
        return Node("set", text, tuple(parse(p, depth + 1) for p in union[:MAX_ELEMENTS]), "union")
    eq = split_top(text, r"(?<![<>!\\])=(?!=)")
    if len(eq) == 2 and eq[0] and eq[1]:
        lhs, rhs = eq
        if is_name(lhs):
            return Node("eq", text, (parse(rhs, depth + 1),), name=re.sub(r"\s+", "", lhs))
        return Node("eq", text)
    if len(eq) > 2 and all(eq) and all(is_name(e) for e in eq[:-1]):
        return parse(eq[-1], depth + 1)  # `x = y = 3`
    if _REL.search(text):
        interval = _as_interval(text)
        return parse(interval, depth + 1) if interval else Node("rel", text)
    pm = _expand_pm(text)
    if pm:
        return Node("list", text, tuple(Node("leaf", p) for p in pm), left="pm")
    return Node("leaf", text)


_LT = {"<": "(", "\\lt": "(", "\\le": "[", "\\leq": "[", "\\leqslant": "[", "<=": "["}
_GT = {">": "(", "\\gt": "(", "\\ge": "[", "\\geq": "[", "\\geqslant": "[", ">=": "["}
_RE_REL_OP = re.compile(r"(<=|>=|<|>|\\(?:leqslant|geqslant|leq|geq|le|ge|lt|gt)(?![a-zA-Z]))")


def _as_interval(text: str) -> str | None:
    """`1 < x < 4` -> `(1,4)`, `0<g(x)\\le 1` -> `(0,1]`, `y \\geq 2` -> `[2,\\infty)`: a condition on one
    named quantity as the interval it describes (compared cheaply, brackets and all)."""
    parts = _RE_REL_OP.split(text)
    if len(parts) == 5:  # a op name op b
        a, op1, name, op2, b = (p.strip() for p in parts)
        if not (a and b and is_name(name)) or name.startswith("|") or _RE_REL_OP.search(a + b):
            return None
        if op1 in _LT and op2 in _LT:
            return f"{_LT[op1]}{a},{b}{')' if _LT[op2] == '(' else ']'}"
        if op1 in _GT and op2 in _GT:
            return f"{_GT[op2]}{b},{a}{')' if _GT[op1] == '(' else ']'}"
        return None
    if len(parts) == 3:  # name op b
        name, op, b = (p.strip() for p in parts)
        if not (b and is_name(name)) or name.startswith("|") or re.search(r"[A-Za-z]", re.sub(r"\\[a-zA-Z]+", "", b)):
            return None  # only a numeric bound: `x > y` stays a relation
        if op in _LT:
            return f"(-\\infty,{b}{')' if _LT[op] == '(' else ']'}"
        return f"{_GT[op]}{b},\\infty)"
    return None


def _collection(parts: list[str], depth: int, kind: str, text: str) -> Node:
    items = [parse(p, depth + 1) for p in parts[:MAX_ELEMENTS]]
    # `n=2,3,4`: a name applied to a list.
    if items and items[0].kind == "eq" and items[0].name and items[0].items and all(
        it.kind != "eq" for it in items[1:]
    ):
        rhs = text.split("=", 1)[1]
        return Node("eq", text, (Node(kind, rhs, (items[0].items[0], *items[1:])),), name=items[0].name)
    return Node(kind, text, _flatten_pm(items))


def _flatten_pm(items: list[Node]) -> tuple[Node, ...]:
    """`1 \\pm \\sqrt 5, -2` -> three elements."""
    flat: list[Node] = []
    for it in items:
        if it.kind == "list" and it.left == "pm":
            flat.extend(it.items)
        else:
            flat.append(it)
    return tuple(flat)


def _matrix(text: str) -> Node:
    m = re.match(r"\\begin\{([pbvBV]?matrix)\}(.*)\\end\{\1\}$", text, re.DOTALL)
    if not m or "\\begin" in m.group(2):  # a product of matrices is arithmetic, for sympy
        return Node("leaf", text)
    body = m.group(2).strip()
    rows = [r for r in re.split(r"\\\\", body) if r.strip()]
    cells = tuple(Node("tuple", "", tuple(Node("leaf", c.strip()) for c in r.split("&")), "[", "]") for r in rows)
    return Node("matrix", text, cells)
