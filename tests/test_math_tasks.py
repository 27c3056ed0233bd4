"""The math suite as lm-eval tasks: every sample graded, metrics over all repeats, and an offline end
to end run of every task of `evalkit_math` under plain `lm_eval run`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evalkit.lmeval import scoring_progress
from evalkit.lmeval.math_task import (
    doc_to_text_boxed_after,
    doc_to_text_boxed_first,
    grade_responses,
    process_results,
)

REPO = Path(__file__).resolve().parents[1]
MATH_TASKS = ["evalkit_aime24", "evalkit_aime25", "evalkit_amc23", "evalkit_math500", "evalkit_olympiadbench"]
METRIC_KEYS = ["avg@n", "pass@1", "maj@n", "extraction_failure_rate", "mean_output_tokens"]


def test_sky_t1_prompts():
    doc = {"question": "What is 1+1?"}
    assert doc_to_text_boxed_first(doc) == "Return your final response within \\boxed{}. What is 1+1?"
    assert doc_to_text_boxed_after(doc) == "What is 1+1?\nReturn your final response within \\boxed{}"


def test_every_repeat_is_graded_not_only_the_first():
    docs = [{"answers": ["42"]}, {"answers": ["7"]}]
    resps = [
        ["I think \\boxed{41}", "no idea", "so \\boxed{42}", "\\boxed{42}"],
        ["\\boxed{7}", "\\boxed{7}", "\\boxed{8}", "cut off mid-sent"],
    ]
    filtered = grade_responses(resps, docs)
    assert [len(f) for f in filtered] == [4, 4]
    first = process_results(docs[0], [filtered[0]])
    assert first["avg@n"] == 0.5 and first["pass@1"] == 0.5 and first["pass@4"] == 1.0
    assert first["extraction_failure_rate"] == 0.25
    second = process_results(docs[1], [filtered[1]])
    assert second["avg@n"] == 0.5 and second["maj@n"] == 1.0
    # equivalent spellings of the right answer vote together: 2 correct ("x=3", "3") beat 2 x "4"
    third = process_results({"answers": ["3"]}, grade_responses([["\\boxed{x=3}", "\\boxed{3}", "\\boxed{4}", "\\boxed{4}"]],
                                                                [{"answers": ["3"]}]))
    assert third["avg@n"] == 0.5 and third["maj@n"] == 1.0
    verdict = json.loads(filtered[1][3])
    assert verdict["extracted"] is None and verdict["correct"] is False


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, qwen_tokenizer_dir):
    from evalkit.tiny_model import build_tiny_qwen2

    return build_tiny_qwen2(tmp_path_factory.mktemp("model") / "tiny-qwen2", qwen_tokenizer_dir)


def test_lm_eval_runs_every_math_task_offline(tiny_model, tmp_path, data_dir):
    out = tmp_path / "out"
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", EVALKIT_DATA_DIR=str(data_dir),
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    cmd = [
        sys.executable, "-m", "lm_eval", "run", "--include_path", "tasks",
        "--tasks", "evalkit_math", "evalkit_aime24_sky_t1",
        "--model", "hf", "--model_args", f"pretrained={tiny_model},dtype=float32",
        "--device", "cpu", "--apply_chat_template", "--log_samples", "--output_path", str(out),
        "--limit", "2", "--gen_kwargs", "max_gen_toks=8",
    ]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (results_file,) = out.glob("*/results_*.json")
    results = json.loads(results_file.read_text())
    for task in MATH_TASKS + ["evalkit_aime24_sky_t1"]:
        for key in METRIC_KEYS:
            assert f"{key},score" in results["results"][task], (task, key)
        (samples_file,) = out.glob(f"*/samples_{task}_2*.jsonl")  # "_2": the timestamp, not a longer task name
        rows = [json.loads(line) for line in samples_file.read_text().splitlines()]
        assert len(rows) == 2
        n = 8 if task.endswith("sky_t1") else 1
        for row in rows:
            verdicts = [json.loads(v) for v in row["filtered_resps"][0]]
            assert len(verdicts) == len(row["resps"][0]) == n
            assert {"extracted", "correct", "reason", "tokens"} <= set(verdicts[0])
    sky = results["results"]["evalkit_aime24_sky_t1"]
    assert 0.0 <= sky["avg@n,score"] <= sky["pass@2,score"] <= sky["pass@8,score"] <= 1.0
    assert "avg@n,score" in results["results"]["evalkit_math"]


def test_grading_reports_every_verdict_and_the_correct_ones_to_a_listener():
    """`evalkit eval`/`score` show verdicts/s and running accuracy from these reports; they must add up."""
    docs = [{"answers": ["42"]}, {"answers": ["\\frac{1}{2}"]}]
    resps = [["\\boxed{42}", "\\boxed{41}", "none"], ["\\boxed{0.5}", "\\boxed{\\sqrt{2}/2}", "\\boxed{1/2}"]]
    opened, reports = [], []

    def opener(label, total):
        opened.append((label, total))
        return lambda n, correct: reports.append((n, correct))

    with scoring_progress.listening(opener):
        filtered = grade_responses(resps, docs)
    assert opened == [("grading (math)", 6)]
    assert sum(n for n, _ in reports) == 6
    assert sum(c for _, c in reports) == sum(json.loads(s)["correct"] for f in filtered for s in f) == 3
    reports.clear()
    grade_responses(resps, docs)  # nobody listening: nothing reported
    assert reports == []
