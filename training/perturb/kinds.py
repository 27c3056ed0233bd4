"""The seven demonstration perturbations of the structure-vs-content study, deterministic given a seed.

Content (the text of steps and solution changes, the step structure does not):
- ``wrong-answer``: in round(p·rows) rows, the content of every ``\\boxed{}`` becomes one wrong answer,
  the gold answer of another sample (never equal to this row's gold or boxed answers). A trace with no
  ``\\boxed{}`` gets its last plain mention of the gold answer replaced instead (solution first); a row
  where neither is found is left as is and counted in the summary.
- ``digits``: each ASCII digit is replaced, with probability p, by a different random digit.
- ``keywords``: each occurrence of a reasoning keyword (``DEFAULT_KEYWORDS``, configurable) is removed,
  with probability p, together with the punctuation and spaces right after it; nothing else changes.

Structure (thought steps move, disappear or come from elsewhere; the solution is left alone):
- ``shuffle``: round(p·n) of the n steps are chosen and cyclically permuted (every chosen step moves).
- ``delete``: round(p·n) steps are removed.
- ``insert``: round(p·n) steps taken from other samples are inserted at random positions.
- ``replace``: round(p·n) steps are replaced, in place, by steps taken from other samples (the paper's
  "steps replaced by steps of other demonstrations"; p = 1 keeps the structure, not one own step).

Every row draws from its own generator seeded by (seed, kind, row index), so a row's result does not
depend on which other rows are filtered out before it, and p = 0 returns the input unchanged.
"""

from __future__ import annotations

import bisect
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from evalkit.errors import EvalkitError
from evalkit.grading.extract import last_boxed
from training.perturb.segment import Trace

KINDS = ("wrong-answer", "digits", "keywords", "shuffle", "delete", "insert", "replace")
IDENTITY = "none"  # a plain copy (after --only-correct): the "correct" baseline of the study
CONTENT_KINDS = ("wrong-answer", "digits", "keywords")

# Reasoning keywords removed by `keywords`: the self-reflection and backtracking cues of long CoT.
DEFAULT_KEYWORDS = (
    "wait a minute", "wait a second", "but wait", "wait", "hold on", "hmm", "alternatively", "however",
    "let me check", "let me double-check", "on second thought", "actually",
)  # fmt: skip

# What "tokens changed" counts: each digit, each run of letters, each other non-space character.
TOKEN = re.compile(r"\d|[^\W\d_]+|[^\w\s]|_")


def count_edit_tokens(text: str) -> int:
    """Tokens in the unit the summaries count edits in (not a model tokenizer's tokens)."""
    return len(TOKEN.findall(text))


@dataclass(frozen=True)
class Outcome:
    """One perturbed row and what changed in it."""

    trace: Trace
    steps_touched: int = 0
    solution_touched: bool = False
    tokens_changed: int = 0
    answer_found: bool = True  # wrong-answer only: False when the row has no \boxed{} to replace
    wrong_answer: str | None = None


def row_rng(seed: int, kind: str, index: int) -> random.Random:
    return random.Random(f"{seed}:{kind}:{index}")


def check_ratio(ratio: float) -> None:
    if not 0.0 <= ratio <= 1.0:
        raise EvalkitError(f"--ratio must be in [0, 1], got {ratio}.")


def how_many(ratio: float, n: int) -> int:
    """round(p·n), halves rounded up (Python's round() sends 2.5 to 2: banker's rounding)."""
    return int(ratio * n + 0.5)


# ---------------------------------------------------------------- content


def corrupt_digits(text: str, ratio: float, rng: random.Random) -> tuple[str, int]:
    """Replace each digit with probability `ratio` by a different digit; returns (text, digits changed)."""
    out, changed = [], 0
    for ch in text:
        if "0" <= ch <= "9" and rng.random() < ratio:
            ch = rng.choice([d for d in "0123456789" if d != ch])
            changed += 1
        out.append(ch)
    return "".join(out), changed


def keyword_pattern(keywords: Sequence[str]) -> re.Pattern[str]:
    """Case-insensitive whole-word match of any keyword (longest first) plus trailing punctuation/spaces."""
    words = sorted({k.strip().lower() for k in keywords if k.strip()}, key=len, reverse=True)
    if not words:
        raise EvalkitError("the keyword list is empty.")
    alts = "|".join(r"[\s-]+".join(re.escape(part) for part in re.split(r"[\s-]+", w)) for w in words)
    return re.compile(rf"(?<![\w'-])(?:{alts})(?![\w'-])(?:[ \t]*[,:;!?.…]+)?[ \t]*", re.IGNORECASE)


def remove_keywords(text: str, ratio: float, rng: random.Random, pattern: re.Pattern[str]) -> tuple[str, int]:
    """Drop each keyword match with probability `ratio`; returns (text, tokens removed)."""
    out, pos, removed = [], 0, 0
    for match in pattern.finditer(text):
        if rng.random() < ratio:
            out.append(text[pos : match.start()])
            removed += count_edit_tokens(match.group())
            pos = match.end()
    out.append(text[pos:])
    return "".join(out), removed


