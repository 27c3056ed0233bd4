"""Thin lm-eval adapter for the number-chains task (logic in evalkit.data.chains and evalkit.lmeval)."""

from functools import partial

from evalkit.lmeval.math_task import (  # noqa: F401  (names used by the YAML files)
    doc_to_target,
    doc_to_text_boxed_first,
    grade_responses,
    load_benchmark,
    process_results,
)

load_chains = partial(load_benchmark, "chains")
