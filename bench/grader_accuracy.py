"""Accuracy of evalkit's checker against Math-Verify 0.9.0 on the shared grader data, in one run.

    PYTHONPATH=. python bench/grader_accuracy.py [--grader-dir DIR] [--data-dir DIR] [--show-errors]
                                                 [--skip-math-verify] [--only SECTION]

Reads equivalence_public.jsonl, extraction_public.jsonl and the Qwen2.5-7B MATH-500 generations from
--grader-dir (default: ../shared/grader beside the repository) and prints per-category accuracy, ours
and Math-Verify's, then every disagreement with the published verdicts on the generations. Then the
near misses and equal rewrites of bench/near_misses.py, built from the golds under --data-dir (default
../shared/data beside the repository): the false-positive rate on the near misses and the
false-negative rate on the rewrites, per kind, ours and Math-Verify's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

from evalkit.grading import GradeItem, extract_answer, grade
from evalkit.grading.normalize import key

SHARED = Path(__file__).resolve().parents[1].parent / "shared"  # ../shared beside the repository


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _wrap(text: str) -> str:
    """Math-Verify expects LaTeX inside $…$; bare strings are wrapped (its better-scoring usage)."""
    return text if "$" in text or "\\(" in text or "\\[" in text or "\\boxed" in text else f"${text}$"


def mv_equal(gold: str, pred: str) -> bool:
    from math_verify import parse, verify

    try:
        return bool(verify(parse(_wrap(gold)), parse(_wrap(pred))))
    except Exception:  # noqa: BLE001 - Math-Verify raising counts as a "not equal" verdict
        return False


def mv_extract(output: str) -> str | None:
    from math_verify import parse

    try:
        parsed = parse(output)
    except Exception:  # noqa: BLE001 - no extraction
        return None
    return parsed[1] if len(parsed) > 1 else None


def _prepare(row: dict) -> tuple[str, str | None]:
    """For needs_extraction rows both sides may be sentences or boxed text: extract the answer first."""
    gold, pred = row["gold"], row["pred"]
    if row.get("needs_extraction"):
        gold = extract_answer(gold) or gold
        pred = extract_answer(pred)
    return gold, pred


def equivalence(rows: list[dict], use_mv: bool, show: bool) -> None:
    items = []
    for r in rows:
        g, p = _prepare(r)
        items.append(GradeItem(gold=g, pred=p))
    t0 = time.perf_counter()
    ours = grade(items)
    t_ours = time.perf_counter() - t0
    per = defaultdict(lambda: [0, 0, 0])
    wrong = []
    for r, v in zip(rows, ours):
        c = per[r["category"]]
        c[0] += 1
        ok = (v.equal is True) == r["equal"]
        c[1] += ok
        if not ok:
            wrong.append((r, v))
        if use_mv:
            c[2] += mv_equal(r["gold"], r["pred"]) == r["equal"]
    print(f"\n== equivalence_public.jsonl ({len(rows)} rows; ours {t_ours:.1f} s) ==")
    print(f"{'category':28s} {'n':>4s} {'ours':>7s} {'math-verify':>12s} {'ours-mv':>8s}")
    tot = [0, 0, 0]
    for cat in sorted(per, key=lambda k: -per[k][0]):
        n, o, m = per[cat]
        tot = [tot[0] + n, tot[1] + o, tot[2] + m]
        mv = f"{m / n:12.1%}" if use_mv else f"{'-':>12s}"
        print(f"{cat:28s} {n:4d} {o / n:7.1%} {mv} {o - m if use_mv else 0:+8d}")
    mv = f"{tot[2] / tot[0]:12.1%}" if use_mv else f"{'-':>12s}"
    print(f"{'OVERALL':28s} {tot[0]:4d} {tot[1] / tot[0]:7.1%} {mv} {tot[1] - tot[2] if use_mv else 0:+8d}")
    if show:
        for r, v in wrong:
            print(f"  WRONG {r['id']} [{r['category']}] label={r['equal']} ours={v.equal} ({v.reason}) "
                  f"gold={r['gold'][-80:]!r} pred={r['pred'][-80:]!r} extracted={v.extracted!r}")


def _extraction_right(got: str | None, exp: str | None, match: str) -> bool:
    """`exact`: the same string up to normalisation; `equivalent`: any equal form."""
    from evalkit.grading import check

    if exp is None or got is None:
        return exp is None and got is None
    if key(got) == key(exp):
        return True
    return match == "equivalent" and check(exp, got).equal is True


def extraction(rows: list[dict], use_mv: bool, show: bool) -> None:
    n = ok_ours = ok_mv = 0
    per = defaultdict(lambda: [0, 0, 0])
    for r in rows:
        exp, match = r["expected_answer"], r["match"]
        ours = extract_answer(r["output"])
        o = _extraction_right(ours, exp, match)
        m = _extraction_right(mv_extract(r["output"]), exp, match) if use_mv else False
        n += 1
        ok_ours += o
        ok_mv += m
        c = per[match]
        c[0] += 1
        c[1] += o
        c[2] += m
        if show and not o:
            print(f"  WRONG extraction expected={exp!r} ours={ours!r} tail={r['output'][-120:]!r}")
    print(f"\n== extraction_public.jsonl ({n} rows) ==")
    for cat, (cn, co, cm) in per.items():
        print(f"{cat:28s} {cn:4d} {co / cn:7.1%} {cm / cn if use_mv else 0:12.1%}")
    print(f"{'OVERALL':28s} {n:4d} {ok_ours / n:7.1%} {ok_mv / n if use_mv else 0:12.1%}")


def generations(rows: list[dict], use_mv: bool) -> None:
    verdicts = grade([GradeItem(gold=r["gold"], output=r["output"]) for r in rows])
    agree = agree_mv = 0
    lines = []
    for r, v in zip(rows, verdicts):
        truth = r["hand_correct"] if r.get("hand_correct") is not None else r["published_correct"]
        ours = v.equal is True
        agree += ours == truth
        if use_mv:
            from math_verify import parse, verify

            try:
                mv = bool(verify(parse(_wrap(r["gold"])), parse(r["output"])))
            except Exception:  # noqa: BLE001 - Math-Verify failure counts as not equal
                mv = False
            agree_mv += mv == truth
        if ours != truth:
            lines.append(f"  {r['problem_id']}: truth={truth} ours={v.equal} ({v.reason}) gold={r['gold']!r} "
                         f"extracted={v.extracted!r} published_pred={r.get('published_pred')!r}")
    n = len(rows)
    print(f"\n== generations_public_qwen2.5-7b-instruct_math500.jsonl ({n} rows) ==")
    print(f"agreement with published verdicts (hand_correct overriding): ours {agree / n:.1%}"
          + (f", math-verify {agree_mv / n:.1%}" if use_mv else ""))
    print(f"disagreements ({len(lines)}):")
    print("\n".join(lines))


def mv_output_equal(gold: str, output: str) -> bool:
    from math_verify import parse, verify

    try:
        return bool(verify(parse(_wrap(gold)), parse(output)))
    except Exception:  # noqa: BLE001 - Math-Verify failure counts as not equal
        return False


def near_misses(data_dir: Path, use_mv: bool, show: bool) -> None:
    """False positives on near misses and false negatives on equal rewrites (strict: no question)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from near_misses import build

    misses, rewrites = build(data_dir)
    cases = misses + rewrites
    items = [GradeItem(gold=c["gold"], pred=c.get("pred"), output=c.get("output")) for c in cases]
    t0 = time.perf_counter()
    ours = grade(items)
    t_ours = time.perf_counter() - t0
    per: dict[tuple[bool, str], list[int]] = defaultdict(lambda: [0, 0, 0])  # n, ours wrong, mv wrong
    for c, v in zip(cases, ours):
        row = per[(c["equal"], c["kind"])]
        row[0] += 1
        wrong = (v.equal is True) != c["equal"]
        row[1] += wrong
        if use_mv:
            mv = mv_output_equal(c["gold"], c["output"]) if "output" in c else mv_equal(c["gold"], c["pred"])
            row[2] += mv != c["equal"]
        if show and wrong:
            print(f"  WRONG [{c['kind']}] label={c['equal']} ours={v.equal} ({v.reason}) gold={c['gold']!r} "
                  f"pred={c.get('pred') or c.get('output')!r}")
    for label, title, rate in ((False, "near misses", "false positives"), (True, "equal rewrites", "false negatives")):
        rows = {k: r for (eq, k), r in per.items() if eq == label}
        n = sum(r[0] for r in rows.values())
        print(f"\n== {title} of the shared golds (bench/near_misses.py, {n} cases; ours {t_ours:.1f} s for all) ==")
        print(f"{'kind':28s} {'n':>4s} {'ours ' + rate[:5]:>14s} {'math-verify':>12s}")
        for kind in sorted(rows):
            cn, co, cm = rows[kind]
            mv = f"{cm / cn:12.1%}" if use_mv else f"{'-':>12s}"
            print(f"{kind:28s} {cn:4d} {co / cn:14.1%} {mv}")
        o, m = sum(r[1] for r in rows.values()), sum(r[2] for r in rows.values())
        mv = f"{m / n:12.1%}" if use_mv else f"{'-':>12s}"
        print(f"{'OVERALL ' + rate:28s} {n:4d} {o / n:14.1%} {mv}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grader-dir", type=Path, default=SHARED / "grader", help="default: ../shared/grader")
    ap.add_argument("--data-dir", type=Path, default=SHARED / "data", help="golds for the near misses; default: ../shared/data")
    ap.add_argument("--show-errors", action="store_true")
    ap.add_argument("--skip-math-verify", action="store_true")
    ap.add_argument("--only", choices=["equivalence", "extraction", "generations", "near-misses"])
    args = ap.parse_args()
    d = args.grader_dir
    if not d.is_dir():
        sys.exit(f"grader data not found at {d}; pass --grader-dir")
    use_mv = not args.skip_math_verify
    if args.only in (None, "equivalence"):
        equivalence(_rows(d / "equivalence_public.jsonl"), use_mv, args.show_errors)
    if args.only in (None, "extraction"):
        extraction(_rows(d / "extraction_public.jsonl"), use_mv, args.show_errors)
    if args.only in (None, "generations"):
        generations(_rows(d / "generations_public_qwen2.5-7b-instruct_math500.jsonl"), use_mv)
    if args.only in (None, "near-misses"):
        if not args.data_dir.is_dir():
            sys.exit(f"benchmark data not found at {args.data_dir}; pass --data-dir")
        near_misses(args.data_dir, use_mv, args.show_errors)


if __name__ == "__main__":
    main()
