"""Number chains: a procedural reasoning benchmark small enough for a model trained on a laptop.

A problem starts from a two-digit number and adds (or subtracts) the same one-digit number three
times; each thought step does one of them on the previous step's result, so the steps form a chain
of dependent computations, and the answer is the last result in `\\boxed{}`:

    Start with 47. Add 8, three times. What is the number now?

Demonstrations are written in the Sky-T1 trace format (thought steps separated by blank lines
between `<|begin_of_thought|>` and `<|end_of_thought|>`, then the solution), so every kind of
`evalkit perturb` applies to them unchanged: digits to corrupt, a boxed answer to make wrong, a
self-check step (`Wait, let me check ...`) whose keywords can be removed, steps to shuffle or delete.

The held-out set is a fixed, seeded list of problems (`held_out()`); the training generator
(`demonstrations()`) draws from another seed stream and never emits a held-out question.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from evalkit.data.records import Problem

HELD_OUT_SEED = 16
HELD_OUT_COUNT = 300
STEPS = 3  # operations per problem
LOW, HIGH = 10, 99  # every intermediate result stays a two-digit number
OPS = {"Add": "+", "Subtract": "-"}
TIMES = {2: "two", 3: "three", 4: "four"}

THOUGHT = "<|begin_of_thought|>\n\n{steps}\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\n{solution}\n\n<|end_of_solution|>"


def _chain(rng: random.Random) -> tuple[int, list[tuple[str, int]]]:
    word, d = rng.choice(list(OPS)), rng.randint(1, 9)
    span = d * STEPS
    start = rng.randint(LOW, HIGH - span) if word == "Add" else rng.randint(LOW + span, HIGH)
    return start, [(word, d)] * STEPS


def question_text(start: int, ops: list[tuple[str, int]]) -> str:
    word, d = ops[0]
    return f"Start with {start}. {word} {d}, {TIMES[len(ops)]} times. What is the number now?"


def trace(start: int, ops: list[tuple[str, int]]) -> tuple[str, int]:
    """The Sky-T1 style demonstration of one problem and its answer."""
    steps, value = [], start
    for word, d in ops:
        new = value + d if word == "Add" else value - d
        steps.append(f"{value} {OPS[word]} {d} = {new}.")
        last, value = (value, word, d, new), new
    before, word, d, new = last
    steps.append(f"Wait, let me check the last step: {before} {OPS[word]} {d} = {new}.")
    solution = f"The number is \\boxed{{{value}}}."
    return THOUGHT.format(steps="\n\n".join(steps), solution=solution), value


def _problems(seed: int) -> Iterator[tuple[str, int, list[tuple[str, int]]]]:
    rng = random.Random(seed)
    while True:
        start, ops = _chain(rng)
        yield question_text(start, ops), start, ops


def held_out(count: int = HELD_OUT_COUNT, seed: int = HELD_OUT_SEED) -> list[Problem]:
    """The fixed evaluation set: `count` distinct problems drawn from `seed`."""
    out, seen = [], set()
    for question, start, ops in _problems(seed):
        if question in seen:
            continue
        seen.add(question)
        _, answer = trace(start, ops)
        out.append(Problem(id=f"chains-{len(out):03d}", question=question, answers=[str(answer)],
                           metadata={"start": start, "ops": [f"{w} {d}" for w, d in ops]}))  # fmt: skip
        if len(out) == count:
            return out
    raise AssertionError("unreachable")


def demonstrations(count: int, seed: int = 0) -> list[dict]:
    """`count` training rows (never a held-out question): question, prompt, Sky-T1 response, answer.

    `prompt` is what the evaluation task shows the model (the math tasks' Sky-T1 prompt); train on it
    (`data.question_field: prompt`) so that training and evaluation see the same text."""
    from evalkit.harness.math_task import BOXED_FIRST
    held = {p.question for p in held_out()}
    rows = []
    for question, start, ops in _problems(1_000_003 + seed):
        if question in held:
            continue
        response, answer = trace(start, ops)
        rows.append({"id": f"train-{len(rows)}", "question": question, "prompt": BOXED_FIRST.format(question=question),
                     "response": response, "answer": str(answer)})  # fmt: skip
        if len(rows) == count:
            return rows
    raise AssertionError("unreachable")
