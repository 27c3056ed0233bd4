"""Leaderboard records, rendering and the CI check; importing published outputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lmeval_fixture import evalkit_manifest, make_run, problems

from evalkit.rundir import load_run
from tests.support import REPO


@pytest.fixture
def board(tmp_path):
    root = tmp_path / "leaderboards"
    root.mkdir()
    shutil.copy(REPO / "leaderboards" / "references.yaml", root / "references.yaml")
    return root


@pytest.fixture
def run_dir(tmp_path):
    correct = [[i % 3 != 0, i % 2 == 0] for i in range(15)]
    run = make_run(tmp_path / "run", problems(15), correct, model="NovaSky-AI/Sky-T1-32B-Preview")
    evalkit_manifest(run, "NovaSky-AI/Sky-T1-32B-Preview", revision="abc123", preset="sky-t1")
    return run


def test_add_writes_a_valid_record_with_hashes(cli, board, run_dir):
    result = cli("leaderboard", "add", str(run_dir), "--dir", str(board), "--note", "fixture", "--allow-partial")
    assert result.returncode == 0, result.stderr
    path = board / "records" / "math" / "NovaSky-AI_Sky-T1-32B-Preview__sky-t1.json"
    record = json.loads(path.read_text())
    task = record["tasks"]["math500"]
    assert task["task"] == "evalkit_math500" and task["metric"] == "avg@n"
    assert task["n_problems"] == 15 and task["samples_per_problem"] == 2
    assert task["score"] == pytest.approx(sum((i % 3 != 0) + (i % 2 == 0) for i in range(15)) / 30)
    assert task["ci95"][0] < task["score"] < task["ci95"][1]
    assert record["model"] == {"id": "NovaSky-AI/Sky-T1-32B-Preview", "revision": "abc123"}
    assert record["provenance"]["manifest_sha256"] and len(task["samples_sha256"]) == 64
    readme = (board / "README.md").read_text()
    assert "[json](records/math/NovaSky-AI_Sky-T1-32B-Preview__sky-t1.json)" in readme
    assert "86.4 [" in readme  # the reported SkyThought figure sits beside the measured score
    assert task["benchmark_problems"] == 500 and "| 15/500×2 |" in readme  # a subset shows its coverage
    assert record["grader"].startswith("evalkit.grading@")  # the grader `evalkit eval` ran, by version
    assert cli("leaderboard", "check", "--dir", str(board)).returncode == 0


def test_render_is_deterministic(cli, board, run_dir, tmp_path):
    assert cli("leaderboard", "add", str(run_dir), "--dir", str(board), "--allow-partial").returncode == 0
    first = (board / "README.md").read_bytes()
    copy = tmp_path / "copy"
    shutil.copytree(board, copy)
    (copy / "README.md").unlink()
    assert cli("leaderboard", "render", "--dir", str(copy)).returncode == 0
    assert cli("leaderboard", "render", "--dir", str(board)).returncode == 0
    assert (copy / "README.md").read_bytes() == first == (board / "README.md").read_bytes()


def _stale_readme(board: Path) -> None:
    readme = board / "README.md"
    readme.write_text(readme.read_text().replace("sky-t1", "sky-t2"))


def _edit_score(score):
    def edit(board: Path) -> None:
        record = next((board / "records").rglob("*.json"))
        data = json.loads(record.read_text())
        data["tasks"]["math500"]["score"] = score
        record.write_text(json.dumps(data))
    return edit


def _not_json(board: Path) -> None:
    next((board / "records").rglob("*.json")).write_text("{not json")


@pytest.mark.parametrize(("edit", "words"), [
    (_stale_readme, "out of date"),
    (_edit_score(0.5), "out of date"),  # a record edited without re-rendering makes the README stale
    (_edit_score(1.5), "score"),
    (_not_json, "not valid JSON"),
], ids=["stale readme", "record edited, not rendered", "score out of range", "record not JSON"])
def test_check_fails_on_a_board_edited_by_hand(cli, board, run_dir, edit, words):
    assert cli("leaderboard", "add", str(run_dir), "--dir", str(board), "--allow-partial").returncode == 0
    assert cli("leaderboard", "check", "--dir", str(board)).returncode == 0
    edit(board)
    result = cli("leaderboard", "check", "--dir", str(board))
    assert result.returncode == 2 and words in result.stderr


@pytest.mark.parametrize("limit", [None, 15])
def test_a_partial_run_is_refused_without_allow_partial(cli, board, tmp_path, limit):
    """15 of MATH-500's 500 problems, whether by a subset or by --limit, never passes for "math500"."""
    run = make_run(tmp_path / "run", problems(15), [[True]] * 15)
    if limit:
        results = next(run.rglob("results_*.json"))
        data = json.loads(results.read_text())
        data["config"]["limit"] = limit
        data["n-samples"]["evalkit_math500"]["original"] = 15
        results.write_text(json.dumps(data))
    result = cli("leaderboard", "add", str(run), "--dir", str(board))
    assert result.returncode == 2 and "15 of 500" in result.stderr and "--allow-partial" in result.stderr
    assert not (board / "records").exists()


def test_committed_leaderboard_is_valid_and_current(cli):
    result = cli("leaderboard", "check", "--dir", str(REPO / "leaderboards"))
    assert result.returncode == 0, result.stderr


def test_import_outputs_grades_with_the_checker_and_keeps_published_verdicts(cli, tmp_path):
    rows = [
        {"problem_id": "p1", "problem": "1+1?", "gold": "2", "output": "so \\boxed{2}", "published_correct": True},
        {"problem_id": "p2", "problem": "2+2?", "gold": "4", "output": "so \\boxed{5}", "published_correct": True},
        {"problem_id": "p3", "problem": "half of 1?", "gold": "\\frac{1}{2}", "output": "\\boxed{\\dfrac{1}{2}}",
         "published_correct": False},
        {"problem_id": "p4", "problem": "3+3?", "gold": "6", "output": "Answer: 6", "published_correct": True},
    ]
    src = tmp_path / "outputs.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    for verdicts in ("checker", "published"):
        result = cli("leaderboard", "import-outputs", str(src), "--out", str(tmp_path / verdicts),
                        "--model", "org/m", "--task", "math500", "--verdicts", verdicts, "--workers", "1")
        assert result.returncode == 0, result.stderr
    checker = load_run(tmp_path / "checker").tasks["math500"]
    published = load_run(tmp_path / "published").tasks["math500"]
    assert [p.score for p in checker.problems] == [1.0, 0.0, 1.0, 1.0]  # "Answer: 6" is extracted too
    assert [p.score for p in published.problems] == [1.0, 1.0, 0.0, 1.0]
    assert checker.settings["metadata.grader"].startswith("evalkit.grading@")
    refused = cli("leaderboard", "import-outputs", str(src), "--out", str(tmp_path / "checker"),
                     "--model", "org/m", "--task", "math500")
    assert refused.returncode == 2 and "not empty" in refused.stderr
