"""Answer extraction and equivalence checking for math benchmarks.

Public API (stable; the lm-eval tasks, `evalkit grade` and `evalkit score` use only these):
- `extract_answer(output) -> str | None`: the final answer of a model response, or None.
- `check(gold, pred, timeout=5.0, question=None, numeric_tolerance=None) -> Verdict`: one comparison,
  bounded in wall-clock time; strict rounding unless the question asks for an approximation.
- `grade(items, workers=None, timeout=5.0, numeric_tolerance=None) -> list[Verdict]`: a batch of
  `GradeItem(gold, pred | output, question)`, in parallel worker processes.
Rules (rounding, units, bases, angles, sets vs tuples): docs/grading.md.
- `answer_key(answer) -> str`: a cheap normalised key that groups equivalent simple answers (maj@n).
"""

from evalkit.grading.api import GradeItem, Verdict, answer_key, check, grade
from evalkit.grading.extract import extract_answer

__all__ = ["GradeItem", "Verdict", "answer_key", "check", "extract_answer", "grade"]
