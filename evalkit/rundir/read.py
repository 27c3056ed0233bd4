"""Read an evaluation run: a plain `lm_eval --output_path OUT --log_samples` directory, an
`evalkit eval` run directory (the same files plus `manifest.json`), a rescored or an imported run.

lm-eval writes `OUT/<model_name_sanitized>/results_<date>.json` and, per task,
`samples_<task>_<date>.jsonl` with one row per (document, filter). Rows carry `doc_id`, `doc`,
`doc_hash`, `prompt_hash`, `target_hash`, the per-document metric values and `filtered_resps`
(stringified with `str()`, so our per-sample verdict dicts come back as Python literals).

`load_run` gives one `ProblemResult` per problem: id, gold, prompt, and per sample the response with
its verdict record (correct, extracted answer, reason, tokens) -- what `evalkit show`, `compare` and
the HTML report look at.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.errors import EvalkitError
from evalkit.io import read_json, sha256_text
from evalkit.rundir import manifest as mf
from evalkit.rundir.files import MANIFEST, RESULTS_RE, find_results
from evalkit.rundir.samples import read_rows, request, responses, verdict_records

PREFERRED_FILTER = "score"  # the filter our math tasks grade under
PREFERRED_METRIC = "avg@n"
_ID_FIELDS = ("unique_id", "problem_id", "id", "task_id", "question_id", "idx")
_QUESTION_FIELDS = ("problem", "question", "Question", "prompt", "query", "input")
_GOLD_FIELDS = ("answer", "answers", "gold", "solution")


@dataclass
class Sample:
    """One response to one problem and what the task's filter recorded about it."""

    response: str
    correct: bool | None  # None: the filter recorded no verdict
    extracted: Any = None  # the extracted answer (math) or whether code was found (code)
    reason: str = ""  # why the grader decided so (math), or the first failing test's detail (code)
    verdict: Any = None  # the raw verdict (True/False/None for math, AC/WA/TLE/... for code)
    tokens: int | None = None
    record: dict[str, Any] = field(default_factory=dict)  # everything the filter recorded

    @property
    def mark(self) -> str:
        """✓ correct, ✗ wrong, ∅ no answer extracted (or no verdict)."""
        if self.correct:
            return "✓"
        return "∅" if self.extracted in (None, False, "") or self.correct is None else "✗"


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
    gold: str = ""
    prompt: str = ""
    samples: list[Sample] = field(default_factory=list)

    @property
    def key(self) -> tuple[int, str]:
        return (self.doc_id, self.text_hash)

    @property
    def marks(self) -> str:
        return "".join(s.mark for s in self.samples)

    @property
    def no_answer(self) -> bool:
        """Some sample has no extracted answer."""
        return any(s.mark == "∅" for s in self.samples)

    @property
    def all_correct(self) -> bool:
        return bool(self.samples) and all(s.correct for s in self.samples) if self.samples else self.score >= 1.0

    def to_dict(self, full: bool = False) -> dict[str, Any]:
        """The per-problem view (`evalkit show --format json`, the HTML report); `full` adds the prompt,
        every response and the whole verdict records."""
        out: dict[str, Any] = {
            "id": self.name, "doc_id": self.doc_id, "score": self.score, "n": self.n, "marks": self.marks,
            "correct": [s.correct for s in self.samples], "extracted": [s.extracted for s in self.samples],
            "gold": self.gold, "tokens": [s.tokens for s in self.samples], "reasons": [s.reason for s in self.samples],
        }
        if full:
            out["prompt"] = self.prompt
            out["responses"] = [s.response for s in self.samples]
            out["records"] = [s.record for s in self.samples]
        return out


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
    results: dict[str, Any] = field(default_factory=dict)  # the whole results_*.json
    manifest: dict[str, Any] = field(default_factory=dict)

    def headline(self, task: str) -> dict[str, Any]:
        """The task's aggregate metrics from the results file (value and stderr per metric,filter)."""
        entry = (self.results.get("results") or {}).get(task) or {}
        return {k: v for k, v in entry.items() if isinstance(v, int | float) and not isinstance(v, bool)}


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


def _preset_name(manifest: dict[str, Any], config: dict[str, Any]) -> str:
    """`evalkit eval` stores the whole resolved preset; older or imported manifests only its name."""
    preset = manifest.get("preset")
    if isinstance(preset, dict):
        preset = preset.get("name")
    if not preset and isinstance(config.get("evalkit"), dict):
        preset = config["evalkit"].get("preset")
    return str(preset or "")


def model_args(config: dict[str, Any]) -> dict[str, str]:
    """lm-eval's results `config.model_args` as a dict: lm-eval writes "pretrained=...,dtype=..." or a dict."""
    args = config.get("model_args") or {}
    if isinstance(args, dict):
        return {str(k): str(v) for k, v in args.items()}
    out = {}
    for part in str(args).split(","):
        if "=" in part:
            key, value = part.split("=", 1)
            out[key.strip()] = value.strip()
    return out


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


def _gold(doc: Any, target: Any) -> str:
    if isinstance(doc, dict):
        for name in _GOLD_FIELDS:
            value = doc.get(name)
            if isinstance(value, list) and value:
                return " | ".join(str(v) for v in value)
            if isinstance(value, str | int | float) and str(value):
                return str(value)
    return "" if target is None else str(target)


def _sample(response: str, record: dict[str, Any] | None) -> Sample:
    if record is None:
        return Sample(response, None)
    tokens = record.get("tokens")
    return Sample(response, bool(record.get("correct")), record.get("extracted"),
                  str(record.get("reason") or record.get("detail") or ""), record.get("verdict"),
                  int(tokens) if isinstance(tokens, int | float) and not isinstance(tokens, bool) else None, record)


