"""Write a run directory exactly as `lm_eval --output_path OUT --log_samples` does, using lm-eval's own
`EvaluationTracker`, for runs whose outputs were produced elsewhere (imported published outputs).

Sample rows are built the way `lm_eval.evaluator.evaluate` builds them (same hashes, same fields), so
everything that reads lm-eval output reads these too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lm_eval.loggers import EvaluationTracker
from lm_eval.utils import handle_non_serializable, hash_string


def sample_row(doc_id: int, doc: dict[str, Any], prompt: str, target: str, gen_kwargs: dict[str, Any],
               responses: list[str], filtered: Any, filter_name: str, metrics: dict[str, float]) -> dict[str, Any]:
    """One `samples_*.jsonl` row for a generation task with `len(responses)` repeats."""
    row = {
        "doc_id": doc_id,
        "doc": doc,
        "target": target,
        "arguments": [(prompt, gen_kwargs)],
        "resps": [responses],
        "filtered_resps": [filtered],
        "filter": filter_name,
        "metrics": list(metrics),
        "doc_hash": hash_string(json.dumps(doc, indent=2, default=handle_non_serializable, ensure_ascii=False)),
        "prompt_hash": hash_string(prompt),
        "target_hash": hash_string(str(target)),
    }
    row.update(metrics)
    return row


def write_run(out: Path, model_args: str, results: dict[str, Any], samples: dict[str, list[dict[str, Any]]],
              model_source: str = "imported") -> Path:
    """Write results_<date>.json and samples_<task>_<date>.jsonl under out/<model>; return that folder."""
    tracker = EvaluationTracker(output_path=str(out))
    tracker.general_config_tracker.log_experiment_args(
        model_source=model_source, model_args=model_args, system_instruction=None, chat_template=None,
        fewshot_as_multiturn=False,
    )
    tracker.save_results_aggregated(results=dict(results), samples=samples)
    if not getattr(tracker, "date_id", None):
        raise RuntimeError(f"lm-eval could not write results under {out}")
    for task, rows in samples.items():
        tracker.save_results_samples(task_name=task, samples=[dict(r) for r in rows])
    return out / str(tracker.general_config_tracker.model_name_sanitized)
