"""The run directory from the files the commands really write: plain `lm_eval --log_samples` output,
`evalkit leaderboard import-outputs` runs, a rescored run; `score`, `show`, `compare`'s settings diff and
the manifest's invocation history on each."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest
from lmeval_fixture import evalkit_manifest
from rundir_support import lm_eval_run, published_outputs

from evalkit.io import sha256_text
from evalkit.rundir import load_run, manifest
from tasks.math.utils import load_math500


def _reply(answers: dict[str, str]):
    """Problem 0 right on its first sample, problem 1 wrong then unanswered, problem 2 unanswered."""
    def reply(prompt: str, repeat: int) -> str:
        for i, (question, gold) in enumerate(answers.items()):
            if question in prompt:
                if i == 0 and repeat == 0:
                    return f"so the answer is \\boxed{{{gold}}}"
                if i == 1 and repeat == 0:
                    return "\\boxed{12345}"
                return "I do not know."
        return "?"
    return reply


@pytest.fixture(scope="module")
def math_docs():
    return [dict(d) for d in load_math500(None)["test"]][:3]


@pytest.fixture(scope="module")
def lm_eval_dir(tmp_path_factory, math_docs):
    """`lm_eval run --tasks evalkit_math500 --limit 3 --log_samples` with 2 repeats, as lm-eval writes it."""
    out = tmp_path_factory.mktemp("lm_eval") / "out"
    return lm_eval_run(out, _reply({d["question"]: d["answer"] for d in math_docs}), limit=3, repeats=2)


@pytest.fixture
def plain(tmp_path, lm_eval_dir):
    copy = tmp_path / "plain"
    shutil.copytree(lm_eval_dir, copy)
    return copy


def _summary(folder):
    (path,) = folder.rglob("rescore_*.json")
    return json.loads(path.read_text())


def test_run_reads_per_problem_verdicts_answers_gold_and_prompts(lm_eval_dir, math_docs):
    run = load_run(lm_eval_dir)
    (task,) = run.tasks.values()
    first, second, third = task.problems
    assert [p.marks for p in task.problems] == ["✓∅", "✗∅", "∅∅"]
    assert first.name == math_docs[0]["id"] and first.gold == math_docs[0]["answer"]
    assert math_docs[0]["question"] in first.prompt and first.prompt.startswith("Return your final response")
    assert second.samples[0].extracted == "12345" and second.samples[0].response == "\\boxed{12345}"
    assert second.samples[1].reason and third.no_answer and not first.all_correct


@pytest.mark.parametrize("target", ["top", "model folder", "samples file"])
def test_score_works_on_plain_lm_eval_output(cli, plain, target):
    """lm-eval 0.4 writes arguments as {"gen_args_0": {...}}: this was a KeyError traceback."""
    folder = next(plain.iterdir())
    path = {"top": plain, "model folder": folder, "samples file": next(folder.glob("samples_*.jsonl"))}[target]
    result = cli("score", str(path), "--workers", "1", "--quiet")  # fails the test if it writes os.environ
    assert result.returncode == 0, result.stderr
    summary = _summary(plain)["tasks"]["evalkit_math500"]
    assert summary["documents"] == 3 and summary["samples"] == 6 and summary["samples_flipped"] == 0
    assert summary["metrics"]["avg@n,score"]["new"] == pytest.approx(1 / 6)
    rescored = load_run(plain)  # the rescored results sit beside the samples, so the run still reads
    assert rescored.results["rescored"] is True and rescored.results["grader"]["evalkit_math500"].startswith("evalkit.grading@")


def test_score_works_on_imported_runs_and_regrades_published_verdicts(cli, tmp_path, math_docs):
    """import-outputs writes a manifest whose model is a string: this was an AttributeError traceback."""
    rows = [(d["id"], d["question"], d["answer"], f"\\boxed{{{d['answer']}}}", i != 0) for i, d in enumerate(math_docs)]
    src = published_outputs(tmp_path / "outputs.jsonl", rows)
    out = tmp_path / "imported"
    result = cli("leaderboard", "import-outputs", str(src), "--out", str(out), "--model", "org/m",
                    "--task", "math500", "--verdicts", "published")
    assert result.returncode == 0, result.stderr
    assert [p.score for p in load_run(out).tasks["math500"].problems] == [0.0, 1.0, 1.0]

    result = cli("score", str(out), "--workers", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    summary = _summary(out)["tasks"]["math500"]
    assert summary["scored_with"] == "evalkit_math500" and summary["samples_flipped"] == 1
    rescored = load_run(out)
    assert [p.score for p in rescored.tasks["math500"].problems] == [1.0, 1.0, 1.0]  # the checker's verdicts now
    assert rescored.results["grader"]["math500"].startswith("evalkit.grading@")


def test_score_refuses_a_file_that_is_not_samples(cli, tmp_path):
    bad = tmp_path / "samples_evalkit_math500_2026-01-01T00-00-00.000000.jsonl"
    bad.write_text('{"doc_id": 0}\n')
    result = cli("score", str(bad))
    assert result.returncode == 2 and f"{bad}:1" in result.stderr and "'doc'" in result.stderr


def test_show_lists_problems_with_marks_answers_and_gold(cli, lm_eval_dir, math_docs):
    result = cli("show", str(lm_eval_dir))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith("org/scripted") and "avg@n 16.7% ± " in lines[1] and "3 problems, 6 samples" in lines[1]
    row = next(line for line in lines if math_docs[1]["id"] in line)
    assert "✗∅" in row and "12345" in row
    assert "3 of 3 problems shown." in result.stdout
    assert "┃" not in result.stdout and "\x1b[" not in result.stdout  # piped: plain text


@pytest.mark.parametrize(("only", "expected"), [("wrong", [1, 2, 3]), ("correct", []), ("no-answer", [1, 2, 3])])
def test_show_filters(cli, lm_eval_dir, math_docs, only, expected):
    result = cli("show", str(lm_eval_dir), "--only", only, "--format", "json")
    assert result.returncode == 0, result.stderr
    problems = json.loads(result.stdout)["tasks"]["evalkit_math500"]["problems"]
    assert [p["id"] for p in problems] == [math_docs[i - 1]["id"] for i in expected]


def test_show_flipped_against_a_rescored_run_and_csv(cli, plain, tmp_path, lm_eval_dir, math_docs):
    other = tmp_path / "other"
    shutil.copytree(lm_eval_dir, other)
    samples = next(other.rglob("samples_*.jsonl"))
    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    rows[2]["avg@n"] = 0.5  # the other run solved problem 3 once
    rows[2]["filtered_resps"][0][0] = json.dumps({"extracted": "x", "correct": True, "reason": "equal", "tokens": 7})
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = cli("show", str(plain), "--only", "flipped", "--against", str(other), "--format", "csv")
    assert result.returncode == 0, result.stderr
    (row,) = list(csv.DictReader(io.StringIO(result.stdout)))
    assert row["id"] == math_docs[2]["id"] and row["verdicts"] == "∅∅" and row["against_verdicts"] == "✓∅"
    assert row["gold"] == math_docs[2]["answer"]


@pytest.mark.parametrize("args", [["--only", "flipped"], ["--only", "sideways"], ["--format", "xml"], ["--task", "nope"]])
def test_show_refuses_bad_flags_in_one_sentence(cli, lm_eval_dir, args):
    result = cli("show", str(lm_eval_dir), *args)
    assert result.returncode == 2 and result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert any(flag in result.stderr for flag in ("--only", "--format", "--task"))


def test_compare_of_lm_eval_and_evalkit_runs_shows_the_system_prompt_not_a_hundred_rows(cli, plain, tmp_path):
    evalkit_run = tmp_path / "evalkit-run"
    shutil.copytree(plain, evalkit_run)
    evalkit_manifest(evalkit_run, "org/scripted", preset="sky-t1",
                     system_prompt="Your role as an assistant involves thoroughly exploring questions.",
                     invocations=[{"status": "complete", "apply_chat_template": True}])
    result = cli("compare", str(plain), str(evalkit_run), "--format", "json", "--iters", "200", "--force")
    assert result.returncode == 0, result.stderr
    diff = {row["setting"]: row["values"] for row in json.loads(result.stdout)["settings_diff"]}
    assert diff["system prompt"][0] == "none" and diff["system prompt"][1] != "none"
    assert diff["chat template"] == ["none", "applied"]
    assert list(diff)[:2] == ["system prompt", "chat template"]  # what matters comes first
    folded = diff["present only in evalkit-run"]
    assert folded[0] == "-" and "manifest.versions.*" in folded[1]
    assert len(diff) < 10, diff
    table = cli("compare", str(plain), str(evalkit_run), "--iters", "200", "--force", width=80).stdout
    assert "present only in evalkit-run" in table and "system prompt" in table  # names whole at 80 columns


def test_a_killed_invocation_is_marked_interrupted_by_the_next(tmp_path):
    run_dir = tmp_path / "run"
    manifest.begin(run_dir, {"tasks": ["t"]}, {"tasks": ["t"]}, {"id": "m"}, None)  # killed before `finish`
    assert [i["status"] for i in manifest.read(run_dir)["invocations"]] == ["running"]
    record = manifest.begin(run_dir, {"tasks": ["t"]}, {"tasks": ["t"]}, {"id": "m"}, "{{ messages }}")
    on_disk = manifest.read(run_dir)
    assert [i["status"] for i in on_disk["invocations"]] == ["interrupted", "running"]
    assert on_disk["chat_template_sha256"] == sha256_text("{{ messages }}")
    record.finish({"results": {"t": {"acc": 1.0}}, "samples": {"t": [{"doc_id": 0}]}},
                  {"generation": {"generated": 1}}, {"datasets": {}}, {"index_tasks_s": 0.0}, started=0.0)
    done = manifest.read(run_dir)
    assert [i["status"] for i in done["invocations"]] == ["interrupted", "complete"]
    files = done["invocations"][-1]["files"]
    assert done["latest_results"] == files and (run_dir / files["results"]).is_file()
    assert {"write_s", "total_s", "index_tasks_s"} <= set(done["wall_times_s"])


@pytest.mark.parametrize(("task", "key", "benchmark", "suite"), [
    ("evalkit_math500", "math500", "math500", "math"),
    ("evalkit_aime24_sky_t1", "aime24", "aime24", "math"),  # a preset suffix: same benchmark
    ("evalkit_aime25_sky_t1", "aime25", "aime25", "math"),
    ("math500", "math500", "math500", "math"),  # an imported run's --task
    ("evalkit_livecodebench_easy", "livecodebench_easy", "livecodebench", "code"),  # a slice keeps its key
    ("evalkit_livecodebench_sky_t1", "livecodebench", "livecodebench", "code"),
    ("gsm8k", "gsm8k", None, None),  # not ours: the leaderboard asks for --suite
])
def test_one_task_to_benchmark_mapping(task, key, benchmark, suite):
    from evalkit.data import benchmark_of

    found = benchmark_of(task)
    assert (found.key, found.benchmark, found.suite) == (key, benchmark, suite)
