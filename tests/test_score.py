"""`evalkit score` re-grades saved samples with the current checker and reports what changed."""

from __future__ import annotations

import json

from tasks.math.utils import load_math500


def _row(doc_id: int, doc: dict, outputs: list[str], old_correct: list[bool]) -> dict:
    old = [json.dumps({"extracted": None, "correct": c, "verdict": c, "reason": "old", "chars": 1, "tokens": None})
           for c in old_correct]
    return {"doc_id": doc_id, "doc": doc, "target": doc["answer"], "arguments": [["prompt", {"max_gen_toks": 8}]],
            "resps": [outputs], "filtered_resps": [old], "filter": "score",
            "avg@n": sum(old_correct) / len(old_correct)}


def test_score_regrades_a_samples_file_and_reports_flips(cli, tmp_path):
    docs = load_math500(None)["test"]
    d0, d1 = dict(docs[0]), dict(docs[1])
    rows = [
        # an old checker said "wrong" to a right answer: the current one must flip it
        _row(0, d0, [f"so \\boxed{{{d0['answer']}}}", "no answer here"], [False, False]),
        _row(1, d1, ["\\boxed{12345}"], [False]),
    ]
    path = tmp_path / "samples_evalkit_math500_2026-01-01T00-00-00.000000.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "results_2026-01-01T00-00-00.000000.json").write_text(
        json.dumps({"results": {"evalkit_math500": {"avg@n,score": 0.0}}}))

    result = cli("score", str(tmp_path), "--workers", "1")
    assert result.returncode == 0, result.stderr
    (summary_path,) = tmp_path.glob("rescore_*.json")
    summary = json.loads(summary_path.read_text())["tasks"]["evalkit_math500"]
    assert summary["samples"] == 3 and summary["samples_flipped"] == 1 and summary["documents_changed"] == 1
    assert summary["metrics"]["avg@n,score"] == {"old": 0.0, "new": 0.25, "delta": 0.25}
    new_rows = [json.loads(x) for x in (tmp_path / summary["samples_file"]).read_text().splitlines()]
    assert [r["avg@n"] for r in new_rows] == [0.5, 0.0]
    assert path.read_text() == "".join(json.dumps(r) + "\n" for r in rows)  # the old file is untouched


def test_score_rejects_what_is_not_a_samples_file(cli, tmp_path):
    bad = tmp_path / "notes.jsonl"
    bad.write_text("{}\n")
    result = cli("score", str(bad))
    assert result.returncode == 2
    assert "not an lm-eval samples file" in result.stderr


def test_score_reads_the_problems_from_where_the_run_read_them(cli, tmp_path, data_dir, monkeypatch):
    """A run evaluated with --data-dir is re-scored offline without repeating it; a bad --data-dir is named."""
    doc = dict(load_math500(None)["test"][0])
    path = tmp_path / "samples_evalkit_math500_2026-01-01T00-00-00.000000.jsonl"
    path.write_text(json.dumps(_row(0, doc, [f"\\boxed{{{doc['answer']}}}"], [False])) + "\n")
    (tmp_path / "manifest.json").write_text(json.dumps({"invocations": [{"data_dir": str(data_dir)}]}))
    monkeypatch.delenv("EVALKIT_DATA_DIR")  # offline and no directory given: only the manifest can say

    result = cli("score", str(tmp_path), "--workers", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    (summary_path,) = tmp_path.glob("rescore_*.json")
    assert json.loads(summary_path.read_text())["tasks"]["evalkit_math500"]["samples_flipped"] == 1

    result = cli("score", str(tmp_path), "--data-dir", str(tmp_path / "nowhere"))
    assert result.returncode == 2 and "--data-dir" in result.stderr and "not a directory" in result.stderr


def test_score_numeric_tolerance_is_explicit_and_recorded(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("EVALKIT_NUMERIC_TOLERANCE", raising=False)  # restored (absent) after the test
    doc = dict(load_math500(None)["test"][2])
    assert doc["answer"] == r"\frac{14}{3}"
    path = tmp_path / "samples_evalkit_math500_2026-01-01T00-00-00.000000.jsonl"
    path.write_text(json.dumps(_row(2, doc, [r"so \boxed{4.6667}"], [False])) + "\n")
    result = cli("score", str(tmp_path), "--workers", "1", "--quiet", "--numeric-tolerance", "1e-4")
    assert result.returncode == 0, result.stderr
    (results_path,) = tmp_path.glob("results_*.json")
    results = json.loads(results_path.read_text())
    assert results["grading"] == {"numeric_tolerance": 1e-4}
    assert results["results"]["evalkit_math500"]["avg@n,score"] == 1.0  # strict grading says 0.0 (the question asks for no decimal)
