"""`--second-opinion math-verify`: every sample graded again by Math-Verify, disagreements listed and counted."""

from __future__ import annotations

import json
import sys

from tasks.math.utils import load_math500

PLANTED_GOLD = "\\frac{1}{2004!}"  # Math-Verify's known false positive: 1/2006! "equals" 1/2004! to 6 places


def _row(doc_id: int, doc: dict, outputs: list[str]) -> dict:
    old = [json.dumps({"extracted": None, "correct": False, "verdict": False, "reason": "old", "chars": 1, "tokens": None})
           for _ in outputs]
    return {"doc_id": doc_id, "doc": doc, "target": doc["answer"], "arguments": [["prompt", {"max_gen_toks": 8}]],
            "resps": [outputs], "filtered_resps": [old], "filter": "score"}


def _run(tmp_path) -> None:
    docs = load_math500(None)["test"]
    d0, d1, planted = dict(docs[0]), dict(docs[1]), dict(docs[2])
    planted.update(answers=[PLANTED_GOLD], answer=PLANTED_GOLD)
    rows = [
        _row(0, d0, [f"so the answer is $\\boxed{{{d0['answer']}}}$.", "so \\boxed{12345}"]),  # both graders agree
        _row(1, d1, [f"The answer is $\\boxed{{{d1['answer']}}}$."]),
        _row(2, planted, ["Thus the probability is $\\boxed{\\frac{1}{2006!}}$."]),  # only Math-Verify says equal
    ]
    (tmp_path / "samples_evalkit_math500_2026-01-01T00-00-00.000000.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows))


def test_planted_disagreement_is_found_and_reported(cli, tmp_path):
    _run(tmp_path)
    result = cli("score", str(tmp_path), "--workers", "2", "--second-opinion", "math-verify")
    assert result.returncode == 0, result.stderr
    (row,) = [json.loads(line) for line in (tmp_path / "disagreements.jsonl").read_text().splitlines()]
    assert row["problem_id"] == load_math500(None)["test"][2]["id"] and row["sample"] == 0
    assert row["gold"] == PLANTED_GOLD
    assert row["evalkit_extracted"] == row["math_verify_extracted"] == "\\frac{1}{2006!}"
    assert row["evalkit_correct"] is False and row["math_verify_correct"] is True
    assert row["evalkit_reason"] == "symbolically different"
    summary = json.loads((tmp_path / "second_opinion.json").read_text())["tasks"]["evalkit_math500"]
    assert summary["samples"] == 4 and summary["disagreements"] == 1 and summary["only_math_verify_correct"] == 1
    assert summary["scores"] == {"evalkit": (0.5 + 1 + 0) / 3, "math-verify": (0.5 + 1 + 1) / 3}
    assert "0.5000" in result.stdout and "0.8333" in result.stdout  # both scores printed
    assert "disagreements.jsonl (1 samples)" in result.stdout.replace("\n", "")


def test_without_math_verify_the_flag_is_one_clear_error(cli, tmp_path, monkeypatch):
    _run(tmp_path)
    monkeypatch.setitem(sys.modules, "math_verify", None)  # import math_verify now raises ImportError
    for args in (["score", str(tmp_path)], ["eval", "--model", "m", "--tasks", "evalkit_math500"]):
        result = cli(*args, "--second-opinion", "math-verify")
        assert result.returncode == 2
        assert "pip install 'evalkit[audit]'" in result.stderr
    assert not (tmp_path / "disagreements.jsonl").exists()


def test_an_unknown_second_grader_is_named(cli, tmp_path):
    _run(tmp_path)
    result = cli("score", str(tmp_path), "--second-opinion", "qwen-math")
    assert result.returncode == 2 and "unknown grader" in result.stderr


def test_a_math_verify_hang_is_one_timeout_verdict_not_a_stuck_run():
    """Math-Verify runs without its signal.alarm: the pool's wall-clock limit kills the worker instead."""
    from evalkit.grading.pool import get_pool

    got: dict[int, tuple] = {}
    jobs = [("10^{10^{10^{10}}}", "so $\\boxed{10^{10^{10^{10}}}+1}$"), ("2", "so $\\boxed{2}$")]
    get_pool(1).run_batch(jobs, 1.5, 1, got.__setitem__, kind="math-verify")
    assert got[0] == (None, "timeout after 1.5 s", None)
    assert got[1] == (True, "equal", "2")


def test_after_eval_the_newest_samples_of_each_task_are_audited_beside_them(tmp_path):
    """What `evalkit eval --second-opinion` runs after generation; a task without math verdicts is skipped."""
    from evalkit.second_opinion import audit_run_dir

    run = tmp_path / "model"
    run.mkdir()
    verdict = json.dumps({"extracted": "\\frac{1}{2006!}", "correct": False, "verdict": False,
                          "reason": "symbolically different", "chars": 9, "tokens": None})
    row = {"doc_id": 0, "doc": {"id": "p0", "answers": [PLANTED_GOLD], "answer": PLANTED_GOLD}, "target": PLANTED_GOLD,
           "arguments": [["prompt", {}]], "resps": [["so $\\boxed{\\frac{1}{2006!}}$"]], "filtered_resps": [[verdict]]}
    (run / "samples_evalkit_math500_2026-01-01T00-00-00.000000.jsonl").write_text(json.dumps(row) + "\n")
    code = dict(row, filtered_resps=[["passed"]])
    (run / "samples_evalkit_lcb_2026-01-01T00-00-00.000000.jsonl").write_text(json.dumps(code) + "\n")
    opinions = {o.task: o for o in audit_run_dir(tmp_path, workers=1, quiet=True)}
    assert opinions["evalkit_lcb"].skipped and not opinions["evalkit_lcb"].disagreements
    assert [d["problem_id"] for d in opinions["evalkit_math500"].disagreements] == ["p0"]
    assert (run / "disagreements.jsonl").read_text().count("\n") == 1
