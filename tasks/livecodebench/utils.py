"""Thin lm-eval adapters; the logic lives in evalkit.lmeval.code_task (no judging code in tasks/)."""

from evalkit.lmeval.code_task import (  # noqa: F401  (names used by the YAML files)
    doc_to_target,
    doc_to_text_lcb,
    doc_to_text_sky_t1,
    judge_responses,
    load_livecodebench,
    process_results,
)