# A box opens as the grader's do (evalkit.grading.extract): \boxed{, \boxed { or \fbox{.
_BOX_OPEN = re.compile(r"\\(?:boxed|fbox)\s*\{")


def boxed_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the content of every balanced `\\boxed{...}` / `\\fbox{...}` in `text`."""
    spans, i = [], 0
    while m := _BOX_OPEN.search(text, i):
        start = m.end()
        depth, j = 1, start
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        if depth:
            break
        spans.append((start, j - 1))
        i = j
    return spans


def replace_boxed(text: str, answer: str) -> tuple[str, int]:
    """Every `\\boxed{}` content becomes `answer`; returns (text, tokens replaced)."""
    out, pos, changed = [], 0, 0
    for start, end in boxed_spans(text):
        out += [text[pos:start], answer]
        changed += count_edit_tokens(text[start:end])
        pos = end
    out.append(text[pos:])
    return "".join(out), changed


def normalize_answer(answer: str) -> str:
    return re.sub(r"\s+|\\[,;! ]|\\left|\\right|\$", "", answer).rstrip(".")


def _map_parts(trace: Trace, fn) -> Outcome:
    """Apply fn(text) -> (text, tokens changed) to every step and to the solution."""
    steps, touched, tokens = [], 0, 0
    for step in trace.steps:
        new, changed = fn(step)
        steps.append(new)
        touched += new != step
        tokens += changed
    solution, changed = fn(trace.solution)
    new_trace = replace(trace, steps=steps, solution=solution)
    return Outcome(new_trace, touched, solution != trace.solution, tokens + changed)


# ---------------------------------------------------------------- structure


def shuffle_steps(steps: list[str], ratio: float, rng: random.Random) -> tuple[list[str], int]:
    k = how_many(ratio, len(steps))
    if k < 2:
        return list(steps), 0
    chosen = sorted(rng.sample(range(len(steps)), k))
    order = chosen[:]
    for i in range(k - 1, 0, -1):  # Sattolo: a uniformly random single cycle, so no chosen step stays put
        j = rng.randrange(i)
        order[i], order[j] = order[j], order[i]
    out = list(steps)
    for dst, src in zip(chosen, order, strict=True):
        out[dst] = steps[src]
    return out, k


def delete_steps(steps: list[str], ratio: float, rng: random.Random) -> tuple[list[str], list[str]]:
    """Returns (kept steps, removed steps)."""
    gone = set(rng.sample(range(len(steps)), how_many(ratio, len(steps))))
    return [s for i, s in enumerate(steps) if i not in gone], [s for i, s in enumerate(steps) if i in gone]


def donor_count(kind: str, ratio: float, steps: list[str], donors: Sequence[Sequence[str]]) -> int:
    """How many steps `kind` takes from other rows; refused when there is none to take from."""
    k = how_many(ratio, len(steps))
    if k and not donors:
        raise EvalkitError(f"{kind} needs at least one other row with steps to take steps from.")
    return k


def insert_steps(
    steps: list[str], ratio: float, rng: random.Random, donors: Sequence[Sequence[str]]
) -> tuple[list[str], list[str]]:
    """Insert round(p·n) steps drawn from `donors` (other rows' non-empty step lists); returns (steps, inserted)."""
    k = donor_count("insert", ratio, steps, donors)
    out, inserted = list(steps), []
    for _ in range(k):
        step = rng.choice(rng.choice(donors))
        out.insert(rng.randint(0, len(out)), step)
        inserted.append(step)
    return out, inserted


def replace_steps(
    steps: list[str], ratio: float, rng: random.Random, donors: Sequence[Sequence[str]]
) -> tuple[list[str], list[str]]:
    """Replace round(p·n) steps, at their positions, by steps drawn from `donors`; returns (steps, new steps)."""
    k = donor_count("replace", ratio, steps, donors)
    out, placed = list(steps), []
    for i in sorted(rng.sample(range(len(steps)), k)):
        out[i] = rng.choice(rng.choice(donors))
        placed.append(out[i])
    return out, placed


class _OtherRows(Sequence):
    """The non-empty step lists of every row but row `skip`, as a view (no O(rows) copy per row)."""

    def __init__(self, pool: list[tuple[int, list[str]]], skip: int) -> None:
        self.pool = pool
        self.at = bisect.bisect_left(pool, skip, key=lambda entry: entry[0])
        self.skips = self.at < len(pool) and pool[self.at][0] == skip

    def __len__(self) -> int:
        return len(self.pool) - self.skips

    def __getitem__(self, x: int) -> list[str]:
        if not 0 <= x < len(self):
            raise IndexError(x)
        return self.pool[x + (self.skips and x >= self.at)][1]


# ---------------------------------------------------------------- dataset level


def perturb_traces(
    traces: Sequence[Trace],
    golds: Sequence[str | None],
    kind: str,
    ratio: float,
    seed: int,
    keywords: Sequence[str] = DEFAULT_KEYWORDS,
    wheres: Sequence[str] | None = None,
) -> list[Outcome]:
    """Perturb every trace; `golds` (one per trace, None if unknown) feed wrong-answer's answer pool.

    `wheres` (e.g. "file:line" per trace) name rows in errors.
    """
    wheres = wheres or [f"row {i + 1}" for i in range(len(traces))]
    check_ratio(ratio)
    if kind not in (*KINDS, IDENTITY):
        raise EvalkitError(f"unknown --kind {kind!r}; expected one of {', '.join(KINDS)} (or {IDENTITY}).")
    if kind == IDENTITY:
        return [Outcome(trace) for trace in traces]
    if kind in ("digits", "keywords"):
        pattern = keyword_pattern(keywords) if kind == "keywords" else None
        outcomes = []
        for i, trace in enumerate(traces):
            rng = row_rng(seed, kind, i)
            if pattern is None:
                outcomes.append(_map_parts(trace, lambda s, rng=rng: corrupt_digits(s, ratio, rng)))
            else:
                outcomes.append(_map_parts(trace, lambda s, rng=rng: remove_keywords(s, ratio, rng, pattern)))
        return outcomes
    if kind == "wrong-answer":
        return _wrong_answers(traces, golds, ratio, seed, wheres)
    pool = [(j, t.steps) for j, t in enumerate(traces) if t.steps]  # insert's and replace's donors
    outcomes = []
    for i, trace in enumerate(traces):
        rng = row_rng(seed, kind, i)
        if kind == "shuffle":
            steps, moved = shuffle_steps(trace.steps, ratio, rng)
            touched = [s for j, s in enumerate(trace.steps) if steps[j] != s] if moved else []
            outcomes.append(Outcome(trace.with_steps(steps), moved, False, sum(map(count_edit_tokens, touched))))
            continue
        if kind == "delete":
            steps, changed = delete_steps(trace.steps, ratio, rng)
        elif kind == "replace":
            steps, changed = replace_steps(trace.steps, ratio, rng, _OtherRows(pool, i))
        else:
            steps, changed = insert_steps(trace.steps, ratio, rng, _OtherRows(pool, i))
        outcomes.append(
            Outcome(trace.with_steps(steps), len(changed), False, sum(map(count_edit_tokens, changed)))
        )
    return outcomes


def _mention(answer: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w.]){re.escape(answer.strip())}(?![\w]|\.\d)")


