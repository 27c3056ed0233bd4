"""`evalkit compare` on run directories in lm-eval's exact layout (plain lm-eval and evalkit runs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lmeval_fixture import evalkit_manifest, make_run, problems

from evalkit.compare import compare
from evalkit.errors import EvalkitError
from evalkit.rundir import load_run

DOCS = problems(12)
A = [[True], [True], [True], [True], [False], [False], [False], [False], [False], [False], [True], [False]]
B = [[True], [True], [True], [False], [True], [True], [True], [True], [True], [False], [True], [False]]


@pytest.fixture
def plain_and_evalkit(tmp_path):
    plain = make_run(tmp_path / "plain", DOCS, A, extra_filter=True, repr_verdicts=True)
    evalkit_run = make_run(tmp_path / "ours", DOCS, B, model="org/model-b")
    evalkit_manifest(evalkit_run, "org/model-b", revision="rev-b")
    return plain, evalkit_run


def test_reader_sees_lm_eval_layout(plain_and_evalkit):
    plain, ours = plain_and_evalkit
    assert [p.name for p in (plain / "org__model-a").iterdir() if p.name.startswith("samples_evalkit_math500_")]
    run = load_run(plain)
    task = run.tasks["evalkit_math500"]
    assert (task.filter, task.metric, len(task.problems)) == ("score", "avg@n", 12)
    assert task.problems[0].correct == [True] and task.problems[0].tokens == [100]
    assert load_run(ours).tasks["evalkit_math500"].problems[1].tokens == [107]  # JSON-string verdicts
    assert load_run(ours).preset == "sky-t1" and run.preset == ""
    assert (load_run(ours).model, load_run(ours).model_revision) == ("org/model-b", "rev-b")


def test_plain_lm_eval_and_evalkit_run_compare(cli, plain_and_evalkit):
    plain, ours = plain_and_evalkit
    result = cli("compare", str(plain), str(ours), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    (task,) = report["tasks"]
    base, other = task["rows"]
    assert task["n_problems"] == 12 and task["dropped"] == 0
    assert base["score"] == pytest.approx(5 / 12) and other["score"] == pytest.approx(9 / 12)
    assert other["diff"] == pytest.approx(4 / 12)
    assert other["test"] == "exact McNemar" and other["p_value"] == pytest.approx(14 / 64)
    assert other["lost"] == ["test/p3.json"]
    assert other["gained"] == [f"test/p{i}.json" for i in range(4, 9)]
    diff = {row["setting"]: row["values"] for row in report["settings_diff"]}
    assert diff["model"] == ["org/model-a", "org/model-b"]
    assert diff["preset"] == ["-", "sky-t1"]


def test_table_and_markdown_show_scores_and_flips(cli, plain_and_evalkit):
    plain, ours = plain_and_evalkit
    md = cli("compare", str(plain), str(ours), "--format", "markdown")
    assert md.returncode == 0, md.stderr
    assert "| 75.0 [" in md.stdout and "+33.3 [" in md.stdout and "test/p3.json" in md.stdout
    assert "| preset | - | sky-t1 |" in md.stdout
    table = cli("compare", str(plain), str(ours), "--tasks", "evalkit_math500")
    assert table.returncode == 0 and "exact McNemar" in table.stdout


def test_identical_runs_have_zero_difference_and_p_one(tmp_path):
    n4 = [[i % 2 == 0, i % 3 == 0, True, False] for i in range(12)]
    runs = [load_run(make_run(tmp_path / name, DOCS, n4)) for name in ("x", "y")]
    row = compare(runs).tasks[0].rows[1]
    assert row.diff == 0 and row.p_value == 1.0 and row.test == "sign-flip permutation"
    assert row.diff_ci == (0.0, 0.0) and row.lost == row.gained == []


def test_different_problem_sets_are_refused_unless_forced(cli, tmp_path):
    full = make_run(tmp_path / "full", DOCS, A)
    subset = make_run(tmp_path / "subset", DOCS[:10], A[:10])
    refused = cli("compare", str(full), str(subset))
    assert refused.returncode == 2
    assert "problem sets differ" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    forced = cli("compare", str(full), str(subset), "--force", "--format", "json")
    assert forced.returncode == 0, forced.stderr
    task = json.loads(forced.stdout)["tasks"][0]
    assert (task["n_problems"], task["dropped"]) == (10, 2)


def test_reordered_dataset_is_not_paired_silently(tmp_path):
    base = make_run(tmp_path / "base", DOCS, A)
    shuffled = make_run(tmp_path / "shuffled", DOCS[::-1], A[::-1])  # same problems, other doc ids
    with pytest.raises(EvalkitError, match="different problem"):
        compare([load_run(base), load_run(shuffled)])


def test_different_task_version_is_refused(tmp_path):
    v1 = make_run(tmp_path / "v1", DOCS, A)
    v2 = make_run(tmp_path / "v2", DOCS, A, version=2.0)
    with pytest.raises(EvalkitError, match="task version differs"):
        compare([load_run(v1), load_run(v2)])


def test_dataset_revision_in_manifest_is_checked(tmp_path):
    old = make_run(tmp_path / "old", DOCS, A, manifest={"dataset_revisions": {"math500": "aaa"}})
    new = make_run(tmp_path / "new", DOCS, A, manifest={"dataset_revisions": {"math500": "bbb"}})
    with pytest.raises(EvalkitError, match="dataset_revisions.math500 differs"):
        compare([load_run(old), load_run(new)])
    assert compare([load_run(old), load_run(new)], force=True).warnings


def test_identical_evalkit_runs_with_different_data_dirs_compare(tmp_path):
    runs = []
    for name, root, stamp in (("a", "/data1", "2025-01-01T00:00:00+00:00"), ("b", "/data2", "2025-02-02T00:00:00+00:00")):
        runs.append(make_run(tmp_path / name, DOCS, A, model="org/m"))
        evalkit_manifest(runs[-1], "org/m", data_root=root, stamp=stamp)
    report = compare([load_run(r) for r in runs])
    assert report.settings_diff == [] and not report.warnings
    assert load_run(runs[0]).tasks["evalkit_math500"].identity["datasets.evalkit_math500.docs_sha256"] == "cd" * 32


def test_different_dataset_content_in_manifest_is_refused(tmp_path):
    old = make_run(tmp_path / "old", DOCS, A)
    new = make_run(tmp_path / "new", DOCS, A)
    evalkit_manifest(old, "org/m")
    manifest = evalkit_manifest(new, "org/m")
    manifest["datasets"]["evalkit_math500"]["local_sha256"] = "ef" * 32
    (new / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(EvalkitError, match="local_sha256 differs"):
        compare([load_run(old), load_run(new)])


@pytest.mark.parametrize("flags", [["--format", "json", "-o", "{tmp}/afile/dir/x.json"],
                                   ["--format", "json", "-o", "{tmp}"],
                                   ["--plot", "{tmp}/afile/dir/p.png"]])
def test_bad_output_paths_fail_before_any_work(cli, plain_and_evalkit, tmp_path, flags):
    plain, ours = plain_and_evalkit
    (tmp_path / "afile").write_text("a file where a folder must go")  # (a missing folder is created)
    before = sorted(tmp_path.iterdir())
    result = cli("compare", str(plain), str(ours), *[f.replace("{tmp}", str(tmp_path)) for f in flags])
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert ("--plot" if "--plot" in flags else "--output") in result.stderr and result.stdout == ""
    assert sorted(tmp_path.iterdir()) == before  # no stray temp file


def test_settings_diff_lists_sampling_differences(tmp_path):
    greedy = make_run(tmp_path / "greedy", DOCS, A)
    sampled = make_run(tmp_path / "sampled", DOCS, A, temperature=0.7)
    diff = {r["setting"]: r["values"] for r in compare([load_run(greedy), load_run(sampled)]).settings_diff}
    assert diff["evalkit_math500: sampling.temperature"] == ["0.0", "0.7"]


def test_plot_writes_scores_and_length_pngs(cli, plain_and_evalkit, tmp_path):
    plain, ours = plain_and_evalkit
    target = tmp_path / "cmp.png"
    result = cli("compare", str(plain), str(ours), "--plot", str(target))
    assert result.returncode == 0, result.stderr
    for path in (target, tmp_path / "cmp_length.png"):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000


def test_unknown_task_and_missing_dir_are_one_sentence_errors(cli, plain_and_evalkit, tmp_path):
    plain, ours = plain_and_evalkit
    missing = cli("compare", str(plain), str(ours), "--tasks", "aime24")
    assert missing.returncode == 2 and "--tasks aime24" in missing.stderr
    nodir = cli("compare", str(plain), str(tmp_path / "nope"))
    assert nodir.returncode == 2 and "does not exist" in nodir.stderr


def _gsm8k_style_run(root: Path, correct: list[int]) -> Path:
    """A built-in lm-eval task's output written by hand: two filters, `exact_match`, no verdicts."""
    folder = root / "EleutherAI__pythia-14m"
    folder.mkdir(parents=True)
    date = "2026-01-02T03-04-05.678901"
    rows = []
    for i, ok in enumerate(correct):
        doc = {"question": f"q{i}", "answer": f"#### {i}"}
        for flt, value in (("strict-match", ok), ("flexible-extract", 1)):
            rows.append({"doc_id": i, "doc": doc, "target": doc["answer"], "arguments": {}, "resps": [["x"]],
                         "filtered_resps": ["x"], "filter": flt, "metrics": ["exact_match"],
                         "doc_hash": f"{i:064x}", "prompt_hash": f"{i:064x}", "target_hash": f"{i + 1:064x}",
                         "exact_match": float(value)})
    (folder / f"samples_gsm8k_{date}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    results = {"results": {"gsm8k": {}}, "configs": {"gsm8k": {"task": "gsm8k", "dataset_path": "gsm8k",
               "dataset_name": "main", "repeats": 1}}, "versions": {"gsm8k": 3.0},
               "config": {"model": "hf", "model_args": "pretrained=EleutherAI/pythia-14m"}, "model_name": "EleutherAI/pythia-14m"}
    (folder / f"results_{date}.json").write_text(json.dumps(results))
    return root


