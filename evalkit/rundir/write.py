"""Write a run directory's result files exactly as lm-eval does, atomically.

`write_results` splits the dict `lm_eval.simple_evaluate` returns into `results_<ts>.json` and one
`samples_<task>_<ts>.jsonl` per task (what `evalkit eval` and `evalkit score` write). `write_lmeval_run`
goes through lm-eval's own `EvaluationTracker` for runs whose outputs were produced elsewhere
(imported published outputs), with sample rows built as `lm_eval.evaluator.evaluate` builds them, so
everything that reads lm-eval output reads these too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lm_eval.utils import handle_non_serializable, hash_string

from evalkit.io import atomic_write
from evalkit.rundir.files import timestamp


def jsonl_text(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, default=handle_non_serializable, ensure_ascii=False) + "\n" for r in rows)


def write_samples(path: Path, rows: list[dict[str, Any]]) -> None:
    atomic_write(path, jsonl_text(rows))


def write_results(run_dir: Path, results: dict, stamp: str | None = None, prefix: str = "results") -> dict:
    """Split lm-eval's result dict into the results file and one samples file per task, as lm-eval does."""
    stamp = stamp or timestamp()
    results = dict(results)
    samples = results.pop("samples", None) or {}
    written: dict[str, Any] = {"results": None, "samples": {}}
    for task, rows in samples.items():
        path = run_dir / f"samples_{task}_{stamp}.jsonl"
        write_samples(path, rows)
        written["samples"][task] = path.name
    path = run_dir / f"{prefix}_{stamp}.json"
    atomic_write(path, json.dumps(results, indent=2, default=handle_non_serializable, ensure_ascii=False))
    written["results"] = path.name
    return written


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


def write_lmeval_run(out: Path, model_args: str, results: dict[str, Any], samples: dict[str, list[dict[str, Any]]],
                     model_source: str = "imported") -> Path:
    """Write results_<date>.json and samples_<task>_<date>.jsonl under out/<model> with lm-eval's tracker;
    return that folder. The tracker writes in place, so it writes into a temporary folder whose files are
    then renamed into `out` (samples first, results last): a kill leaves no half-written file."""
    import shutil
    import tempfile

    from lm_eval.loggers import EvaluationTracker

    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out, prefix=".writing-"))
    try:
        tracker = EvaluationTracker(output_path=str(staging))
        tracker.general_config_tracker.log_experiment_args(
            model_source=model_source, model_args=model_args, system_instruction=None, chat_template=None,
            fewshot_as_multiturn=False,
        )
        tracker.save_results_aggregated(results=dict(results), samples=samples)
        if not getattr(tracker, "date_id", None):
            raise RuntimeError(f"lm-eval could not write results under {out}")
        for task, rows in samples.items():
            tracker.save_results_samples(task_name=task, samples=[dict(r) for r in rows])
        name = str(tracker.general_config_tracker.model_name_sanitized)
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        written = sorted((staging / name).iterdir(), key=lambda p: p.name.startswith("results_"))
        for path in written:
            path.replace(folder / path.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
