"""Re-score saved lm-eval samples with the current checker, without generating.

For each samples file the task is rebuilt from its lm-eval config (our `tasks/` on the include
path), its filter pipeline (the batch grader, in parallel) is applied to the stored responses, and its
own `process_results` and aggregations give the new metrics. So `evalkit score` is exactly what a
fresh run would report for the same generations.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from evalkit.errors import EvalkitError

SAMPLES_RE = re.compile(r"^samples_(?P<task>.+)_(?P<ts>\d{4}-\d\d-\d\dT[\d.\-]+)\.jsonl$")


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


def find_samples(target: Path) -> dict[str, Path]:
    """task -> samples file: the newest per task in a run directory (not earlier rescores), or one file."""
    if target.is_file():
        m = SAMPLES_RE.match(target.name)
        if not m:
            raise EvalkitError(f"{target}: not an lm-eval samples file (expected samples_<task>_<timestamp>.jsonl).")
        return {m["task"]: target}
    if not target.is_dir():
        raise EvalkitError(f"{target} is neither a run directory nor a samples_*.jsonl file.")
    found: dict[str, tuple[str, Path]] = {}
    for path in target.rglob("samples_*.jsonl"):
        m = SAMPLES_RE.match(path.name)
        if m and (m["task"] not in found or m["ts"] > found[m["task"]][0]):
            found[m["task"]] = (m["ts"], path)
    if not found:
        raise EvalkitError(f"no samples_<task>_<timestamp>.jsonl files under {target}.")
    return {task: path for task, (_ts, path) in sorted(found.items())}


def read_rows(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise EvalkitError(f"{path}:{n}: not valid JSON ({err.msg}).") from None
        if not isinstance(row, dict) or "doc" not in row or "resps" not in row:
            raise EvalkitError(f"{path}:{n}: an lm-eval sample needs 'doc' and 'resps' (run with --log_samples).")
        rows.append(row)
    return rows


def rescore_task(task_obj, name: str, path: Path) -> TaskRescore:
    from lm_eval.api.instance import Instance

    rows = read_rows(path)
    result = TaskRescore(task=name, source=path, rows=rows)
    instances = []
    for row in rows:
        if len(row["resps"]) != 1:
            raise EvalkitError(f"{path}: doc {row.get('doc_id')} has {len(row['resps'])} requests; only generation tasks can be re-scored.")
        inst = Instance(request_type="generate_until", doc=row["doc"], arguments=tuple(row["arguments"][0]),
                        idx=0, metadata=(name, row.get("doc_id"), len(row["resps"][0])))
        inst.resps = list(row["resps"][0])
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
    """The correctness bit of one filtered sample (our JSON verdict records), else the raw value."""
    if isinstance(sample, str) and sample.startswith("{"):
        try:
            return json.loads(sample).get("correct")
        except json.JSONDecodeError:
            return sample
    return sample


def source_results(path: Path) -> dict:
    """The whole results_*.json written with these samples ({} when there is none)."""
    m = SAMPLES_RE.match(path.name)
    candidate = path.parent / f"results_{m['ts']}.json" if m else None
    if candidate is None or not candidate.is_file():
        return {}
    try:
        data = json.loads(candidate.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise EvalkitError(f"cannot read {candidate}: {err}.") from None
    return data if isinstance(data, dict) else {}


def old_results(path: Path, task: str) -> dict[str, float]:
    """The task's metrics from the results_*.json written with these samples, when there is one."""
    return {k: v for k, v in source_results(path).get("results", {}).get(task, {}).items()
            if isinstance(v, (int, float)) and "stderr" not in k}


def run_data_dir(run_dir: Path) -> str | None:
    """The local benchmark directory the run's latest `evalkit eval` read, when it is still there."""
    manifest = run_dir / "manifest.json"
    if not manifest.is_file():
        return None
    path = ((json.loads(manifest.read_text()).get("invocations") or [{}])[-1]).get("data_dir")
    return path if path and Path(path).is_dir() else None


def run_tokenizer(run_dir: Path) -> str | None:
    """The tokenizer of the model a run evaluated (manifest.json, else lm-eval's results config), when
    it loads here; `evalkit score` hands it to the token-counting filters, which have no model to ask."""
    from evalkit.lmeval.output_tokens import _load

    name = None
    manifest = run_dir / "manifest.json"
    if manifest.is_file():
        data = json.loads(manifest.read_text())
        backend = ((data.get("invocations") or [{}])[-1]).get("backend") or {}
        model = data.get("model") or {}
        name = backend.get("tokenizer") or model.get("local_path") or model.get("id")
    else:
        for path in sorted(run_dir.glob("results_*.json"), reverse=True):
            args = (json.loads(path.read_text()).get("config") or {}).get("model_args")
            if isinstance(args, str):  # lm_eval's "pretrained=...,tokenizer=..."
                args = dict(kv.split("=", 1) for kv in args.split(",") if "=" in kv)
            if isinstance(args, dict):
                name = args.get("tokenizer") or args.get("pretrained") or args.get("model")
                break
    if not name:
        return None
    try:
        _load(str(name))
    except (OSError, ValueError):
        return None
    return str(name)


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
