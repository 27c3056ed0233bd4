"""Turn published model outputs (one JSONL row per problem) into an lm-eval run directory, graded by
evalkit's checker or carrying the published verdicts, so `compare` and `leaderboard add` can use them.

Expected row fields (the layout of shared/grader/generations_public_*.jsonl): `problem_id`, `problem`,
`gold`, `output`, and for `--verdicts published` a boolean `published_correct`. The original prompt
is not in such files, so `prompt_hash` covers the problem text only; the run says so in its config.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from evalkit import metrics
from evalkit.errors import DataError, EvalkitError
from evalkit.grading.version import grader_version
from evalkit.io import atomic_write, read_jsonl, sha256_file
from evalkit.rundir import sample_row, write_lmeval_run

VERDICT_SOURCES = ("checker", "published")
FILTER = "score"


def _verdicts(rows: list[dict[str, Any]], source: str, path: Path, workers: int | None) -> list[dict[str, Any]]:
    if source == "published":
        out = []
        for i, row in enumerate(rows, 1):
            if not isinstance(row.get("published_correct"), bool):
                raise DataError(f"{path}:{i}: --verdicts published needs a boolean 'published_correct'.")
            out.append({"correct": row["published_correct"], "extracted": row.get("published_pred"), "reason": "published"})
        return out
    from evalkit.grading import GradeItem, grade

    verdicts = grade([GradeItem(gold=str(r["gold"]), output=str(r["output"])) for r in rows], workers=workers)
    return [{"correct": v.equal is True, "extracted": v.extracted, "reason": v.reason} for v in verdicts]


def _token_counts(outputs: list[str], tokenizer: Path | None) -> list[int] | None:
    if tokenizer is None:
        return None
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tokenizer))
    return [len(tok.encode(text, add_special_tokens=False)) for text in outputs]


def import_outputs(jsonl: Path, out: Path, model: str, task: str, verdicts: str = "checker",
                   tokenizer: Path | None = None, workers: int | None = None, note: str = "") -> Path:
    """Write `out/<model>/results_*.json` + `samples_<task>_*.jsonl` (+ `out/manifest.json`); return `out`."""
    if verdicts not in VERDICT_SOURCES:
        raise EvalkitError(f"--verdicts {verdicts!r}: choose one of {', '.join(VERDICT_SOURCES)}.")
    if out.exists() and any(out.iterdir()):
        raise EvalkitError(f"{out} exists and is not empty; choose a new output folder.")
    numbered = list(read_jsonl(jsonl))
    if not numbered:
        raise DataError(f"{jsonl}: no rows.")
    for lineno, row in numbered:
        for key in ("problem_id", "problem", "gold", "output"):
            if not isinstance(row.get(key), str):
                raise DataError(f"{jsonl}:{lineno}: missing text field {key!r}.")
    rows = [row for _, row in numbered]
    graded = _verdicts(rows, verdicts, jsonl, workers)
    tokens = _token_counts([r["output"] for r in rows], tokenizer)
    samples, per_doc = [], []
    for i, (row, verdict) in enumerate(zip(rows, graded)):
        if tokens is not None:
            verdict["tokens"] = tokens[i]
        values = metrics.problem_metrics([verdict["extracted"]], [verdict["correct"]])
        if tokens is not None:
            values["mean_output_tokens"] = float(tokens[i])
        per_doc.append(values)
        # the doc in the shape of evalkit's math task docs, so `evalkit score` re-grades it with that task
        doc = {"id": row["problem_id"], "question": row["problem"], "answers": [row["gold"]], "answer": row["gold"]}
        samples.append(sample_row(i, doc, row["problem"], row["gold"], {}, [row["output"]], [verdict], FILTER, values))
    source = {"file": jsonl.name, "sha256": sha256_file(jsonl)}
    for key in ("source", "commit", "bench", "model"):
        values = sorted({str(r[key]) for r in rows if key in r})
        if values:
            source[key] = values[0] if len(values) == 1 else values
    grader = grader_version("math") if verdicts == "checker" else f"published:{source.get('source', jsonl.name)}"
    aggregate = {}
    for key in per_doc[0]:
        vals = [d[key] for d in per_doc]
        mean = sum(vals) / len(vals)
        var = sum((v - mean) ** 2 for v in vals) / max(len(vals) - 1, 1)
        aggregate[f"{key},{FILTER}"] = mean
        aggregate[f"{key}_stderr,{FILTER}"] = (var / len(vals)) ** 0.5
    results = {
        "results": {task: {"alias": task, **aggregate}},
        "configs": {task: {
            "task": task, "dataset_path": f"published-outputs:{source.get('source', jsonl.name)}",
            "output_type": "generate_until", "repeats": 1, "num_fewshot": 0,
            "metadata": {"version": "imported-1", "grader": grader, "verdicts": verdicts,
                         "prompt": "not recorded in the source; prompt_hash covers the problem text"},
        }},
        "versions": {task: "imported-1"},
        "n-shot": {task: 0},
        "higher_is_better": {task: {k: k not in ("extraction_failure_rate", "mean_output_tokens") for k in per_doc[0]}},
        "n-samples": {task: {"original": len(rows), "effective": len(rows)}},
        "config": {"model": "imported", "model_args": f"pretrained={model}", "limit": None, "gen_kwargs": None},
        "date": time.time(),
    }
    out.mkdir(parents=True, exist_ok=True)
    write_lmeval_run(out, f"pretrained={model}", results, {task: samples})
    manifest = {
        "kind": "imported-outputs", "model": model, "preset": f"imported-{verdicts}",
        "grader": grader, "source": source, "note": note,
    }
    atomic_write(out / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return out
