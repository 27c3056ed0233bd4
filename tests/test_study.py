"""`evalkit study plan|report`: the run matrix from the recipe, and the table from result directories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from evalkit.study.plan import load_plan, plan
from tests.support import FIXTURES, REPO

RECIPE = REPO / "evalkit" / "study" / "plans" / "perturbation-study.yaml"


def lm_eval_results(
    run_dir: Path, scores: dict[str, float], metric: str = "avg@4", stamp: str = "2026-01-01"
) -> None:
    """A results file the way lm-eval 0.4 writes it: <output>/<model>/results_<date>.json, with a group."""
    results = {"evalkit_math": {"alias": "evalkit_math"}}
    for task, value in scores.items():
        results[task] = {"alias": f" - {task}", f"{metric},score": value, f"{metric}_stderr,score": 0.01,
                         "pass@1,score": 0.0, "extraction_failure_rate,score": 0.0}  # fmt: skip
    path = run_dir / "eval" / "org__model" / f"results_{stamp}T00-00-00.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"results": results, "groups": {"evalkit_math": {"alias": "evalkit_math"}},
               "group_subtasks": {"evalkit_math": sorted(scores)}, "configs": {}, "versions": {}}  # fmt: skip
    path.write_text(json.dumps(payload))


def test_recipe_plans_every_kind_ratio_and_baseline(tmp_path: Path) -> None:
    recipe = load_plan(RECIPE)
    runs = plan(recipe, tmp_path)
    names = [r.name for r in runs]
    expected = {f"{k}-p{r:g}" for k, ratios in recipe["perturbations"].items() for r in ratios}
    assert set(names) == expected | {"correct", "base"} and len(names) == len(set(names))
    digits = next(r for r in runs if r.name == "digits-p0.7")
    perturb, train, merge, evaluate = digits.shell()
    data = recipe["data"]["path"]
    assert (
        perturb
        == f"evalkit perturb --kind digits --ratio 0.7 --seed 0 --only-correct {data} {tmp_path}/digits-p0.7/train.jsonl"
    )
    assert train.startswith(f"evalkit train {recipe['train']['recipe']} --set model={recipe['base_model']} ")
    assert train.endswith(f"--data {tmp_path}/digits-p0.7/train.jsonl --output {tmp_path}/digits-p0.7/train")
    assert merge == f"evalkit merge {tmp_path}/digits-p0.7/train/adapter --output {tmp_path}/digits-p0.7/model"
    tasks = ",".join(recipe["eval"]["tasks"])
    assert (
        evaluate
        == f"evalkit eval --model {tmp_path}/digits-p0.7/model --tasks {tasks} --output {tmp_path}/digits-p0.7/eval"
    )
    base = next(r for r in runs if r.name == "base")
    assert base.shell() == [
        f"evalkit eval --model {recipe['base_model']} --tasks {tasks} --output {tmp_path}/base/eval"
    ]
    assert (
        next(r for r in runs if r.name == "correct")
        .shell()[0]
        .startswith("evalkit perturb --kind none --ratio 0")
    )


def test_plan_cli_writes_manifests_and_script(cli, tmp_path: Path) -> None:
    result = cli("study", "plan", RECIPE, "-o", tmp_path, "--script", tmp_path / "run.sh")
    assert result.returncode == 0, result.stderr
    assert "evalkit train" in result.stdout and "evalkit eval --model" in result.stdout
    manifest = json.loads((tmp_path / "shuffle-p1" / "study.json").read_text())
    assert (manifest["kind"], manifest["ratio"]) == ("shuffle", 1.0)
    assert manifest["shell"][0] in (tmp_path / "run.sh").read_text()
    dry = tmp_path / "dry"
    assert cli("study", "plan", RECIPE, "--output-dir", dry, "--dry-run").returncode == 0
    assert not dry.exists()


def test_plan_rejects_a_bad_recipe(cli, tmp_path: Path) -> None:
    recipe = yaml.safe_load(RECIPE.read_text())
    recipe["perturbations"]["scramble"] = [1.0]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(recipe))
    result = cli("study", "plan", bad, "--dry-run")
    assert result.returncode == 2 and "unknown perturbation 'scramble'" in result.stderr


@pytest.fixture
def study_dirs(tmp_path: Path) -> list[Path]:
    """Hand-made runs: two benchmarks, named by convention except one that carries a plan manifest."""
    scores = {
        "correct": (0.50, 0.30),
        "base": (0.20, 0.10),
        "wrong-answer-p1": (0.48, 0.28),
        "shuffle-p0.5": (0.40, 0.20),
        "shuffle-p1": (0.30, 0.12),
        "delete-p1": (0.25, 0.05),
    }
    dirs = []
    for name, (a, b) in scores.items():
        run_dir = tmp_path / name
        lm_eval_results(run_dir, {"evalkit_amc23": a, "evalkit_math500": b})
        dirs.append(run_dir)
    odd = tmp_path / "my-own-name"  # no naming convention: the manifest says what it is
    lm_eval_results(odd, {"evalkit_amc23": 0.45, "evalkit_math500": 0.35}, metric="avg@8")  # a numbered n
    (odd / "study.json").write_text(json.dumps({"kind": "digits", "ratio": 0.7, "tasks": ["evalkit_math500",
                                                                                       "evalkit_amc23"]}))  # fmt: skip
    return [*dirs, odd]


EXPECTED = """\
| perturbation | evalkit_math500 | evalkit_amc23 | avg (ours) | Δ vs correct | avg (paper) | Δ (paper) |
|---|---:|---:|---:|---:|---:|---:|
| correct (unperturbed) | 30.0 | 50.0 | 40.0 | +0.0 | 66.3 | +0.0 |
| wrong answers, p=1 | 28.0 | 48.0 | 38.0 | -2.0 | 63.1 | -3.2 |
| digits corrupted, p=0.7 | 35.0 | 45.0 | 40.0 | +0.0 | 62.0 | -4.3 |
| steps shuffled, p=0.5 | 20.0 | 40.0 | 30.0 | -10.0 | – | – |
| steps shuffled, p=1 | 12.0 | 30.0 | 21.0 | -19.0 | 56.1 | -10.2 |
| steps deleted, p=1 | 5.0 | 25.0 | 15.0 | -25.0 | 49.5 | -16.8 |
| base model (no training) | 10.0 | 20.0 | 15.0 | -25.0 | 56.7 | -9.6 |
"""


def test_report_builds_the_paper_table_and_plot(cli, study_dirs: list[Path], tmp_path: Path) -> None:
    out, png = tmp_path / "report.md", tmp_path / "report.png"
    result = cli("study", "report", *study_dirs, "--output", out, "--plot", png)
    assert result.returncode == 0, result.stderr
    table = out.read_text()
    assert table.startswith(EXPECTED), table
    assert EXPECTED in result.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def _latest_and_missing(root: Path, study_dirs: list[Path]) -> list[Path]:
    lm_eval_results(study_dirs[0], {"evalkit_amc23": 0.9}, stamp="2026-02-02")  # a later re-run of one task
    lm_eval_results(study_dirs[1], {"evalkit_amc23": 0.2}, metric="exact_match", stamp="2026-02-02")
    empty = study_dirs[0].parent / "replace-p1"
    empty.mkdir()
    return [study_dirs[0], study_dirs[1], empty]


def _study_directory(root: Path, study_dirs: list[Path]) -> list[Path]:
    """`study report runs/study` (not `runs/study/*`, which would also catch run.sh and a base model)."""
    study = root / "study"
    for name, kind, ratio, score in (("correct", "correct", 0.0, 0.5), ("shuffle-p1", "shuffle", 1.0, 0.3)):
        lm_eval_results(study / name, {"evalkit_amc23": score})
        (study / name / "study.json").write_text(json.dumps({"kind": kind, "ratio": ratio}))
    (study / "base-model").mkdir()  # model weights, not a run
    (study / "run.sh").write_text("#!/bin/sh\n")
    return [study]


def _real_lm_eval_file(root: Path, study_dirs: list[Path]) -> list[Path]:
    """A results file written by lm-eval 0.4.13 (tiny random Qwen2 on CPU, 4 problems per task)."""
    real = FIXTURES / "study" / "results_tiny_qwen2_lm_eval.json"
    run_dir = root / "real" / "base" / "eval" / "__tmp__tinyq"
    run_dir.mkdir(parents=True)
    (run_dir / "results_2026-11-24T11-27-47.260263.json").write_text(real.read_text())
    return [root / "real" / "base"]


@pytest.mark.parametrize(("setup", "lines", "warnings"), [
    (_latest_and_missing, ["| correct (unperturbed) | 90.0 | 30.0 | 60.0 | +0.0 | 66.3 | +0.0 |",
                           "| steps replaced by foreign steps, p=1 | – | – | – | – | 44.5 | -21.8 |"],
     ["no lm-eval results_*.json yet"]),
    (_study_directory, ["| correct (unperturbed) | 50.0 | 50.0 |", "| steps shuffled, p=1 | 30.0 | 30.0 |"], []),
    (_real_lm_eval_file, ["| base model (no training) | 0.0 | 0.0 | 0.0 | – | 56.7 | -9.6 |",
                          "| perturbation | evalkit_amc23 | evalkit_math500 |"], []),
], ids=["latest-results-and-missing-scores", "study-directory-reads-planned-runs-only", "real-lm-eval-results"])
def test_report_rows(cli, study_dirs, tmp_path: Path, setup, lines, warnings) -> None:
    result = cli("study", "report", *setup(tmp_path, study_dirs))
    assert result.returncode == 0, result.stderr
    for line in lines:
        assert line in result.stdout, result.stdout
    for words in warnings:
        assert words in result.stderr, result.stderr


def test_report_rejects_an_unnamed_run(cli, tmp_path: Path) -> None:
    (tmp_path / "whatever").mkdir()
    result = cli("study", "report", tmp_path / "whatever")
    assert result.returncode == 2 and "does not say the run" in result.stderr
