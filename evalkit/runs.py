"""Read an evaluation run: a plain `lm_eval --output_path OUT --log_samples` directory or an
`evalkit eval` run directory (the same files plus `manifest.json`).

lm-eval writes `OUT/<model_name_sanitized>/results_<date>.json` and, per task,
`samples_<task>_<date>.jsonl` with one row per (document, filter). Rows carry `doc_id`, `doc`,
`doc_hash`, `prompt_hash`, `target_hash`, the per-document metric values and `filtered_resps`
(stringified with `str()`, so our per-sample verdict dicts come back as Python literals).
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.errors import EvalkitError
from evalkit.io import read_jsonl

PREFERRED_FILTER = "score"  # the filter our math tasks grade under
PREFERRED_METRIC = "avg@n"
_ID_FIELDS = ("unique_id", "problem_id", "id", "task_id", "question_id", "idx")
_QUESTION_FIELDS = ("problem", "question", "Question", "prompt", "query", "input")
_RESULTS_RE = re.compile(r"^results_(?P<date>.+)\.json$")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class ProblemResult:
    """One problem of one task in one run."""

    doc_id: int
    text_hash: str  # hash of the problem text (or of the whole doc when no text field is known)
    target_hash: str
    score: float  # the per-document metric value (avg@n for our tasks)
    n: int  # samples behind `score`
    correct: list[bool] | None = None  # per-sample verdicts, when the filter recorded them
    tokens: list[int] | None = None  # per-sample output lengths, when recorded
    prompt_hash: str = ""
    name: str = ""  # the dataset's own id for the problem when the doc has one, else the doc_id

    @property
    def key(self) -> tuple[int, str]:
        return (self.doc_id, self.text_hash)


@dataclass
class TaskResult:
    name: str
    metric: str
    filter: str
    problems: list[ProblemResult]
    samples_file: Path
    settings: dict[str, str] = field(default_factory=dict)
    identity: dict[str, str] = field(default_factory=dict)  # version and dataset: must match to compare

    @property
    def binary(self) -> bool:
        return all(p.n == 1 and p.score in (0.0, 1.0) for p in self.problems)


@dataclass
class Run:
    path: Path
    label: str
    model: str
    model_revision: str
    preset: str
    date: str
    results_file: Path
    manifest_file: Path | None
    settings: dict[str, str]
    tasks: dict[str, TaskResult]


def _find_results(root: Path) -> Path:
    if not root.is_dir():
        raise EvalkitError(f"run directory {root} does not exist or is not a directory.")
    found = sorted(p for p in root.rglob("results_*.json") if _RESULTS_RE.match(p.name))
    if not found:
        raise EvalkitError(f"{root} holds no results_*.json: is it an lm-eval --output_path or evalkit run dir?")
    parents = sorted({p.parent for p in found})
    if len(parents) > 1:
        listed = ", ".join(str(p.relative_to(root)) for p in parents)
        raise EvalkitError(f"{root} holds results of several models ({listed}); pass one of those folders.")
    return found[-1]  # lm-eval date ids are ISO timestamps: the last one sorts last


# Keys whose values differ on every run (timestamps, paths, invocation history): never settings or identity.
_VOLATILE = re.compile(r"(time|date|output|path|host|duration|config_source|_dir$|^invocations$|^latest_results$"
                       r"|^local_file$|^files$)", re.IGNORECASE)
# What identifies a dataset's content in an evalkit manifest (`datasets.<task>`): never where it was read from.
_DATASET_FINGERPRINTS = ("docs", "docs_sha256", "local_sha256", "files_sha256", "hub", "hub_subset", "hub_revision",
                         "dataset_name", "revision", "test_split")


def _flatten(prefix: str, value: Any, out: dict[str, str]) -> None:
    """Nested dicts become dotted keys; volatile keys are dropped at every level."""
    if isinstance(value, dict):
        for key in sorted(value):
            if not _VOLATILE.search(str(key)):
                _flatten(f"{prefix}.{key}" if prefix else str(key), value[key], out)
    else:
        out[prefix] = json.dumps(value, sort_keys=True, ensure_ascii=False) if not isinstance(value, str) else value


def _dataset_fingerprints(info: Any) -> Any:
    """A manifest `datasets.<task>` entry reduced to content fingerprints (file hashes, not file paths)."""
    if not isinstance(info, dict):
        return info
    kept = {k: info[k] for k in _DATASET_FINGERPRINTS if info.get(k) is not None}
    if isinstance(info.get("files"), dict):
        kept["files_sha256"] = sorted(str(v) for v in info["files"].values())
    return kept


def _manifest_model(manifest: dict[str, Any]) -> tuple[str, str]:
    """(model id, revision) from a manifest: `evalkit eval` writes a dict {id, revision, resolved_revision, ...},
    imported runs a plain string."""
    model = manifest.get("model")
    if isinstance(model, dict):
        revision = model.get("resolved_revision") or model.get("revision") or manifest.get("model_revision")
        return str(model.get("id") or ""), str(revision or "")
    return str(model or ""), str(manifest.get("model_revision") or "")


def _preset_name(manifest: dict[str, Any], config: dict[str, Any]) -> str:
    """`evalkit eval` stores the whole resolved preset; older or imported manifests only its name."""
    preset = manifest.get("preset")
    if isinstance(preset, dict):
        preset = preset.get("name")
    if not preset and isinstance(config.get("evalkit"), dict):
        preset = config["evalkit"].get("preset")
    return str(preset or "")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise EvalkitError(f"cannot read {path}: {err}.") from None
    if not isinstance(data, dict):
        raise EvalkitError(f"{path} is not a JSON object.")
    return data


def _model_args(config: dict[str, Any]) -> dict[str, str]:
    args = config.get("model_args") or {}
    if isinstance(args, dict):
        return {str(k): str(v) for k, v in args.items()}
    out = {}
    for part in str(args).split(","):
        if "=" in part:
            key, value = part.split("=", 1)
            out[key.strip()] = value.strip()
    return out


def _literal(text: str) -> Any:
    """A verdict dict written as JSON (evalkit tasks) or as a Python repr (lm-eval's str() of a dict)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


def _parse_verdicts(filtered: Any) -> tuple[list[bool], list[int] | None] | None:
    """Per-sample verdict dicts from `filtered_resps` (lists of str(dict)), or None if absent."""
    items: list[Any] = []

    def walk(value: Any) -> None:
        if isinstance(value, list | tuple):
            for item in value:
                walk(item)
        else:
            items.append(value)

    walk(filtered)
    verdicts = []
    for item in items:
        if isinstance(item, str) and item.startswith("{"):
            item = _literal(item)
        if not isinstance(item, dict) or "correct" not in item:
            return None
        verdicts.append(item)
    if not verdicts:
        return None
    correct = [bool(v["correct"]) for v in verdicts]
    tokens = [v.get("tokens") for v in verdicts]
    lengths = [int(t) for t in tokens] if all(isinstance(t, int | float) for t in tokens) else None
    return correct, lengths


def _text_hash(doc: Any, fallback: str) -> str:
    if isinstance(doc, dict):
        for name in _QUESTION_FIELDS:
            if isinstance(doc.get(name), str):
                return sha256_text(" ".join(doc[name].split()))
    return fallback


def _doc_name(doc: Any, doc_id: int) -> str:
    if isinstance(doc, dict):
        for name in _ID_FIELDS:
            if isinstance(doc.get(name), str | int):
                return str(doc[name])
    return str(doc_id)


def _pick(rows: list[dict[str, Any]], path: Path) -> tuple[str, str]:
    filters = list(dict.fromkeys(r.get("filter", "none") for r in rows))
    flt = PREFERRED_FILTER if PREFERRED_FILTER in filters else filters[0]
    first = next(r for r in rows if r.get("filter", "none") == flt)
    metrics = first.get("metrics") or [k for k, v in first.items() if isinstance(v, int | float) and k != "doc_id"]
    if not metrics:
        raise EvalkitError(f"{path}: rows carry no per-document metric values.")
    return flt, PREFERRED_METRIC if PREFERRED_METRIC in metrics else metrics[0]


def _read_samples(path: Path, n_default: int) -> tuple[str, str, list[ProblemResult]]:
    rows = []
    for lineno, row in read_jsonl(path):
        for key in ("doc_id", "doc_hash", "target_hash"):
            if key not in row:
                raise EvalkitError(f"{path}:{lineno}: missing {key!r}; was it written by lm-eval --log_samples?")
        rows.append(row)
    if not rows:
        raise EvalkitError(f"{path} is empty.")
    flt, metric = _pick(rows, path)
    problems, seen = [], set()
    for row in rows:
        if row.get("filter", "none") != flt:
            continue
        if row["doc_id"] in seen:
            raise EvalkitError(f"{path}: doc_id {row['doc_id']} appears twice for filter {flt!r}.")
        seen.add(row["doc_id"])
        if not isinstance(row.get(metric), int | float):
            raise EvalkitError(f"{path}: doc_id {row['doc_id']} has no numeric {metric!r}.")
        parsed = _parse_verdicts(row.get("filtered_resps"))
        problems.append(
            ProblemResult(
                doc_id=int(row["doc_id"]),
                text_hash=_text_hash(row.get("doc"), row["doc_hash"]),
                target_hash=row["target_hash"],
                score=float(row[metric]),
                n=len(parsed[0]) if parsed else n_default,
                correct=parsed[0] if parsed else None,
                tokens=parsed[1] if parsed else None,
                prompt_hash=row.get("prompt_hash", ""),
                name=_doc_name(row.get("doc"), row["doc_id"]),
            )
        )
    problems.sort(key=lambda p: p.doc_id)
    return flt, metric, problems


def _task_settings(name: str, results: dict[str, Any], problems: list[ProblemResult]) -> tuple[dict, dict]:
    cfg = (results.get("configs") or {}).get(name, {}) or {}
    dataset_kwargs = cfg.get("dataset_kwargs") or {}
    identity = {
        "task version": str((results.get("versions") or {}).get(name, "")),
        "dataset": " ".join(str(x) for x in (cfg.get("dataset_path"), cfg.get("dataset_name")) if x),
        "dataset revision": str(dataset_kwargs.get("revision", "")),
        "split": str(cfg.get("test_split", "")),
    }
    settings: dict[str, str] = {}
    _flatten("sampling", cfg.get("generation_kwargs") or {}, settings)
    settings["repeats"] = str(cfg.get("repeats", 1))
    settings["num_fewshot"] = str(cfg.get("num_fewshot", 0))
    settings["prompt hash"] = sha256_text("".join(p.prompt_hash for p in problems))[:12]
    _flatten("metadata", cfg.get("metadata") or {}, settings)
    return settings, identity


def _manifest_identity(settings: dict[str, str], task: str) -> dict[str, str]:
    """Dataset facts an evalkit manifest records for this task (e.g. manifest.dataset_revisions.<task>)."""
    names = {task, task.removeprefix("evalkit_")}
    return {key.removeprefix("manifest."): value for key, value in settings.items()
            if key.startswith("manifest.") and "dataset" in key.lower() and names & set(key.split("."))}


def load_run(path: str | Path, label: str | None = None) -> Run:
    """Read a run directory; every task with a samples file becomes a `TaskResult`."""
    root = Path(path)
    results_file = _find_results(root)
    results = _read_json(results_file)
    date = _RESULTS_RE.match(results_file.name).group("date")  # type: ignore[union-attr]
    manifest_file = next((p for p in (root / "manifest.json", results_file.parent / "manifest.json") if p.is_file()), None)
    manifest = _read_json(manifest_file) if manifest_file else {}

    config = results.get("config") or {}
    margs = _model_args(config)
    manifest_model, manifest_revision = _manifest_model(manifest)
    model = manifest_model or str(results.get("model_name") or margs.get("pretrained") or config.get("model", "?"))
    revision = manifest_revision or str(margs.get("revision") or config.get("model_revision") or "")
    preset = _preset_name(manifest, config)
    settings: dict[str, str] = {"model": model, "model revision": revision, "preset": preset}
    for key in ("gen_kwargs", "limit"):
        if config.get(key) not in (None, "", {}):
            _flatten(key, config[key], settings)
    for key in ("chat_template_sha", "system_instruction_sha", "lm_eval_version"):
        if results.get(key):
            settings[key.replace("_sha", " hash")] = str(results[key])
    described = {k: v for k, v in manifest.items() if k not in ("model", "model_revision", "preset")}
    if isinstance(described.get("datasets"), dict):
        described["datasets"] = {task: _dataset_fingerprints(info) for task, info in described["datasets"].items()}
    _flatten("manifest", described, settings)

    tasks: dict[str, TaskResult] = {}
    for task in sorted(results.get("configs") or results.get("results") or {}):
        samples = results_file.parent / f"samples_{task}_{date}.jsonl"
        if not samples.is_file():
            continue
        repeats = int(((results.get("configs") or {}).get(task) or {}).get("repeats", 1) or 1)
        flt, metric, problems = _read_samples(samples, repeats)
        task_settings, identity = _task_settings(task, results, problems)
        identity.update(_manifest_identity(settings, task))
        tasks[task] = TaskResult(task, metric, flt, problems, samples, task_settings, identity)
    if not tasks:
        raise EvalkitError(f"{results_file} has no samples_<task>_{date}.jsonl beside it: rerun lm-eval with --log_samples.")
    return Run(root, label or root.name, model, revision, preset, date, results_file, manifest_file, settings, tasks)
