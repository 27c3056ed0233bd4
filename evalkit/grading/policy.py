"""What the question allows: rounded decimals, a numeric tolerance, ordered lists.

Why a policy object rather than one global rule: `0.667` is a right answer to "to the nearest
thousandth" and a wrong one to "as a common fraction". The default (no question, no tolerance) is strict:
a decimal equals an exact gold only when it is exact. Read from the question text once per item; a small
frozen value that travels with each job to the worker processes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_APPROX = re.compile(
    r"nearest\s+(?:tenth|hundredth|thousandth|ten-thousandth|whole|integer|percent|cent|degree)"
    r"|decimal\s+places?|\bplaces?\s+after\s+the\s+decimal|significant\s+(?:figures?|digits?)"
    r"|approximat|\bestimate|\bround(?:ed|ing)?\b|to\s+the\s+nearest|as\s+a\s+decimal|in\s+decimal\s+form"
    r"|\bdecimal\s+(?:approximation|value)",
    re.IGNORECASE,
)
_ORDERED = re.compile(
    r"ordered\s+(?:pair|triple|quadruple|tuple|list)|\bin\s+(?:that|this|the\s+same)\s+order"
    r"|\bin\s+(?:increasing|decreasing|ascending|descending)\s+order|from\s+(?:least|smallest|greatest|largest)\s+to",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Policy:
    rounding: bool = False  # a decimal may be a rounding/truncation of an exact gold
    rel_tol: float | None = None  # --numeric-tolerance: numbers within this relative error are equal
    ordered: bool = False  # the question asks for an ordered answer: bare lists compare in order


STRICT = Policy()


def policy_for(question: str | None = None, numeric_tolerance: float | None = None) -> Policy:
    """The policy for one item: what its question asks for, plus the run's explicit tolerance."""
    if not question and numeric_tolerance is None:
        return STRICT
    q = question or ""
    return Policy(
        rounding=bool(_APPROX.search(q)),
        rel_tol=numeric_tolerance,
        ordered=bool(_ORDERED.search(q)),
    )
