"""`evalkit perturb` over the shared Sky-T1 traces and over the other input shapes, and its errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from training.perturb import segment
from training.perturb.kinds import DEFAULT_KEYWORDS, boxed_spans, keyword_pattern

REPO = Path(__file__).resolve().parents[1]
TRACES_DIR = "long_cot_traces_skyt1_minerva"


def run_cli(*args: str | Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "400"}  # no wrapping inside messages
    return subprocess.run([sys.executable, "-m", "evalkit", "perturb", *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def traces_file(data_dir: Path) -> Path:
    files = sorted((data_dir / TRACES_DIR).glob("*.jsonl"))
    assert files, f"no traces under {data_dir / TRACES_DIR}"
    return files[0]


@pytest.fixture(scope="module")
def correct_rows(traces_file: Path) -> list[dict]:
    return [r for r in read(traces_file) if r["score"][0] is True]


@pytest.mark.parametrize("kind", ["wrong-answer", "digits", "keywords", "shuffle", "delete", "insert", "replace"])
def test_every_kind_runs_over_the_shared_traces(
    kind: str, traces_file: Path, correct_rows, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    proc = run_cli(
        "--kind", kind, "--ratio", "1", "--seed", "3", "--only-correct", "--json", traces_file, out
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    rows = read(out)
    before = [segment(r["code"][0]) for r in correct_rows]
    after = [segment(r["code"][0]) for r in rows]
    assert summary["rows_read"] == len(read(traces_file))
    assert summary["rows"] == len(rows) == len(correct_rows)
    assert [r["idx"] for r in rows] == [r["idx"] for r in correct_rows]
    assert summary["field"] == "code[0]"
    assert summary["steps"] == sum(len(t.steps) for t in before)
    assert summary["rows_changed"] == sum(a.join() != b.join() for a, b in zip(after, before, strict=True))
    assert summary["steps_touched"] == sum(r["perturbation"]["steps_touched"] for r in rows)
    assert summary["tokens_changed"] == sum(r["perturbation"]["tokens_changed"] for r in rows)
    assert 0 < summary["tokens_changed"] <= summary["tokens"]
    if kind == "shuffle":
        assert all(Counter(a.steps) == Counter(b.steps) for a, b in zip(after, before, strict=True))
        assert summary["steps_touched"] == sum(len(t.steps) for t in before if len(t.steps) >= 2)
    if kind == "delete":
        assert all(a.steps == [] and a.solution == b.solution for a, b in zip(after, before, strict=True))
        assert summary["steps_touched"] == summary["steps"] and summary["rows_changed"] == summary["rows"]
    if kind == "insert":
        assert all(len(a.steps) == 2 * len(b.steps) for a, b in zip(after, before, strict=True))
    if kind == "replace":
        assert all(len(a.steps) == len(b.steps) and a.solution == b.solution for a, b in zip(after, before, strict=True))
        assert summary["steps_touched"] == summary["steps"]
    if kind == "digits":
        digits = sum(ch.isdigit() and ch.isascii() for r in correct_rows for ch in r["code"][0])
        assert summary["tokens_changed"] == digits
    if kind == "keywords":
        pattern = keyword_pattern(DEFAULT_KEYWORDS)
        assert (
            sum(len(pattern.findall(a.join())) for a in after)
            < sum(len(pattern.findall(b.join())) for b in before) / 10
        )
        assert all(len(a.join()) <= len(b.join()) for a, b in zip(after, before, strict=True))
    if kind == "wrong-answer":
        assert summary["rows_changed"] + summary["answers_missing"] == summary["rows"]
        for row in rows:
            text = row["code"][0]
            wrong = row["perturbation"].get("wrong_answer")
            if boxed_spans(text):
                assert {text[a:b] for a, b in boxed_spans(text)} == {wrong}
                assert wrong != row["gt"]


def test_ratio_zero_copies_the_rows(traces_file: Path, correct_rows, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    proc = run_cli("--kind", "shuffle", "--ratio", "0", "--only-correct", traces_file, out)
    assert proc.returncode == 0, proc.stderr
    assert "steps touched" in proc.stdout and "tokens changed" in proc.stdout
    assert [r["code"] for r in read(out)] == [r["code"] for r in correct_rows]


def test_conversations_and_flat_rows_and_r1(tmp_path: Path) -> None:
    think = "<think>\nFirst 12.\n\nWait, 13.\n\nSo \\boxed{13}.\n</think>\n\nThe answer is \\boxed{13}."
    chat = [{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": think}],
             "answer": "13"},
            {"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": think.replace("13", "9")}],
             "answer": "9"}]  # fmt: skip
    src = tmp_path / "chat.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in chat[:1] * 2) + "\n")
    proc = run_cli("--kind", "delete", "--ratio", "1", "--json", src, tmp_path / "o.jsonl")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["field"] == "messages"
    out = read(tmp_path / "o.jsonl")[0]["messages"]
    assert (
        out[0]["content"] == "q" and out[1]["content"] == "<think>\n\n</think>\n\nThe answer is \\boxed{13}."
    )
    src.write_text(json.dumps(chat[1]) + "\n")
    proc = run_cli("--kind", "digits", "--ratio", "1", "--json", src, tmp_path / "o.jsonl")
    assert proc.returncode == 0 and json.loads(proc.stdout)["field"] == "conversations"
    assert "9" not in read(tmp_path / "o.jsonl")[0]["conversations"][1]["value"]
    flat = [
        {"question": "q", "reasoning": f"Try {i}.\n\nHmm, so \\boxed{{{i}}}.", "answer": str(i)}
        for i in range(3)
    ]
    src.write_text("\n".join(map(json.dumps, flat)) + "\n")
    proc = run_cli("--kind", "wrong-answer", "--ratio", "1", "--json", src, tmp_path / "o.jsonl")
    assert proc.returncode == 0, proc.stderr
    for before, after in zip(flat, read(tmp_path / "o.jsonl"), strict=True):
        wrong = after["perturbation"]["wrong_answer"]
        assert wrong != before["answer"] and after["reasoning"].endswith(f"\\boxed{{{wrong}}}.")
        assert after["question"] == "q" and after["answer"] == before["answer"]
    proc = run_cli("--kind", "keywords", "--ratio", "1", "--keywords", "try", "--field", "reasoning", src,
                   tmp_path / "o.jsonl")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert read(tmp_path / "o.jsonl")[0]["reasoning"] == "0.\n\nHmm, so \\boxed{0}."


@pytest.mark.parametrize(
    ("rows", "args", "message"),
    [
        (
            [{"reasoning": "a"}, {"question": "no reasoning"}],
            [],
            r"in\.jsonl:2: missing reasoning field 'reasoning'",
        ),
        ([{"question": "q"}], [], r"in\.jsonl:1: cannot find the reasoning .*--field"),
        ([{"reasoning": "a\n\nb"}], ["--format", "sky-t1"], r"in\.jsonl:1: not a sky-t1 trace"),
        ([{"reasoning": "</think> a <think>"}], [], r"in\.jsonl:1: </think> comes before <think>"),
        ([{"reasoning": ["a"]}], ["--field", "reasoning"], r"in\.jsonl:1: the reasoning is a list"),
        ([{"reasoning": "a"}], ["--only-correct"], r"in\.jsonl:1: --only-correct needs a 'score'"),
        ([{"reasoning": "a"}], ["--ratio", "1.5"], r"--ratio must be in \[0, 1\]"),
        ([{"reasoning": "a"}], ["--kind", "scramble"], r"unknown --kind 'scramble'"),
    ],
)
def test_bad_input_is_one_clear_error(
    rows: list[dict], args: list[str], message: str, tmp_path: Path
) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join(map(json.dumps, rows)) + "\n")
    options = {"--kind": "digits", "--ratio": "0.5"}
    for flag, value in zip(args[::2], args[1::2], strict=False):
        options[flag] = value
    flat = [x for kv in options.items() for x in kv if x != "--only-correct"]
    flat += ["--only-correct"] if "--only-correct" in args else []
    proc = run_cli(*flat, src, dst)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert re.search(message, " ".join(proc.stderr.split())), proc.stderr
    assert "Traceback" not in proc.stderr
    assert not dst.exists()
