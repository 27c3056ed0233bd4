"""The scoring flags `evalkit eval` and `evalkit score` share, written once so their help and meaning agree."""

from __future__ import annotations

import typer


def second_opinion_option():
    return typer.Option(None, "--second-opinion", help="Grade every sample again with another grader (math-verify; "
                        "needs `pip install 'evalkit\\[audit]'`): prints both scores and writes disagreements.jsonl "
                        "beside the results.")


def numeric_tolerance_option():
    return typer.Option(None, "--numeric-tolerance", metavar="REL", help="Lenient math grading: a number within "
                        "relative error REL of the gold is correct (default: exact, and rounded decimals only where "
                        "the question asks; see docs/grading.md). Recorded in the results.")
