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


HEAD_BYTES = 1 << 20  # only this much of an untrusted output is decoded for the message


def _head(text: str) -> str:
    """`text` up to its last whole line within HEAD_BYTES characters."""
    if len(text) <= HEAD_BYTES:
        return text
    cut = text.rfind("\n", 0, HEAD_BYTES)
    return text[: cut if cut > 0 else HEAD_BYTES]


def wa_detail(stdout: bytes, expected: str) -> str:
    """The WA message for a stdio test, built from a bounded head of the program's output."""
    got = stdout[: HEAD_BYTES + 1].decode("utf-8", errors="replace")
    return (first_difference(_head(expected), _head(got))
            or f"the output differs after its first {HEAD_BYTES >> 20} MiB")


def call_wa_detail(expected: str, value: object) -> str:
    """The WA message for a call-based test. `value` was parsed from a size-bounded result, but it may still
    hold an integer too long to print or be nested too deep to serialise: then say so instead."""
    import json

    try:
        got = json.dumps(value, default=repr)
    except (ValueError, RecursionError):
        return "the returned value differs (too large or too deep to show)"
    return first_difference(_head(expected), _head(got))
