"""Split a long reasoning trace into thought steps and a solution, losslessly.

Perturbations act on steps (paragraphs of the thought) and leave the solution apart, so the trace is
cut into: a prefix (opening tag and leading blank space), the steps and the blank-line separators
between them, a middle (closing tag, opening solution tag), the solution, and a suffix (closing solution
tag). `Trace.join()` glues the parts back: segmenting then joining returns the original text exactly.

Formats: Sky-T1 (`<|begin_of_thought|>…<|end_of_thought|><|begin_of_solution|>…<|end_of_solution|>`),
R1 (`<think>…</think>` then the answer; a missing `<think>` is allowed, chat templates often add it to
the prompt), and plain text (every paragraph is a step, no solution). Truncated traces (thought never
closed, common when generation hits the length cap) keep everything in the thought.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from evalkit.errors import DataError

FORMATS = ("sky-t1", "r1", "plain")
SKY = ("<|begin_of_thought|>", "<|end_of_thought|>", "<|begin_of_solution|>", "<|end_of_solution|>")
R1 = ("<think>", "</think>")
# A paragraph boundary: at least one blank (whitespace-only) line, with the spaces around it, so that
# steps never start or end with white space and any reordering of them re-segments into the same steps.
PARAGRAPH_BREAK = re.compile(r"[ \t\r]*\n[ \t\r]*\n\s*")
DEFAULT_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Trace:
    """A trace cut into parts; `join()` is the exact inverse of `segment()`."""

    format: str
    prefix: str
    steps: list[str]
    separators: list[str]  # len(steps) - 1 blank-line runs, kept so that join() is exact
    middle: str
    solution: str
    suffix: str = ""
    trailing: str = field(default="")  # blank space between the last step and `middle`

    def join(self) -> str:
        body = ""
        for i, step in enumerate(self.steps):
            if i:
                body += self.separators[i - 1] if i - 1 < len(self.separators) else DEFAULT_SEPARATOR
            body += step
        return self.prefix + body + self.trailing + self.middle + self.solution + self.suffix

    def with_steps(self, steps: list[str]) -> Trace:
        """The same trace with other steps; original separators are reused by position."""
        return replace(self, steps=list(steps))


def _split_thought(text: str) -> tuple[str, list[str], list[str], str]:
    """(leading space, steps, separators, trailing space) of a thought body."""
    stripped = text.strip()
    if not stripped:
        return text, [], [], ""
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    steps, separators, pos = [], [], 0
    for match in PARAGRAPH_BREAK.finditer(stripped):
        steps.append(stripped[pos : match.start()])
        separators.append(match.group())
        pos = match.end()
    steps.append(stripped[pos:])
    return lead, steps, separators, trail


def detect_format(text: str) -> str:
    if SKY[0] in text or SKY[1] in text:
        return "sky-t1"
    if R1[0] in text or R1[1] in text:
        return "r1"
    return "plain"


def segment(text: str, fmt: str = "auto", where: str = "trace") -> Trace:
    """Cut `text` into a Trace; malformed tags raise DataError naming `where` (e.g. file:line)."""
    if not isinstance(text, str):
        raise DataError(f"{where}: the reasoning is a {type(text).__name__}, expected a string.")
    fmt = detect_format(text) if fmt == "auto" else fmt
    if fmt == "sky-t1":
        return _segment_tagged(text, fmt, SKY[0], SKY[1], where, SKY[2], SKY[3])
    if fmt == "r1":
        return _segment_tagged(text, fmt, R1[0], R1[1], where)
    if fmt == "plain":
        lead, steps, seps, trail = _split_thought(text)
        return Trace("plain", lead, steps, seps, "", "", "", trail)
    raise DataError(f"{where}: unknown trace format {fmt!r} (expected one of {', '.join(FORMATS)}, or auto).")


def _segment_tagged(
    text: str, fmt: str, open_tag: str, close_tag: str, where: str, sol_open: str = "", sol_close: str = ""
) -> Trace:
    for tag in (open_tag, close_tag):
        if text.count(tag) > 1:
            raise DataError(f"{where}: {fmt} trace has {text.count(tag)} {tag} tags, expected at most one.")
    start = text.find(open_tag)
    close = text.find(close_tag)
    if start < 0 and close < 0:
        raise DataError(f"{where}: not a {fmt} trace (no {open_tag} or {close_tag} tag).")
    if start >= 0 and close >= 0 and close < start:
        raise DataError(f"{where}: {close_tag} comes before {open_tag}.")
    if fmt == "sky-t1" and start < 0:
        raise DataError(f"{where}: sky-t1 trace has {close_tag} but no {open_tag}.")
    body_start = start + len(open_tag) if start >= 0 else 0
    body_end = close if close >= 0 else len(text)
    lead, steps, seps, trail = _split_thought(text[body_start:body_end])
    prefix = text[:body_start] + lead
    if close < 0:  # truncated: the thought never closed, there is no solution
        return Trace(fmt, prefix, steps, seps, "", "", "", trail)
    rest = text[close:]
    middle_end = len(close_tag)
    if sol_open and sol_open in rest:
        middle_end = rest.index(sol_open) + len(sol_open)
    after = rest[middle_end:]
    middle_end += len(after) - len(after.lstrip())
    middle, solution = rest[:middle_end], rest[middle_end:]
    suffix = ""
    if sol_close and sol_close in solution:
        cut = solution.rindex(sol_close)
        cut -= len(solution[:cut]) - len(solution[:cut].rstrip())
        solution, suffix = solution[:cut], solution[cut:]
    return Trace(fmt, prefix, steps, seps, middle, solution, suffix, trail)
