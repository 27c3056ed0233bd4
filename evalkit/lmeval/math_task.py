"""lm-eval adapters for the math benchmarks: dataset, Sky-T1 prompts, batch grading, every-sample metrics.

Grading happens in `grade_responses`, registered as a `custom` filter: lm-eval hands it every response
of the task at once, so the whole task is graded as one parallel batch instead of document by
document in the main process. Its per-sample verdicts are what `process_results` turns into avg@n,
pass@k, maj@n, the extraction-failure rate and output lengths (and what `--log_samples` records).
"""

from __future__ import annotations

import json
from typing import Any

from evalkit import data, grading, metrics
from evalkit.data.prompts import BOXED_AFTER, BOXED_FIRST
from evalkit.generate.generation import output_tokens
from evalkit.lmeval import scoring_progress


_GOLD_KEY = "\x00gold"  # a vote key no extracted answer can collide with


def load_benchmark(name: str, data_dir: str | None = None, **_: Any):
    """A `datasets.DatasetDict` with one `test` split, from $EVALKIT_DATA_DIR / `data_dir` or the Hub.

    `data_dir` can be given on the lm-eval command line as `--metadata '{"data_dir": "..."}'`."""
    import datasets

    return datasets.DatasetDict({"test": problems_to_dataset(data.load(name, data_dir))})


def problems_to_dataset(problems: list[data.Problem]):
    """Problems as a `datasets.Dataset` (metadata as a JSON string: its value types vary by row)."""
    import datasets

    rows = [
        {
            "id": p.id,
            "question": p.question,
            "answers": p.answers,
            "answer": p.answer,
            "metadata": json.dumps(p.metadata, sort_keys=True, default=str),
        }
        for p in problems
    ]
    return datasets.Dataset.from_list(rows)


def doc_to_text_boxed_first(doc: dict) -> str:
    return BOXED_FIRST.format(question=doc["question"])


def doc_to_text_boxed_after(doc: dict) -> str:
    return BOXED_AFTER.format(question=doc["question"])


def doc_to_target(doc: dict) -> str:
    return doc["answer"]


def _text(resp: Any) -> str:
    # lm-eval hands generate_until responses as strings; tolerate (text, ...) tuples from other backends.
    return resp if isinstance(resp, str) else str(resp[0])


def grade_responses(resps: list[list[Any]], docs: list[dict], *, workers: int | None = None, timeout: float = 5.0,
                    tokenizer: str | None = None, numeric_tolerance: float | None = None) -> list[list[str]]:
    """Grade every sample of every document in one parallel batch.

    Each sample becomes a JSON string `{"extracted", "correct", "verdict", "reason", "chars", "tokens"}`:
    strings, because lm-eval's samples logger turns anything else into a Python repr. `tokens` is the
    count the backend reported; only without one is the text re-tokenised, with `tokenizer`. evalkit binds
    the keyword arguments per run (`evalkit.lmeval.task_manager.bind_filter_options`); plain lm-eval uses the defaults."""
    texts = [[_text(r) for r in doc_resps] for doc_resps in resps]
    items = [
        grading.GradeItem(gold=list(doc["answers"]), output=text, question=doc.get("question"))
        for doc, doc_texts in zip(docs, texts) for text in doc_texts
    ]  # the question decides whether a rounded decimal may stand for an exact gold
    verdicts = grading.grade(
        items,
        workers=workers,
        timeout=timeout,
        progress=scoring_progress.open_batch("grading (math)", len(items)),
        numeric_tolerance=numeric_tolerance,
    )
    flat_texts = [t for doc_texts in texts for t in doc_texts]
    tokens = output_tokens([r for doc_resps in resps for r in doc_resps], tokenizer)
    out, i = [], 0
    for doc_texts in texts:
        per_doc = []
        for _ in doc_texts:
            verdict = verdicts[i]
            record = {
                "extracted": verdict.extracted,
                "correct": verdict.equal is True,
                "verdict": verdict.equal,
                "reason": verdict.reason,
                "chars": len(flat_texts[i]),
                "tokens": tokens[i] if tokens is not None else None,
            }
            per_doc.append(json.dumps(record, ensure_ascii=False))
            i += 1
        out.append(per_doc)
    return out


def process_results(doc: dict, results: list[Any]) -> dict[str, float]:
    """Per-document metrics over all n samples (lm-eval averages them over documents)."""
    samples = [json.loads(s) for s in results[0]]
    correct = [s["correct"] for s in samples]
    # Every correct sample equals the gold, so they vote together even when spelled differently
    # ("x=3" and "3"); wrong answers are grouped by their canonical key.
    keys = [
        _GOLD_KEY if s["correct"] else (grading.answer_key(s["extracted"]) if s["extracted"] is not None else None)
        for s in samples
    ]
    out = metrics.problem_metrics(keys, correct)
    out["mean_output_chars"] = sum(s["chars"] for s in samples) / len(samples)
    if all(s["tokens"] is not None for s in samples):
        out["mean_output_tokens"] = sum(s["tokens"] for s in samples) / len(samples)
    return out
