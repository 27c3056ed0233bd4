"""Answer extraction and equivalence checking for math benchmarks.

Public API (stable; the lm-eval tasks, `evalkit grade` and `evalkit score` use only these):
- `extract_answer(output) -> str | None`: the final answer of a model response, or None.
- `check(gold, pred, timeout=5.0) -> Verdict`: one comparison, bounded in wall-clock time.
- `grade(items, workers=None, timeout=5.0) -> list[Verdict]`: a batch, in parallel worker processes.
- `answer_key(answer) -> str`: a cheap normalised key that groups equivalent simple answers (maj@n).
"""

from evalkit.grading.api import GradeItem, Verdict, answer_key, check, grade
from evalkit.grading.extract import extract_answer

__all__ = ["GradeItem", "Verdict", "answer_key", "check", "extract_answer", "grade"]
