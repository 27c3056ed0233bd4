"""Re-score saved lm-eval samples with the current checker, without generating.

For each samples file the task is rebuilt from its lm-eval config (our `tasks/` on the include
path), its filter pipeline (the batch grader, in parallel) is applied to the stored responses, and its
own `process_results` and aggregations give the new metrics. So `evalkit score` is exactly what a
fresh run would report for the same generations. Reading the files is `evalkit.rundir`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from evalkit.generate.generation import Generation
from evalkit.rundir.samples import literal, read_rows, request, responses, verdict_records


@dataclass
class TaskRescore:
    task: str
    source: Path
    rows: list[dict]
    new_metrics: dict[str, float] = field(default_factory=dict)
    old_metrics: dict[str, float] = field(default_factory=dict)
    docs_changed: int = 0
    samples_flipped: int = 0
    samples: int = 0


def rescore_task(task_obj, name: str, path: Path) -> TaskRescore:
    from lm_eval.api.instance import Instance

    numbered = read_rows(path)
    rows = [row for _, row in numbered]
    result = TaskRescore(task=name, source=path, rows=rows)
    instances = []
    for lineno, row in numbered:
        where = f"{path}:{lineno}"
        texts = responses(row, where)
        old = verdict_records(row.get("filtered_resps")) or []
        counts = [r.get("tokens") for r in old] if len(old) == len(texts) else [None] * len(texts)
        inst = Instance(request_type="generate_until", doc=row["doc"], arguments=request(row, where),
                        idx=0, metadata=(name, row.get("doc_id"), len(texts)))
        # the token counts the run recorded travel with the responses: nothing is re-tokenised
        inst.resps = [Generation(t, c if isinstance(c, int) else None) for t, c in zip(texts, counts, strict=True)]
        instances.append(inst)
    filters = getattr(task_obj, "_filters", [])
    for ensemble in filters:
        ensemble.apply(instances)
    key = rows[0].get("filter") if rows else None
    if key not in {f.name for f in filters}:
        key = filters[0].name if filters else None
    per_metric: dict[str, list[float]] = {}
    for row, inst in zip(rows, instances, strict=True):
        new = task_obj.process_results(inst.doc, [inst.filtered_resps[key]])
        changed = False
        for metric, value in new.items():
            per_metric.setdefault(metric, []).append(value)
            if metric in row and row[metric] != value:
                changed = True
        result.docs_changed += changed
        old_f, new_f = row.get("filtered_resps", [None])[0], inst.filtered_resps[key]
        if isinstance(old_f, list) and isinstance(new_f, list) and len(old_f) == len(new_f):
            result.samples_flipped += sum(_verdict(a) != _verdict(b) for a, b in zip(old_f, new_f, strict=True))
        result.samples += len(inst.resps)
        row["filtered_resps"] = [new_f]
        row["filter"] = key
        row.update(new)
    aggs = task_obj.aggregation()
    for metric, values in per_metric.items():
        agg = aggs.get(metric)
        result.new_metrics[f"{metric},{key}"] = agg(values) if agg else sum(values) / len(values)
    return result


def _verdict(sample) -> object:
    """The correctness bit of one filtered sample (a verdict record, as JSON, repr or dict), else the raw value."""
    record = literal(sample) if isinstance(sample, str) and sample.startswith("{") else sample
    return record.get("correct") if isinstance(record, dict) else sample


def old_metrics(source: dict, task: str) -> dict[str, float]:
    """The task's metrics in the results written with the samples (`source`), when there are any."""
    return {k: v for k, v in (source.get("results") or {}).get(task, {}).items()
            if isinstance(v, int | float) and "stderr" not in k}


# Per-task keys of lm-eval's results that describe how the run was made, not what it scored.
PER_TASK_KEYS = ("configs", "versions", "n-shot", "n-samples", "higher_is_better")
# Run-wide keys of the same kind (model config, chat template, versions).
RUN_KEYS = ("config", "model_name", "model_name_sanitized", "model_source", "chat_template", "chat_template_sha",
            "system_instruction", "system_instruction_sha", "fewshot_as_multiturn", "lm_eval_version",
            "transformers_version", "git_hash")


def carry_run_description(results: dict, source: dict, task: str) -> None:
    """Copy the settings of `source` (the results the samples came with) into the rescored `results`,
    so that a rescored run still compares with a fresh one: same task version, config and n."""
    for key in PER_TASK_KEYS:
        value = (source.get(key) or {}).get(task)
        if value is not None:
            results.setdefault(key, {})[task] = value
    for key in RUN_KEYS:
        if key in source and key not in results:
            results[key] = source[key]
