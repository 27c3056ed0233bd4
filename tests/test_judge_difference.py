"""The first differing line of a wrong answer: found, capped, and bounded on hostile output."""

from __future__ import annotations

import pytest

from sandbox.difference import first_difference


@pytest.mark.parametrize(("expected", "got", "message"), [
    ("1\n2\n3\n", "1\n2\n4\n", "line 3: expected '3', got '4'"),
    ("1\n2\n", "1\n", "line 2: expected '2', got <end of output>"),
    ("1\n", "1\n2\n", "line 2: expected <end of output>, got '2'"),
    ("a b  \n", "a b\n", ""),  # trailing whitespace is not a difference
    ("x", "y" * 10_000, "line 1: expected 'x', got '" + "y" * 78 + "…"),
])
def test_first_difference(expected, got, message):
    assert first_difference(expected, got) == message


def test_a_huge_output_is_cut_to_the_lines_looked_at():
    assert first_difference("1", "1\n" * 1_000_000 + "2", max_lines=10).startswith("line 2: expected <end of output>")