def test_builtin_lm_eval_task_uses_first_filter_and_exact_test(tmp_path):
    a = load_run(_gsm8k_style_run(tmp_path / "a", [1, 0, 0, 1, 0, 0]))
    b = load_run(_gsm8k_style_run(tmp_path / "b", [1, 1, 1, 0, 0, 0]))
    task = a.tasks["gsm8k"]
    assert (task.filter, task.metric, task.binary) == ("strict-match", "exact_match", True)
    row = compare([a, b]).tasks[0].rows[1]
    assert row.test == "exact McNemar" and row.p_value == pytest.approx(1.0)  # b=1, c=2: 2 * 4/8 capped
    assert row.lost == ["3"] and row.gained == ["1", "2"]


def test_a_third_run_never_changes_the_test_of_a_pair(tmp_path):
    # A and B have one sample per problem (exact McNemar); adding C with 8 samples must not switch A-B
    n8 = [[i % 2 == 0] * 4 + [i % 3 == 0] * 4 for i in range(12)]
    a, b = (load_run(make_run(tmp_path / name, DOCS, verdicts)) for name, verdicts in (("a", A), ("b", B)))
    pair = compare([a, b]).tasks[0].rows[1]
    c = load_run(make_run(tmp_path / "c", DOCS, n8))
    with_third = compare([a, b, c]).tasks[0].rows
    assert (with_third[1].test, with_third[1].p_value, with_third[1].diff_ci) == (pair.test, pair.p_value, pair.diff_ci)
    assert pair.test == "exact McNemar" and with_third[2].test == "sign-flip permutation"