def _replace_last_mention(trace: Trace, gold: str | None, pool: list[str], seed: int, i: int) -> Outcome:
    """No \\boxed{}: replace the last plain mention of the gold answer (solution first, then last steps)."""
    if not gold or not gold.strip():
        return Outcome(trace, answer_found=False)
    pattern = _mention(gold)
    candidates = [a for a in pool if normalize_answer(a) != normalize_answer(gold)]
    parts = [trace.solution, *reversed(trace.steps)]
    for n, part in enumerate(parts):
        matches = list(pattern.finditer(part))
        if not matches or not candidates:
            continue
        wrong = row_rng(seed, "wrong-answer", i).choice(candidates)
        m = matches[-1]
        new = part[: m.start()] + wrong + part[m.end() :]
        if n == 0:
            return Outcome(replace(trace, solution=new), 0, True, count_edit_tokens(m.group()), True, wrong)
        steps = list(trace.steps)
        steps[len(steps) - n] = new
        return Outcome(trace.with_steps(steps), 1, False, count_edit_tokens(m.group()), True, wrong)
    return Outcome(trace, answer_found=False)


def _wrong_answers(
    traces: Sequence[Trace], golds: Sequence[str | None], ratio: float, seed: int, wheres: Sequence[str]
) -> list[Outcome]:
    answers = [g if g is not None else last_boxed(t.join()) for t, g in zip(traces, golds, strict=True)]
    pool = sorted({a.strip() for a in answers if a and a.strip()})
    chosen = set(
        random.Random(f"{seed}:wrong-answer:rows").sample(range(len(traces)), how_many(ratio, len(traces)))
    )
    outcomes = []
    for i, trace in enumerate(traces):
        if i not in chosen:
            outcomes.append(Outcome(trace))
            continue
        text = trace.join()
        if not boxed_spans(text):
            outcomes.append(_replace_last_mention(trace, answers[i], pool, seed, i))
            continue
        own = {normalize_answer(text[a:b]) for a, b in boxed_spans(text)}
        if answers[i]:
            own.add(normalize_answer(answers[i]))
        candidates = [a for a in pool if normalize_answer(a) not in own]
        if not candidates:
            raise EvalkitError(
                f"{wheres[i]}: no other sample has a different answer to use as the wrong one."
            )
        wrong = row_rng(seed, "wrong-answer", i).choice(candidates)
        outcome = _map_parts(trace, lambda s, w=wrong: replace_boxed(s, w))
        outcomes.append(Outcome(outcome.trace, outcome.steps_touched, outcome.solution_touched,
                                outcome.tokens_changed, True, wrong))  # fmt: skip
    return outcomes
