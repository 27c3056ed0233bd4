"""Consistent flags: every command that writes a file or directory takes it as --output/-o, the spellings it
had before still work, and an output whose folder cannot be created is one sentence naming the flag."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.main
from lmeval_fixture import make_run, problems

from evalkit.cli import app
from tests.support import REPO


@dataclass(frozen=True)
class Writer:
    """One command that writes: its arguments with OUT where the output goes, the spelling it had before
    -o (a flag, or None for a positional), the name of what it writes, and a check of what was written."""

    argv: tuple[str, ...]
    old: str | None
    name: str
    check: Callable[[Path, str], bool]
    board: bool = False  # the output is a leaderboard folder, which must exist beforehand


def _json_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


WRITERS = {
    "compare": Writer(("compare", "{a}", "{b}", "--format", "json", "OUT"), "--output", "cmp.json",
                      lambda out, _: "tasks" in json.loads(out.read_text())),
    "show": Writer(("show", "{a}", "--format", "csv", "OUT"), "--output", "show.csv",
                   lambda out, _: out.read_text().startswith("task,id,")),
    "report": Writer(("report", "{a}", "{b}", "OUT"), "--output", "report.html",
                     lambda out, _: out.read_text().lstrip().lower().startswith("<!doctype html")),
    "grade": Writer(("grade", "--input", "{answers}", "--workers", "1", "OUT"), "--output", "graded.jsonl",
                    lambda out, _: [r["equal"] for r in _json_rows(out)] == [True, False]),
    "perturb": Writer(("perturb", "--kind", "delete", "--ratio", "1", "{demos}", "OUT"), None, "out.jsonl",
                      lambda out, _: all(r["perturbation"]["kind"] == "delete" for r in _json_rows(out))),
    "study plan": Writer(("study", "plan", "chains-study", "OUT"), "--output-dir", "study",
                         lambda out, _: (out / "shuffle-p1" / "study.json").is_file()),
    "study report": Writer(("study", "report", "{study}", "OUT"), "--output", "report.md",
                           lambda out, _: "| correct (unperturbed) | 50.0 |" in out.read_text()),
    "leaderboard add": Writer(("leaderboard", "add", "{a}", "--allow-partial", "OUT"), "--dir", "board",
                              lambda out, _: any((out / "records").rglob("*.json")) and (out / "README.md").is_file(),
                              board=True),
    "leaderboard render": Writer(("leaderboard", "render", "OUT"), "--dir", "board",
                                 lambda out, _: (out / "README.md").is_file(), board=True),
    "leaderboard import-outputs": Writer(
        ("leaderboard", "import-outputs", "{published}", "--model", "org/m", "--task", "math500", "--verdicts",
         "published", "OUT"), "--out", "imported", lambda out, _: (out / "manifest.json").is_file()),
    "merge": Writer(("merge", "{adapter}", "OUT"), "--out", "merged", lambda out, _: (out / "config.json").is_file()),
    "demo": Writer(("demo", "--prepare-only", "OUT"), "--output", "demo",
                   lambda out, _: (out / "train.jsonl").is_file() and (out / "base-model" / "config.json").is_file()),
    # --show prints the resolved recipe and stops: the flag sets output_dir (training itself: test_training_cli).
    "train": Writer(("train", "tiny-cpu", "--show", "OUT"), "--output", "run",
                    lambda out, stdout: f"output_dir: {out}" in stdout),
}
# Commands that write nothing of their own, and why (a new command must be listed in one of the two tables).
NOT_WRITERS = {
    "data list": "prints the registry",
    "data show": "prints problems",
    "judge": "prints one JSON verdict",
    "leaderboard check": "reads a board (CI); writes nothing",
    "score": "adds rescored files beside the ones it reads, inside the run directory it is given",
}
HOUSE2 = {"eval"}  # takes -o; its behaviour is tested in test_eval_run.py (another lane)


def _leaves(command, prefix: str = "") -> dict[str, object]:
    subs = getattr(command, "commands", None)
    if not subs:
        return {prefix: command}
    return {k: v for name, sub in subs.items() for k, v in _leaves(sub, f"{prefix} {name}".strip()).items()}


def test_every_command_is_classified_and_every_writer_takes_output_and_o():
    leaves = _leaves(typer.main.get_command(app))
    assert set(leaves) == set(WRITERS) | set(NOT_WRITERS) | HOUSE2
    for name in set(WRITERS) | HOUSE2:
        opts = {o for p in leaves[name].params for o in p.opts}
        assert {"--output", "-o"} <= opts, name
        old = WRITERS[name].old if name in WRITERS else None
        assert old is None or old in opts, name


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_help_says_what_o_writes(cli, name):
    result = cli(*name.split(), "--help")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if re.search(r"--output\b", line) and re.search(r"(?<![\w-])-o\b", line))
    words = re.sub(r"[│\s]+", " ", " ".join(lines[at:at + 3]))
    assert re.search(r"(file|folder|director|JSONL|HTML|Markdown|recipe.s output_dir)", words, re.IGNORECASE), words


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    """The inputs of every row: two runs, answers to grade, demonstrations, published outputs, a study, an adapter."""
    root = tmp_path_factory.mktemp("inputs")
    found = {"a": make_run(root / "a", problems(4), [[True], [False], [True], [True]]),
             "b": make_run(root / "b", problems(4), [[True], [True], [False], [True]], model="org/model-b")}
    found["answers"] = root / "answers.jsonl"
    found["answers"].write_text('{"gold": "2", "pred": "2"}\n{"gold": "2", "pred": "3"}\n')
    found["demos"] = root / "demos.jsonl"
    found["demos"].write_text(json.dumps({"reasoning": "First 1.\n\nThen 2.\n\nSo \\boxed{2}.", "answer": "2"}) + "\n")
    found["published"] = root / "published.jsonl"
    found["published"].write_text(json.dumps({"problem_id": "p1", "problem": "1+1?", "gold": "2",
                                              "output": "\\boxed{2}", "published_correct": True}) + "\n")
    study = root / "study" / "correct"
    results = study / "eval" / "org__model" / "results_2026-01-01T00-00-00.json"
    results.parent.mkdir(parents=True)
    results.write_text(json.dumps({"results": {"evalkit_amc23": {"avg@n,score": 0.5}}, "configs": {}, "versions": {}}))
    (study / "study.json").write_text(json.dumps({"kind": "correct", "ratio": 0.0}))
    found["study"] = study.parent
    found["adapter"] = _tiny_adapter(root / "adapter")
    return found


def _tiny_adapter(out: Path) -> Path:
    """A LoRA adapter on the tiny random Qwen2, as `evalkit train` saves it (no training: merging is the point)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from training.tiny import build_tiny_model

    base = build_tiny_model(out.parent / "tiny-base")
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(base),
                           LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj"]))
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(base).save_pretrained(out)
    return out


