"""Build small run directories exactly as lm-eval writes them (via lm-eval's own EvaluationTracker)."""

from __future__ import annotations

import json
from pathlib import Path

from evalkit.metrics import problem_metrics
from evalkit.rundir import sample_row
from evalkit.rundir import write_lmeval_run as tracker_write

PROMPT = "Return your final response within \\boxed{{}}. {problem}"


def problems(count: int, offset: int = 0) -> list[dict]:
    return [{"unique_id": f"test/p{i}.json", "problem": f"What is {i} + {i}?", "answer": str(2 * i)}
            for i in range(offset, offset + count)]


def make_run(out: Path, docs: list[dict], correct: list[list[bool]], task: str = "evalkit_math500",
             version: float = 1.0, manifest: dict | None = None, model: str = "org/model-a",
             temperature: float = 0.0, extra_filter: bool = False, doc_ids: list[int] | None = None,
             repr_verdicts: bool = False) -> Path:
    """A run of `task`: doc i has len(correct[i]) samples with those verdicts (filter `score`).

    Verdicts are JSON strings, as evalkit's math tasks store them; `repr_verdicts` stores dicts instead,
    which lm-eval's logger writes as Python reprs (what other custom filters produce)."""
    rows = []
    n = len(correct[0])
    gen = {"temperature": temperature, "max_gen_toks": 1024, "do_sample": temperature > 0}
    for i, (doc, verdicts) in enumerate(zip(docs, correct)):
        doc_id = doc_ids[i] if doc_ids else i
        answers = [doc["answer"] if ok else "0" for ok in verdicts]
        verdict_dicts = [{"correct": ok, "extracted": a, "verdict": ok, "tokens": 100 + 40 * j + 7 * doc_id}
                         for j, (ok, a) in enumerate(zip(verdicts, answers))]
        metrics = problem_metrics(answers, verdicts)
        metrics["mean_output_tokens"] = sum(f["tokens"] for f in verdict_dicts) / n
        filtered = verdict_dicts if repr_verdicts else [json.dumps(v) for v in verdict_dicts]
        prompt = PROMPT.format(problem=doc["problem"])
        outputs = [f"... \\boxed{{{a}}}" for a in answers]
        if extra_filter:  # lm-eval writes one row per (doc, filter); the reader must pick `score`
            rows.append(sample_row(doc_id, doc, prompt, doc["answer"], gen, outputs, outputs, "none",
                                   {"exact_match": float(verdicts[0])}))
        rows.append(sample_row(doc_id, doc, prompt, doc["answer"], gen, outputs, filtered, "score", metrics))
    mean = sum(sum(c) / len(c) for c in correct) / len(correct)
    results = {
        "results": {task: {"alias": task, "avg@n,score": mean, "avg@n_stderr,score": 0.0}},
        "configs": {task: {"task": task, "dataset_path": "HuggingFaceH4/MATH-500", "test_split": "test",
                           "repeats": n, "generation_kwargs": gen, "metadata": {"version": version}}},
        "versions": {task: version},
        "n-shot": {task: 0},
        "n-samples": {task: {"original": len(docs), "effective": len(docs)}},
        "config": {"model": "hf", "model_args": f"pretrained={model}", "gen_kwargs": None},
    }
    out.mkdir(parents=True, exist_ok=True)
    tracker_write(out, f"pretrained={model}", results, {task: rows}, model_source="hf")
    if manifest is not None:
        (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return out


def evalkit_manifest(out: Path, model: str, revision: str | None = None, preset: str = "sky-t1",
                     task: str = "evalkit_math500", data_root: str = "/data", stamp: str = "2025-01-01T00:00:00+00:00",
                     **extra) -> dict:
    """Write `out/manifest.json` with the keys `evalkit eval` writes, built by evalkit's own manifest code:
    the model identity dict, the whole resolved preset, dataset facts with an absolute local path,
    the invocation history and the latest results (the last three differ between identical runs)."""
    from evalkit.generate import presets
    from evalkit.rundir import manifest as mf

    manifest = {
        "invocations": [{"started": stamp, "status": "complete", "command": mf.command_line(), "tasks": [task],
                         "generation": {"generated": 6}, "finished": stamp}],
        "versions": mf.versions(), "model": mf.model_identity(model, revision), "preset": presets.load(preset),
        "seed": 1234, "tasks": [task], "limit": None,
        "datasets": {task: {"benchmark": task.removeprefix("evalkit_"), "hub": "HuggingFaceH4/MATH-500",
                            "hub_revision": "main", "local_file": f"{data_root}/math500/test.jsonl",
                            "local_sha256": "ab" * 32, "docs": 6, "docs_sha256": "cd" * 32}},
        "latest_results": {"results": f"results_{stamp}.json"},
        "wall_times_s": {"total_s": 1.0},
    } | extra
    mf.write(out, manifest)
    return manifest
