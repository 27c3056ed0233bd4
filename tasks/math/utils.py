"""Thin lm-eval adapters; the logic lives in evalkit.lmeval.math_task (no scoring code in tasks/)."""

from functools import partial

from evalkit.lmeval.math_task import (  # noqa: F401  (names used by the YAML files)
    doc_to_target,
    doc_to_text_boxed_after,
    doc_to_text_boxed_first,
    grade_responses,
    load_benchmark,
    process_results,
)

load_aime24 = partial(load_benchmark, "aime24")
load_aime25 = partial(load_benchmark, "aime25")
load_amc23 = partial(load_benchmark, "amc23")
load_math500 = partial(load_benchmark, "math500")
load_olympiadbench = partial(load_benchmark, "olympiadbench")