def _argv(writer: Writer, inputs: dict[str, Path], spelling: str | None, out: Path) -> list[str]:
    given = [out] if spelling is None else [spelling, out]
    return [str(x) for a in writer.argv for x in (given if a == "OUT" else [a.format(**inputs)])]


def _target(writer: Writer, tmp_path: Path) -> Path:
    out = tmp_path / "new" / writer.name  # a folder that does not exist yet is created
    if writer.board:
        out.mkdir(parents=True)
        shutil.copy(REPO / "leaderboards" / "references.yaml", out / "references.yaml")
    return out


SPELLINGS = [(name, spelling) for name, w in sorted(WRITERS.items()) for spelling in dict.fromkeys(("-o", w.old))]


@pytest.mark.parametrize(("name", "spelling"), SPELLINGS, ids=[f"{n} {s or 'positional'}" for n, s in SPELLINGS])
def test_o_writes_and_the_old_spelling_still_works(cli, inputs, tmp_path, name, spelling):
    writer = WRITERS[name]
    out = _target(writer, tmp_path)
    result = cli(*_argv(writer, inputs, spelling, out))
    assert result.returncode == 0, result.stderr + result.stdout
    assert writer.check(out, result.stdout), result.stdout


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_an_output_whose_folder_cannot_be_created_is_one_sentence_naming_the_flag(cli, inputs, tmp_path, name):
    writer = WRITERS[name]
    (tmp_path / "plain").write_text("a file where a folder must go")
    out = tmp_path / "plain" / "sub" / writer.name
    before = sorted(tmp_path.rglob("*"))
    argv = [a for a in _argv(writer, inputs, "-o", out) if a != "--show"]  # train checks before it trains
    result = cli(*argv)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "--output" in result.stderr and str(out) in result.stderr, result.stderr
    assert sorted(tmp_path.rglob("*")) == before  # nothing half-written, no folder left behind


@pytest.mark.parametrize(("extra", "words"), [
    (["OUT.jsonl", "-o", "{out}"], "give the output once: OUT.jsonl or --output/-o, not both."),
    ([], "missing output: give OUT.jsonl or --output/-o."),
])
def test_perturb_takes_its_output_once(cli, inputs, tmp_path, extra, words):
    args = [a.format(out=tmp_path / "o.jsonl") for a in extra]
    result = cli("perturb", "--kind", "delete", "--ratio", "1", inputs["demos"], *args)
    assert result.returncode == 2 and result.stderr == f"error: {words}\n", result.stderr
    assert list(tmp_path.iterdir()) == []


def test_grade_refuses_o_in_pair_mode_rather_than_ignoring_it(cli, tmp_path):
    result = cli("grade", "2", "2", "-o", tmp_path / "x.jsonl")
    assert result.returncode == 2 and "--output is for --input FILE" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_eval_refuses_an_output_under_a_file_before_anything_loads(cli, tmp_path):
    (tmp_path / "plain").write_text("a file where a folder must go")
    out = tmp_path / "plain" / "sub" / "run"
    result = cli("eval", "--model", str(tmp_path / "no-model"), "--tasks", "evalkit_aime24", "-o", str(out))
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "--output" in result.stderr and str(out) in result.stderr, result.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["plain"]
