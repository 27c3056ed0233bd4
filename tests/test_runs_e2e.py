"""A real `evalkit eval` run goes through `score`, `compare` and `leaderboard add`: the manifest and
results these commands read are the ones evalkit writes, not hand-made fixtures."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.eval_support import build_tiny_model

REPO = Path(__file__).resolve().parents[1]


def evalkit(*args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"PYTHONPATH": str(REPO), "COLUMNS": "200"}
    result = subprocess.run([sys.executable, "-m", "evalkit", *args], cwd=REPO, env=env, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, f"evalkit {args[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result


def test_eval_score_compare_leaderboard(tmp_path, qwen_tokenizer_dir):
    model = build_tiny_model(tmp_path / "tiny-qwen", qwen_tokenizer_dir)
    run = tmp_path / "run"
    evalkit("eval", "--model", str(model), "--tasks", "evalkit_amc23", "--backend", "hf", "--preset", "greedy",
            "--limit", "2", "--max-tokens", "8", "--output", str(run), "--quiet")

    rescored = tmp_path / "rescored"
    shutil.copytree(run, rescored)
    evalkit("score", str(rescored), "--quiet")
    newest = max(rescored.glob("results_*.json"))
    assert json.loads(newest.read_text())["rescored"] is True  # compare reads the rescored results

    report = json.loads(evalkit("compare", str(run), str(rescored), "--format", "json", "--iters", "200").stdout)
    assert [r["model"] for r in report["runs"]] == [str(model)] * 2
    assert [r["preset"] for r in report["runs"]] == ["greedy"] * 2
    assert report["settings_diff"] == [] and report["warnings"] == []
    (task,) = report["tasks"]
    assert task["task"] == "evalkit_amc23" and task["n_problems"] == 2 and task["dropped"] == 0
    assert task["rows"][1]["diff"] == 0

    board = tmp_path / "leaderboards"
    board.mkdir()
    evalkit("leaderboard", "add", str(rescored), "--dir", str(board), "--iters", "200", "--allow-partial")  # --limit 2
    (record_file,) = (board / "records").rglob("*.json")
    record = json.loads(record_file.read_text())
    assert record["model"]["id"] == str(model) and record["preset"] == "greedy"
    assert record_file.relative_to(board).parts[:2] == ("records", "math")
    assert record_file.name.endswith("tiny-qwen__greedy.json") and len(record_file.name) < 120
    assert set(record["tasks"]) == {"amc23"} and record["tasks"]["amc23"]["n_problems"] == 2
    assert record["tasks"]["amc23"]["benchmark_problems"] == 40 and record["grader"].startswith("evalkit.grading@")

    shown = evalkit("show", str(rescored)).stdout  # the rescored run, per problem
    assert "evalkit_amc23: avg@n" in shown and "2 of 2 problems shown." in shown
