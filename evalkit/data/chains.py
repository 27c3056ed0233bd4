"""Number chains: a procedural reasoning benchmark small enough for a model trained on a laptop.

A problem gives a four-digit number and an operation (rotate its digits left or right) to apply
three times; each thought step applies it to the previous step's result, so the steps form a chain
of dependent computations, and the answer is the last result in `\\boxed{}`:

    Start with 4718. Rotate the digits left, three times. What is the number now?

(4718 -> 7184 -> 1847 -> 8471.) Rotations were chosen over arithmetic because a model small enough to
train in a minute on a CPU learns to move digits long before it learns an addition table: the
demo has to show learning within its time budget, not to be hard.

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

from evalkit.data.prompts import BOXED_FIRST
from evalkit.data.records import Problem

HELD_OUT_SEED = 16
HELD_OUT_COUNT = 300
STEPS = 3  # operations per problem
DIGITS = 4  # digits 1-9 only, so a rotation never makes a leading zero
OPS = ("left", "right")
TIMES = {2: "two", 3: "three", 4: "four"}
THOUGHT = "<|begin_of_thought|>\n\n{steps}\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\n{solution}\n\n<|end_of_solution|>"


def rotate(number: str, way: str) -> str:
    return number[1:] + number[0] if way == "left" else number[-1] + number[:-1]


def _chain(rng: random.Random) -> tuple[str, str]:
    return "".join(rng.choice("123456789") for _ in range(DIGITS)), rng.choice(OPS)


def question_text(start: str, way: str) -> str:
    return f"Start with {start}. Rotate the digits {way}, {TIMES[STEPS]} times. What is the number now?"


def trace(start: str, way: str) -> tuple[str, str]:
    """The Sky-T1 style demonstration of one problem and its answer."""
    steps, value = [], start
    for _ in range(STEPS):
        new = rotate(value, way)
        steps.append(f"Rotating {value} {way} gives {new}.")
        before, value = value, new
    steps.append(f"Wait, let me check the last step: {before} rotated {way} is {value}.")
    solution = f"The number is \\boxed{{{value}}}."
    return THOUGHT.format(steps="\n\n".join(steps), solution=solution), value


def _problems(seed: int) -> Iterator[tuple[str, str, str]]:
    rng = random.Random(seed)
    while True:
        start, way = _chain(rng)
        yield question_text(start, way), start, way


def held_out(count: int = HELD_OUT_COUNT, seed: int = HELD_OUT_SEED) -> list[Problem]:
    """The fixed evaluation set: `count` distinct problems drawn from `seed`."""
    out, seen = [], set()
    for question, start, way in _problems(seed):
        if question in seen:
            continue
        seen.add(question)
        _, answer = trace(start, way)
        out.append(Problem(id=f"chains-{len(out):03d}", question=question, answers=[answer],
                           metadata={"start": start, "rotate": way}))
        if len(out) == count:
            return out
    raise AssertionError("unreachable")


def demonstrations(count: int, seed: int = 0) -> list[dict]:
    """`count` training rows (never a held-out question): question, prompt, Sky-T1 response, answer.

    `prompt` is what the evaluation task shows the model (the math tasks' Sky-T1 prompt); train on it
    (`data.question_field: prompt`) so that training and evaluation see the same text."""
    held = {p.question for p in held_out()}
    rows = []
    for question, start, way in _problems(1_000_003 + seed):
        if question in held:
            continue
        response, answer = trace(start, way)
        rows.append({"id": f"train-{len(rows)}", "question": question, "prompt": BOXED_FIRST.format(question=question),
                     "response": response, "answer": answer})  # fmt: skip
        if len(rows) == count:
            return rows
    raise AssertionError("unreachable")
