"""Where a wrong answer first departs from the expected output: what `evalkit judge` shows for WA.

The program's output is untrusted: only the first `max_lines` lines are looked at and each side of the
message is capped, so a huge or hostile output cannot make the message large or slow to build.
"""

from __future__ import annotations

CAP = 80  # characters of each side shown


def _show(line: str | None, cap: int) -> str:
    if line is None:
        return "<end of output>"
    text = repr(line)
    return text if len(text) <= cap else text[: cap - 1] + "…"


def first_difference(expected: str, got: str, cap: int = CAP, max_lines: int = 100_000) -> str:
    """'line N: expected X, got Y' for the first line that differs (after trailing whitespace), else ''."""
    want = expected.rstrip().split("\n", max_lines)[:max_lines]
    have = got.rstrip().split("\n", max_lines)[:max_lines]
    for i in range(max(len(want), len(have))):
        a = want[i].rstrip() if i < len(want) else None
        b = have[i].rstrip() if i < len(have) else None
        if a != b:
            return f"line {i + 1}: expected {_show(a, cap)}, got {_show(b, cap)}"
    return ""
