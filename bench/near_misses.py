"""Near misses (wrong answers one mutation away from a real gold) and equal rewrites, labelled independently.

    PYTHONPATH=. python bench/near_misses.py --data-dir ../shared/data [--out cases.jsonl] [--seed 0]

Golds (and questions) come from the local benchmarks (MATH-500, OlympiadBench, AIME 24/25, AMC 23).
Each case is `{kind, source, id, gold, pred | output, equal}`. The label never comes from the grader under
test (nor from Math-Verify): numeric mutations are confirmed different (or equal) by evaluating both
sides with the small LaTeX evaluator below (mpmath, 50 digits, its own restricted grammar); structural
ones (units, bases, angles, brackets, order) are different by construction, and the construction says
why. `bench/grader_accuracy.py` grades these cases with evalkit and with Math-Verify, without questions
(the strict default of `evalkit grade GOLD PRED`).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from fractions import Fraction
from pathlib import Path

import mpmath

from evalkit.io import atomic_write  # writing only: the labels never come from evalkit

mpmath.mp.dps = 50
BENCHMARKS = ("math500", "olympiadbench", "aime24", "aime25", "amc23")

# --- an independent evaluator for a small LaTeX grammar (numbers, \frac, \sqrt, \pi, ^, + - * /, parens)
_TOKENS = re.compile(r"\s*(\d+\.\d+|\d+|\.\d+|\\[dt]?frac|\\sqrt|\\pi|\\cdot|\\times|\\left|\\right|[-+*/^(){}\[\]])")


def value(latex: str) -> mpmath.mpf | None:
    """The real value of a closed-form LaTeX number, or None when it is outside the grammar."""
    text = latex.strip().strip("$")
    pos, toks = 0, []
    while pos < len(text):
        m = _TOKENS.match(text, pos)
        if not m:
            return None
        if m.group(1) not in ("\\left", "\\right"):  # sizing only
            toks.append(m.group(1))
        pos = m.end()
    if not toks:
        return None
    try:
        result, rest = _sum(toks)
    except (IndexError, KeyError, ValueError, ZeroDivisionError, TypeError):
        return None
    return result if not rest and mpmath.isfinite(result) else None


def _sum(t: list[str]):
    v, t = _product(t)
    while t and t[0] in "+-":
        op, (w, t) = t[0], _product(t[1:])
        v = v + w if op == "+" else v - w
    return v, t


def _product(t: list[str]):
    v, t = _unary(t)
    while t and (t[0] in ("*", "/", "\\cdot", "\\times") or t[0] in ("(", "\\pi", "\\sqrt", "\\frac", "\\dfrac", "{")):
        if t[0] in ("*", "\\cdot", "\\times"):
            w, t = _unary(t[1:])
            v = v * w
        elif t[0] == "/":
            w, t = _unary(t[1:])
            v = v / w
        else:  # implicit product: 2\pi, 3\sqrt{2}
            w, t = _power(t)
            v = v * w
    return v, t


def _unary(t: list[str]):
    if t[0] == "-":
        v, t = _unary(t[1:])
        return -v, t
    if t[0] == "+":
        return _unary(t[1:])
    return _power(t)


def _power(t: list[str]):
    v, t = _atom(t)
    if t and t[0] == "^":
        w, t = _atom(t[1:])
        v = mpmath.power(v, w)
    return v, t


def _group(t: list[str]):
    close = {"(": ")", "{": "}", "[": "]"}[t[0]]
    v, t = _sum(t[1:])
    if t[0] != close:
        raise ValueError
    return v, t[1:]


def _atom(t: list[str]):
    head = t[0]
    if head in ("(", "{"):
        return _group(t)
    if head == "\\pi":
        return mpmath.pi, t[1:]
    if head == "\\sqrt":
        v, t = _group(t[1:]) if t[1] == "{" else _atom(t[1:])
        if v < 0:
            raise ValueError
        return mpmath.sqrt(v), t
    if head in ("\\frac", "\\dfrac", "\\tfrac"):
        a, t = _group(t[1:])
        b, t = _group(t)
        return a / b, t
    if re.fullmatch(r"\d+\.\d+|\d+|\.\d+", head):
        return mpmath.mpf(head), t[1:]
    raise ValueError


def differ(a: str, b: str) -> bool | None:
    """True/False when both evaluate; None when either is outside the grammar."""
    va, vb = value(a), value(b)
    if va is None or vb is None:
        return None
    return abs(va - vb) > mpmath.mpf(10) ** -30 * max(1, abs(va), abs(vb))


# --- golds
def load_golds(data_dir: Path) -> list[dict]:
    from evalkit import data

    out = []
    for name in BENCHMARKS:
        if not (data_dir / name).is_dir():
            continue
        for p in data.load(name, str(data_dir)):
            gold = p.answers[0] if len(p.answers) == 1 else ", ".join(p.answers)
            out.append({"source": name, "id": p.id, "gold": gold, "question": p.question})
    return out


# --- mutations (near misses: equal=False)
_DIGITS = re.compile(r"\d+")
UNIT_PAIRS = [  # (gold unit, a different unit): different scale or dimension, so never equal for a value != 0
    (r"\text{ cm}^2", r"\text{ mm}^2"), (r"\text{ cm}^2", r"\text{ cm}^3"), (r"\text{ minutes}", r"\text{ seconds}"),
    (r"\text{ dollars}", r"\text{ cents}"), (r"\text{ km}", r"\text{ miles}"), (r"\text{ hours}", r"\text{ minutes}"),
    (r"\text{ inches}", r"\text{ feet}"), (r"\text{ kg}", r"\text{ g}"),
]
EXACT_CONVERSIONS = [  # (unit, factor, unit): value * factor in the second unit is the same quantity
    (r"\text{ minutes}", 60, r"\text{ seconds}"), (r"\text{ hours}", 60, r"\text{ minutes}"),
    (r"\text{ dollars}", 100, r"\text{ cents}"), (r"\text{ m}^2", 10000, r"\text{ cm}^2"),
    (r"\text{ feet}", 12, r"\text{ inches}"), (r"\text{ km}", 1000, r"\text{ meters}"),
]


def _replace_digit_run(gold: str, rng: random.Random) -> str | None:
    runs = list(_DIGITS.finditer(gold))
    if not runs:
        return None
    m = rng.choice(runs)
    digits = list(m.group(0))
    i = rng.randrange(len(digits))
    choices = [d for d in "0123456789" if d != digits[i] and not (i == 0 and d == "0" and len(digits) > 1)]
    digits[i] = rng.choice(choices)
    return gold[: m.start()] + "".join(digits) + gold[m.end() :]


def _is_int(gold: str) -> bool:
    return bool(re.fullmatch(r"-?\d+", gold.strip()))


def near_misses(golds: list[dict], rng: random.Random) -> list[dict]:
    out: list[dict] = []

    def add(kind: str, g: dict, pred: str | None = None, output: str | None = None, gold: str | None = None) -> None:
        case = {"kind": kind, "source": g["source"], "id": g["id"], "gold": gold or g["gold"], "equal": False}
        case["pred" if output is None else "output"] = pred if output is None else output
        out.append(case)

    for g in golds:
        gold = g["gold"].strip()
        v = value(gold)
        if v is not None:
            m = _replace_digit_run(gold, rng)
            if m and differ(gold, m):
                add("digit", g, m)
            if abs(v) > 0:
                flipped = gold[1:].strip() if gold.startswith("-") else f"-{gold}"
                if differ(gold, flipped):
                    add("sign", g, flipped)
            fr = re.search(r"\\[dt]?frac\{([^{}]+)\}\{([^{}]+)\}", gold)
            if fr and fr.group(1) != fr.group(2):
                swapped = gold[: fr.start()] + f"\\frac{{{fr.group(2)}}}{{{fr.group(1)}}}" + gold[fr.end() :]
                if differ(gold, swapped):
                    add("swapped_fraction", g, swapped)
            pw = re.search(r"\^\{?(\d)\}?", gold)
            if pw:
                powered = gold[: pw.start()] + f"^{{{int(pw.group(1)) + 1}}}" + gold[pw.end() :]
                if differ(gold, powered):
                    add("power", g, powered)
            rt = re.search(r"\\sqrt\{(\d+)\}", gold)
            if rt:
                rooted = gold[: rt.start()] + f"\\sqrt{{{int(rt.group(1)) + 1}}}" + gold[rt.end() :]
                if differ(gold, rooted):
                    add("root", g, rooted)
            fa = re.match(r"(\d+)\s*(\\sqrt|\\pi)", gold)
            if fa and fa.group(1) != "1":
                dropped = gold[fa.start(2) :]
                if differ(gold, dropped):
                    add("dropped_factor", g, dropped)
            # A rounded decimal for an exact gold that does not terminate there: wrong under the strict rule.
            places = rng.choice((2, 3, 4))
            rounded = mpmath.nstr(v, places + len(str(int(abs(v)))), strip_zeros=False)
            if "." in rounded and len(rounded.split(".")[1]) >= 2 and not re.fullmatch(r"-?\d*\.?\d+", gold) \
                    and differ(gold, rounded):  # (a decimal gold keeps its own rounding rule)
                add("rounded_decimal", g, rounded)
            if m and differ(gold, m):
                add("later_wrong", g, output=f"First we note that the value ${gold}$ appears in step one. "
                                            f"Checking again, the final answer is $\\boxed{{{m}}}$.")
        if _is_int(gold):
            n = int(gold)
            add("off_by_one", g, str(n + rng.choice((-1, 1))))
            if n != 0:
                u1, u2 = rng.choice(UNIT_PAIRS)
                add("units", g, f"{gold}{u2}", gold=f"{gold}{u1}")
                add("angle", g, f"{gold}\\text{{ radians}}", gold=f"{gold}^\\circ")  # n deg != n rad for n != 0
            if n >= 2 and not gold.startswith("-"):
                b = max(2, max(int(c) for c in gold) + 1)
                # different bases, same digits: int(gold, b) != int(gold, b + 1) for a number of 2+ digits
                if b < 10 and len(gold) > 1 and int(gold, b) != int(gold, b + 1):
                    add("base", g, f"{gold}_{{{b + 1}}}", gold=f"{gold}_{{{b}}}")
        iv = re.fullmatch(r"\\left\s*([(\[])(.+),(.+)\\right\s*([)\]])|([(\[])([^,()\[\]]+),([^,()\[\]]+)([)\]])", gold)
        if iv:
            left, a, b_, right = [x for x in iv.groups() if x is not None]
            # a finite left end flipped; `(a, b)` with both ends finite may be a point, so it is left alone
            if "infty" not in a and ((left, right) != ("(", ")") or "infty" in b_):
                flipped = ("[" if left == "(" else "(") + f"{a.strip()},{b_.strip()}" + right
                add("interval_bracket", g, flipped)  # an endpoint in or out of the set: a different set
        tp = re.fullmatch(r"\\left\(\s*(.+?)\s*,\s*(.+?)\s*\\right\)|\(\s*([^,()]+?)\s*,\s*([^,()]+?)\s*\)", gold)
        if tp:
            a, b_ = [x for x in tp.groups() if x is not None]
            if differ(a, b_):
                add("permuted_coordinates", g, f"({b_}, {a})")  # an ordered pair with distinct entries
        parts = [p.strip() for p in gold.split(",")] if "," in gold and not re.search(r"[(\[{]", gold) else []
        if len(parts) >= 2 and all(value(p) is not None for p in parts):
            unique = [i for i, p in enumerate(parts) if all(differ(p, q) for j, q in enumerate(parts) if j != i)]
            if unique:  # a solution that occurs once is missing (dropping a repeat leaves the same set)
                drop = rng.choice(unique)
                add("set_element", g, ", ".join(p for i, p in enumerate(parts) if i != drop))
        cells = _matrix_cells(gold)
        if cells:
            i = rng.randrange(len(cells))
            changed = _replace_digit_run(cells[i], rng)
            if changed and differ(cells[i], changed):  # one entry is another number
                add("matrix_entry", g, _with_cells(gold, cells[:i] + [changed] + cells[i + 1 :]))
        ineq = _as_inequality(gold) if "interval" in g["question"].lower() else None  # `(3, \\pi/2)` may be a point
        if ineq:
            add("inequality_bracket", g, ineq[1])  # the condition with one end in/out: a different set
        if "\\" in gold and v is not None:
            m = _replace_digit_run(gold, rng)
            if m and differ(gold, m):
                add("escaped", g, m.replace("\\", "\\\\"))  # a wrong value, escaped as in JSON
    return out


_MATRIX = re.compile(r"\\begin\{([pb]matrix)\}(.*)\\end\{\1\}", re.DOTALL)


def _matrix_cells(gold: str) -> list[str] | None:
    m = _MATRIX.fullmatch(gold.strip())
    if not m or "\\begin" in m.group(2):
        return None
    cells = [c.strip() for row in m.group(2).split("\\\\") for c in row.split("&") if c.strip()]
    return cells if cells and all(value(c) is not None for c in cells) else None


def _with_cells(gold: str, cells: list[str]) -> str:
    m = _MATRIX.fullmatch(gold.strip())
    rows = [r for r in m.group(2).split("\\\\") if r.strip()]
    width = len(rows[0].split("&"))
    body = " \\\\ ".join(" & ".join(cells[r * width : (r + 1) * width]) for r in range(len(rows)))
    return f"\\begin{{{m.group(1)}}} {body} \\end{{{m.group(1)}}}"


def _as_inequality(gold: str) -> tuple[str, str] | None:
    """An interval gold as the inequality on x that describes it, and one with an end flipped."""
    m = re.fullmatch(r"(?:\\left)?\s*([(\[])\s*([^,]+?)\s*,\s*([^,]+?)\s*(?:\\right)?\s*([)\]])", gold.strip())
    if not m:
        return None
    left, a, b, right = m.groups()
    lo, hi = ("<" if left == "(" else "\\le"), ("<" if right == ")" else "\\le")
    flip = {"<": "\\le", "\\le": "<"}
    if "infty" in a and "infty" in b:
        return None
    if "infty" in a:
        return (f"x {hi} {b}", f"x {flip[hi]} {b}") if right == ")" or right == "]" else None
    if "infty" in b:
        gt = ">" if left == "(" else "\\ge"
        other = "\\ge" if gt == ">" else ">"
        return f"x {gt} {a}", f"x {other} {a}"
    if value(a) is None or value(b) is None or not differ(a, b):
        return None
    return f"{a} {lo} x {hi} {b}", f"{a} {flip[lo]} x {hi} {b}"


# --- equal rewrites (equal=True)
def rewrites(golds: list[dict], rng: random.Random) -> list[dict]:
    out: list[dict] = []

    def add(kind: str, g: dict, pred: str, gold: str | None = None) -> None:
        out.append({"kind": kind, "source": g["source"], "id": g["id"], "gold": gold or g["gold"], "pred": pred,
                    "equal": True})

    for g in golds:
        gold = g["gold"].strip()
        v = value(gold)
        if v is None:
            continue
        fr = re.fullmatch(r"(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}", gold)
        if fr:
            sign, a, b = fr.group(1), int(fr.group(2)), int(fr.group(3))
            if differ(gold, f"{sign}{a}/{b}") is False:
                add("slash_fraction", g, f"{sign}{a}/{b}")
            add("dfrac", g, gold.replace("\\frac", "\\dfrac"))
            f = Fraction(a, b)
            d = f.denominator
            while d % 2 == 0:
                d //= 2
            while d % 5 == 0:
                d //= 5
            if d == 1:
                dec = f"{sign}{float(f):.6f}".rstrip("0").rstrip(".")
                if differ(gold, dec) is False:
                    add("exact_decimal", g, dec)
            if a > b and f.denominator != 1:
                q, r = divmod(f.numerator, f.denominator)
                add("mixed_number", g, f"{sign}{q}\\frac{{{r}}}{{{f.denominator}}}")
        if _is_int(gold):
            n = int(gold)
            if abs(n) >= 1000:
                s = f"{abs(n):,}"
                add("thousands", g, ("-" if n < 0 else "") + rng.choice((s.replace(",", "{,}"), s.replace(",", ",\\!"))))
            if n % 1000 == 0 and abs(n) >= 10000:
                k = len(str(abs(n))) - 1
                mant = Fraction(n, 10**k)
                add("scientific", g, f"{float(mant):g} \\times 10^{{{k}}}")
            u, factor, u2 = rng.choice(EXACT_CONVERSIONS)
            add("unit_converted", g, f"{n * factor}{u2}", gold=f"{gold}{u}")
            add("unit_one_side", g, f"{gold}{rng.choice(UNIT_PAIRS)[0]}")
            add("degree_sign", g, gold, gold=f"{gold}^\\circ")
        add("assignment", g, f"x = {gold}")
        add("dollars", g, f"${gold}$")
        add("worked_gold", g, gold, gold=f"Adding the cases, we get the total, so the answer is $\\boxed{{{gold}}}$.")
        if "\\" in gold:
            add("escaped", g, gold.replace("\\", "\\\\"))  # as in a JSON or Python literal
        if _is_int(gold) and abs(int(gold)) >= 1000:
            add("thin_space", g, f"{int(gold):,}".replace(",", "\\,"))
    for g in golds:  # structured golds: the same value spelled another way
        gold = g["gold"].strip()
        cells = _matrix_cells(gold)
        if cells:
            m = _MATRIX.fullmatch(gold)
            rows = [r for r in m.group(2).split("\\\\") if r.strip()]
            width = len(rows[0].split("&"))
            body = m.group(2).strip()
            add("matrix_spelling", g, f"\\left[\\begin{{array}}{{{'c' * width}}} {body} \\end{{array}}\\right]")
            if width == 1:
                add("vector_as_tuple", g, "(" + ", ".join(cells) + ")")
        ineq = _as_inequality(gold) if "interval" in g["question"].lower() else None  # not a point
        if ineq:
            add("interval_as_inequality", g, ineq[0])
        fn = re.search(r"(?<![A-Za-z])\\(sin|cos|tan|cot|ln|log)(?=[\s({0-9^])", gold)
        if fn:
            add("bare_function", g, gold[: fn.start()] + fn.group(1) + gold[fn.end() :])
    return out


PER_KIND = 150  # cases per kind at most, so that no kind (integers are most golds) swamps the rates


def _capped(cases: list[dict], rng: random.Random, per_kind: int) -> list[dict]:
    by_kind: dict[str, list[dict]] = {}
    for c in cases:
        by_kind.setdefault(c["kind"], []).append(c)
    out = []
    for kind in sorted(by_kind):
        group = by_kind[kind]
        out.extend(group if len(group) <= per_kind else rng.sample(group, per_kind))
    return out


def build(data_dir: Path, seed: int = 0, per_kind: int = PER_KIND) -> tuple[list[dict], list[dict]]:
    """(near misses, equal rewrites) of the golds under `data_dir`, the same for the same seed."""
    golds = load_golds(data_dir)
    rng = random.Random(seed)
    return (_capped(near_misses(golds, rng), rng, per_kind), _capped(rewrites(golds, rng), rng, per_kind))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, required=True, help="benchmark directory (layout of ../shared/data)")
    ap.add_argument("--out", type=Path, help="write the cases here (JSONL); default: only print counts")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-kind", type=int, default=PER_KIND, help="cases per mutation kind at most")
    args = ap.parse_args()
    if not args.data_dir.is_dir():
        sys.exit(f"--data-dir {args.data_dir} is not a directory")
    misses, equal = build(args.data_dir, args.seed, args.per_kind)
    for name, cases in (("near misses", misses), ("equal rewrites", equal)):
        kinds: dict[str, int] = {}
        for c in cases:
            kinds[c["kind"]] = kinds.get(c["kind"], 0) + 1
        print(f"{name}: {len(cases)}  " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    if args.out:
        atomic_write(args.out, "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in misses + equal))


if __name__ == "__main__":
    main()
