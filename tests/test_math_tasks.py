"""The math suite as lm-eval tasks: every sample graded, metrics over all repeats, and every task of
`evalkit_math` run through lm-eval's own evaluator on scripted answers whose metrics are known."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from evalkit.lmeval import scoring_progress
from evalkit.lmeval.math_task import (
    doc_to_text_boxed_after,
    doc_to_text_boxed_first,
    grade_responses,
    process_results,
)
from tests.support import REPO

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


CORRECT_OF_DOC = {0: 3, 1: 0}  # correct samples of doc 0 and doc 1 (at most n)


class ScriptedLM:
    """A stand-in model that answers from the document it is asked about: doc 0 right in its first 3
    repeats and wrong otherwise (a different wrong answer each time), doc 1 with no answer in repeat 0
    and one same wrong answer after that."""

    def generate_until(self, requests, disable_tqdm=False):
        out, seen = [], Counter()
        for req in requests:  # lm-eval asks n times for the same request: the count is the repeat
            doc_id, repeat = req.doc_id, seen[(req.task_name, req.doc_id)]
            seen[(req.task_name, req.doc_id)] += 1
            if repeat < CORRECT_OF_DOC[doc_id]:
                out.append(f"So the answer is \\boxed{{{req.doc['answers'][0]}}}.")
            elif doc_id == 0:
                out.append(f"So the answer is \\boxed{{{-1000 - repeat}}}.")
            else:
                out.append("I could not finish." if repeat == 0 else "Perhaps \\boxed{-1}, final.")
        return out


def _scripted_lm():
    from lm_eval.api.model import LM

    class Scripted(ScriptedLM, LM):
        def loglikelihood(self, requests):
            raise NotImplementedError

        def loglikelihood_rolling(self, requests):
            raise NotImplementedError

    return Scripted()


def test_lm_eval_runs_every_math_task_and_scores_all_repeats(data_dir):
    """Every task of `evalkit_math` plus the 8-sample Sky-T1 AIME task through lm-eval itself (YAML,
    custom dataset, repeats, the batch-grading filter, metrics, group aggregation), on scripted answers
    whose metrics are known exactly."""
    from lm_eval import evaluator
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=str(REPO / "tasks" / "math"), include_defaults=False,
                          metadata={"data_dir": str(data_dir)})
    results = evaluator.simple_evaluate(model=_scripted_lm(), tasks=["evalkit_math", "evalkit_aime24_sky_t1"],
                                        task_manager=manager, limit=2, log_samples=True)
    res = results["results"]
    for task in MATH_TASKS:
        m = res[task]
        assert [m[f"{k},score"] for k in ("avg@n", "pass@1", "maj@n", "extraction_failure_rate")] == [0.5] * 4, task
        # plain lm-eval's models report no token counts (evalkit's backends do): no guessed length
        assert "mean_output_tokens,score" not in m, task
    sky = res["evalkit_aime24_sky_t1"]
    assert sky["avg@n,score"] == pytest.approx((3 / 8 + 0) / 2)
    assert sky["pass@2,score"] == pytest.approx((1 - 10 / 28) / 2)  # 1 - C(5,2)/C(8,2) for doc 0
    assert sky["pass@8,score"] == pytest.approx(0.5)
    assert sky["maj@n,score"] == pytest.approx(0.5)  # 3 right answers beat 5 different wrong ones
    assert sky["extraction_failure_rate,score"] == pytest.approx(1 / 16)
    assert res["evalkit_math"]["avg@n,score"] == pytest.approx(0.5)
    for task in MATH_TASKS + ["evalkit_aime24_sky_t1"]:
        rows = results["samples"][task]
        assert len(rows) == 2
        n = 8 if task.endswith("sky_t1") else 1
        for row in rows:
            verdicts = [json.loads(v) for v in row["filtered_resps"][0]]
            assert len(verdicts) == len(row["resps"][0]) == n
            assert {"extracted", "correct", "reason", "tokens"} <= set(verdicts[0])


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
