"""lm-eval adapters for LiveCodeBench: dataset, official and Sky-T1 prompts, batch judging, metrics.

`judge_responses` is registered as a `custom` filter: lm-eval hands it every response of the task at
once, so all samples are judged in one parallel batch in the sandbox (`sandbox.judge_many`). Each
sample's verdict (a JSON string) feeds `process_results`: pass@1 over every sample, unbiased pass@k,
the extraction-failure rate, and pass@1 per difficulty.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from evalkit import metrics
from evalkit.data.livecodebench import DIFFICULTIES, PLATFORMS, CodeProblem, LiveCodeBench
from evalkit.errors import EvalkitError
from evalkit.lmeval import scoring_progress

# lcb_runner/prompts/code_generation.py (official LiveCodeBench), generic chat prompt.
LCB_WITH_STARTER = ("You will use the following starter code to write the solution to the problem and enclose "
                    "your code within delimiters.")
LCB_WITHOUT_STARTER = ("Read the inputs from stdin solve the problem and write the answer to stdout (do not "
                       "directly test on the sample inputs). Enclose your code within delimiters as follows. "
                       "Ensure that when the python program runs, it reads the inputs, runs the algorithm and "
                       "writes output to STDOUT.")
# SkyThought's LiveCodeBench templates (Sky-T1): no starter code in the prompt.
SKY_STDIN = ("Generate an executable Python function generated from the given prompt. The function should take "
             "stdin as input and print the output. Simply call the function after the definition.")
SKY_CALL = ("Generate an executable Python function generated from the given prompt. Return the function body "
            "without invoking it at the final solution.")

TIMEOUT_ENV, WORKERS_ENV, MODE_ENV, MEMORY_ENV = ("EVALKIT_CODE_TIMEOUT", "EVALKIT_CODE_WORKERS",
                                                  "EVALKIT_CODE_MODE", "EVALKIT_CODE_MEMORY_MB")


def load_livecodebench(release: str = "release_v1", data_dir: str | None = None, start_date: str | None = None,
                       end_date: str | None = None, platforms: Any = None, difficulties: Any = None,
                       check_count: bool = True, **_: Any):
    """A `datasets.DatasetDict` with one `test` split. All arguments can come from the task YAML
    (`dataset_kwargs`) or the command line (`--metadata '{"release": "release_v5", "start_date": ...}'`)."""
    import datasets

    as_tuple = lambda v, default: tuple([v] if isinstance(v, str) else v) if v else default
    bench = LiveCodeBench(release=release, start_date=start_date, end_date=end_date,
                          platforms=as_tuple(platforms, PLATFORMS), difficulties=as_tuple(difficulties, DIFFICULTIES),
                          check_count=check_count)
    problems = bench.load(data_dir)
    if not problems:
        raise EvalkitError(f"LiveCodeBench {release}: no problem matches the date/platform/difficulty filters.")
    public_only = sum(not p.metadata.get("has_private_tests", True) for p in problems)
    if public_only:
        # Loud, because the score is not comparable with official LiveCodeBench figures.
        logging.getLogger("evalkit").warning(
            "LiveCodeBench %s: %d of %d problems have no private tests in this copy (no `private_test_cases` "
            "column); they are judged on public tests only, which scores higher than official LCB.",
            release, public_only, len(problems))
    return datasets.DatasetDict({"test": datasets.Dataset.from_list([_row(p) for p in problems])})


def _row(p: CodeProblem) -> dict[str, Any]:
    return {"id": p.id, "title": p.title, "question": p.question, "platform": p.platform,
            "contest_date": p.contest_date, "difficulty": p.difficulty, "starter_code": p.starter_code,
            "fn_name": p.fn_name or "", "tests": json.dumps(p.tests),
            "has_private_tests": bool(p.metadata.get("has_private_tests", True))}


def doc_to_text_lcb(doc: dict) -> str:
    prompt = f"### Question:\n{doc['question']}\n\n"
    if doc["starter_code"]:
        prompt += f"### Format: {LCB_WITH_STARTER}\n```python\n{doc['starter_code']}\n```\n\n"
    else:
        prompt += f"### Format: {LCB_WITHOUT_STARTER}\n```python\n# YOUR CODE HERE\n```\n\n"
    return prompt + "### Answer: (use the provided format with backticks)\n\n"


def doc_to_text_sky_t1(doc: dict) -> str:
    return f"{SKY_CALL if doc['fn_name'] else SKY_STDIN} {doc['question']}"


def doc_to_target(doc: dict) -> str:
    return ""


def extract_code(output: str) -> str | None:
    """The last fenced block (LCB's rule: between the last two lines containing ```); None if absent."""
    lines = output.split("\n")
    fences = [i for i, line in enumerate(lines) if "```" in line]
    if len(fences) < 2:
        return None
    return "\n".join(lines[fences[-2] + 1 : fences[-1]])


def _text(resp: Any) -> str:
    return resp if isinstance(resp, str) else str(resp[0])


def judge_responses(resps: list[list[Any]], docs: list[dict], *, workers: int | None = None,
                    timeout_s: float | None = None, memory_mb: int | None = None, mode: str | None = None,
                    **_: Any) -> list[list[str]]:
    """Judge every sample of every document in one sandboxed batch; one JSON verdict string per sample.

    evalkit binds the keyword arguments per run (`evalkit.lmeval.task_manager.bind_filter_options`); under plain
    lm-eval the user's $EVALKIT_CODE_* settings (read here, never written by evalkit) or the defaults apply."""
    from sandbox import Job, Limits, judge_many

    limits = Limits(timeout_s=float(timeout_s or os.environ.get(TIMEOUT_ENV, "6")),
                    memory_mb=int(memory_mb or os.environ.get(MEMORY_ENV, "1024")))
    mode = mode or os.environ.get(MODE_ENV, "lcb")
    codes = [[extract_code(_text(r)) for r in doc_resps] for doc_resps in resps]
    jobs, where = [], []
    for d, (doc, doc_codes) in enumerate(zip(docs, codes)):
        tests = json.loads(doc["tests"])
        for s, code in enumerate(doc_codes):
            if code is not None:
                jobs.append(Job(code, tests, doc["fn_name"] or None))
                where.append((d, s))
    workers = workers or (int(os.environ[WORKERS_ENV]) if os.environ.get(WORKERS_ENV) else None)
    advance = scoring_progress.open_batch("judging (code)", len(jobs))
    judged = dict(zip(where, judge_many(
        jobs, mode=mode, limits=limits, workers=workers, description="judging LiveCodeBench", progress=advance is None,
        on_result=(lambda r: advance(1, int(r.passed))) if advance else None)))
    out = []
    for d, doc_codes in enumerate(codes):
        per_doc = []
        for s, code in enumerate(doc_codes):
            result = judged.get((d, s))
            first_bad = next((t for t in result.tests if t.verdict != "AC"), None) if result else None
            per_doc.append(json.dumps({
                "extracted": code is not None,
                "correct": bool(result and result.passed),
                "verdict": result.verdict if result else "NO_CODE",
                "tests_run": len(result.tests) if result else 0,
                "tests": [t.verdict for t in result.tests] if result else [],  # per-test verdicts, for `evalkit report`
                "detail": first_bad.detail[:200] if first_bad else "",
                "chars": len(_text(resps[d][s])),
            }))
        out.append(per_doc)
    return out


def process_results(doc: dict, results: list[Any]) -> dict[str, float]:
    """pass@1 over all n samples, pass@k for k = 1, 2, 4, ..., n, and pass@1 for the doc's difficulty."""
    samples = [json.loads(s) for s in results[0]]
    correct = [s["correct"] for s in samples]
    n, c = len(correct), sum(correct)
    out = {f"pass@{k}": metrics.pass_at_k(n, c, k) for k in metrics.ks_for(n)}
    out[f"pass@1_{doc['difficulty']}"] = out["pass@1"]
    out["extraction_failure_rate"] = sum(not s["extracted"] for s in samples) / n
    out["mean_output_chars"] = sum(s["chars"] for s in samples) / n
    return out
