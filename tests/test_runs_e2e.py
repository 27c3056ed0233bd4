"""A real `evalkit eval` run goes through `score`, `compare` and `leaderboard add`: the manifest and
results these commands read are the ones evalkit writes, not hand-made fixtures."""

from __future__ import annotations

import json
import shutil

from evalkit.tiny_model import build_tiny_eval_model


def _ok(result):
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    return result


def test_eval_score_compare_leaderboard(cli, tmp_path, qwen_tokenizer_dir):
    model = build_tiny_eval_model(tmp_path / "tiny-qwen", qwen_tokenizer_dir)
    run = tmp_path / "run"
    _ok(cli("eval", "--model", str(model), "--tasks", "evalkit_amc23", "--backend", "hf", "--preset", "greedy",
            "--limit", "2", "--max-tokens", "8", "--output", str(run), "--quiet"))

    rescored = tmp_path / "rescored"
    shutil.copytree(run, rescored)
    _ok(cli("score", str(rescored), "--quiet"))
    newest = max(rescored.glob("results_*.json"))
    assert json.loads(newest.read_text())["rescored"] is True  # compare reads the rescored results

    report = json.loads(_ok(cli("compare", str(run), str(rescored), "--format", "json", "--iters", "200")).stdout)
    assert [r["model"] for r in report["runs"]] == [str(model)] * 2
    assert [r["preset"] for r in report["runs"]] == ["greedy"] * 2
    assert report["settings_diff"] == [] and report["warnings"] == []
    (task,) = report["tasks"]
    assert task["task"] == "evalkit_amc23" and task["n_problems"] == 2 and task["dropped"] == 0
    assert task["rows"][1]["diff"] == 0

    board = tmp_path / "leaderboards"
    board.mkdir()
    _ok(cli("leaderboard", "add", str(rescored), "--dir", str(board), "--iters", "200", "--allow-partial"))  # --limit 2
    (record_file,) = (board / "records").rglob("*.json")
    record = json.loads(record_file.read_text())
    assert record["model"]["id"] == str(model) and record["preset"] == "greedy"
    assert record_file.relative_to(board).parts[:2] == ("records", "math")
    assert record_file.name.endswith("tiny-qwen__greedy.json") and len(record_file.name) < 120
    assert set(record["tasks"]) == {"amc23"} and record["tasks"]["amc23"]["n_problems"] == 2
    assert record["tasks"]["amc23"]["benchmark_problems"] == 40 and record["grader"].startswith("evalkit.grading@")

    shown = _ok(cli("show", str(rescored))).stdout  # the rescored run, per problem
    assert "evalkit_amc23: avg@n" in shown and "2 of 2 problems shown." in shown