def _texts_and_prompt(row: dict[str, Any], where: str) -> tuple[list[str], str]:
    """Responses and prompt of a generation row; other tasks (several requests per doc: loglikelihood)
    still compare on their metrics, with no texts to show."""
    try:
        return (responses(row, where) if "resps" in row else []), request(row, where)[0]
    except EvalkitError:
        return [], ""


def _read_samples(path: Path, n_default: int) -> tuple[str, str, list[ProblemResult]]:
    numbered = read_rows(path, need=("doc_id", "doc_hash", "target_hash"))
    rows = [row for _, row in numbered]
    flt, metric = _pick(rows, path)
    problems, seen = [], set()
    for lineno, row in numbered:
        if row.get("filter", "none") != flt:
            continue
        where = f"{path}:{lineno}"
        if row["doc_id"] in seen:
            raise EvalkitError(f"{where}: doc_id {row['doc_id']} appears twice for filter {flt!r}.")
        seen.add(row["doc_id"])
        if not isinstance(row.get(metric), int | float):
            raise EvalkitError(f"{where}: doc_id {row['doc_id']} has no numeric {metric!r}.")
        records = verdict_records(row.get("filtered_resps"))
        texts, prompt = _texts_and_prompt(row, where)
        if records is not None and len(texts) != len(records):
            texts = (texts + [""] * len(records))[: len(records)]
        samples = [_sample(t, records[i] if records else None) for i, t in enumerate(texts)]
        tokens = [s.tokens for s in samples]
        problems.append(
            ProblemResult(
                doc_id=int(row["doc_id"]),
                text_hash=_text_hash(row.get("doc"), row["doc_hash"]),
                target_hash=row["target_hash"],
                score=float(row[metric]),
                n=len(records) if records else (len(texts) or n_default),
                correct=[bool(r["correct"]) for r in records] if records else None,
                tokens=[int(t) for t in tokens] if records and all(t is not None for t in tokens) else None,
                prompt_hash=row.get("prompt_hash", ""),
                name=_doc_name(row.get("doc"), row["doc_id"]),
                gold=_gold(row.get("doc"), row.get("target")),
                prompt=prompt,
                samples=samples,
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


def _prompting(results: dict[str, Any], manifest: dict[str, Any]) -> dict[str, str]:
    """The system prompt and chat template as both kinds of run record them, under one name each, with
    "none" when unset: a plain lm-eval run without a system prompt then differs visibly from an evalkit
    run with one (lm-eval writes `system_instruction_sha`; `evalkit eval` the prompt in its manifest)."""
    if "system_prompt" in manifest:
        prompt = manifest.get("system_prompt")
        system = sha256_text(prompt)[:12] if prompt else "none"
    else:
        system = str(results.get("system_instruction_sha") or "none")[:12]
    invocation = mf.last_invocation(manifest)
    if "apply_chat_template" in invocation:
        chat = "applied" if invocation["apply_chat_template"] else "none"
    else:
        chat = "applied" if results.get("chat_template_sha") or results.get("chat_template") else "none"
    return {"system prompt": system, "chat template": chat}


def load_run(path: str | Path, label: str | None = None) -> Run:
    """Read a run directory; every task with a samples file becomes a `TaskResult`."""
    root = Path(path)
    results_file = find_results(root)
    results = read_json(results_file)
    date = RESULTS_RE.match(results_file.name).group("ts")  # type: ignore[union-attr]
    manifest_file = next((p for p in (root / MANIFEST, results_file.parent / MANIFEST) if p.is_file()), None)
    manifest = read_json(manifest_file) if manifest_file else {}

    config = results.get("config") or {}
    margs = model_args(config)
    manifest_model, manifest_revision = mf.model_of(manifest)
    model = manifest_model or str(results.get("model_name") or margs.get("pretrained") or config.get("model", "?"))
    revision = manifest_revision or str(margs.get("revision") or config.get("model_revision") or "")
    preset = _preset_name(manifest, config)
    settings: dict[str, str] = {"model": model, "model revision": revision, "preset": preset}
    for key in ("gen_kwargs", "limit"):
        if config.get(key) not in (None, "", {}):
            _flatten(key, config[key], settings)
    settings |= _prompting(results, manifest)
    if results.get("lm_eval_version"):
        settings["lm_eval_version"] = str(results["lm_eval_version"])
    described = {k: v for k, v in manifest.items()
                 if k not in ("model", "model_revision", "preset", "system_prompt", "chat_template_sha256")}
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
    return Run(root, label or root.name, model, revision, preset, date, results_file, manifest_file, settings, tasks,
               results, manifest)


def task_metrics(root: Path) -> tuple[dict[str, tuple[Path, dict[str, Any]]], list[Path]]:
    """task -> (results file, its aggregate entry) over every results_*.json under `root`, later files
    winning (a re-run or rescore replaces an earlier score); groups are skipped. Also the files read."""
    files = sorted((p for p in root.rglob("results_*.json") if RESULTS_RE.match(p.name)),
                   key=lambda p: (p.stat().st_mtime, p.name))
    found: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in files:
        data = read_json(path)
        if not isinstance(data.get("results"), dict):
            raise EvalkitError(f"{path}: no 'results' mapping; is this an lm-eval results file?")
        groups = set(data.get("groups") or {}) | set(data.get("group_subtasks") or {})
        for task, entry in data["results"].items():
            if task not in groups and isinstance(entry, dict):
                found[task] = (path, entry)
    return found, files
