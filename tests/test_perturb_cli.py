"""`evalkit perturb` over the shared Sky-T1 traces and over the other input shapes, and its errors."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from training.perturb import segment
from training.perturb.kinds import DEFAULT_KEYWORDS, boxed_spans, keyword_pattern

TRACES_DIR = "long_cot_traces_skyt1_minerva"


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


def _pairs(after, before):
    return zip(after, before, strict=True)


def _check_shuffle(summary, before, after, rows, correct_rows):
    assert all(Counter(a.steps) == Counter(b.steps) for a, b in _pairs(after, before))
    assert summary["steps_touched"] == sum(len(t.steps) for t in before if len(t.steps) >= 2)


def _check_delete(summary, before, after, rows, correct_rows):
    assert all(a.steps == [] and a.solution == b.solution for a, b in _pairs(after, before))
    assert summary["steps_touched"] == summary["steps"] and summary["rows_changed"] == summary["rows"]


def _check_insert(summary, before, after, rows, correct_rows):
    assert all(len(a.steps) == 2 * len(b.steps) for a, b in _pairs(after, before))


def _check_replace(summary, before, after, rows, correct_rows):
    assert all(len(a.steps) == len(b.steps) and a.solution == b.solution for a, b in _pairs(after, before))
    assert summary["steps_touched"] == summary["steps"]


def _check_digits(summary, before, after, rows, correct_rows):
    digits = sum(ch.isdigit() and ch.isascii() for r in correct_rows for ch in r["code"][0])
    assert summary["tokens_changed"] == digits


def _check_keywords(summary, before, after, rows, correct_rows):
    pattern = keyword_pattern(DEFAULT_KEYWORDS)
    assert (
        sum(len(pattern.findall(a.join())) for a in after)
        < sum(len(pattern.findall(b.join())) for b in before) / 10
    )
    assert all(len(a.join()) <= len(b.join()) for a, b in _pairs(after, before))


def _check_wrong_answer(summary, before, after, rows, correct_rows):
    assert summary["rows_changed"] + summary["answers_missing"] == summary["rows"]
    for row in rows:
        text = row["code"][0]
        wrong = row["perturbation"].get("wrong_answer")
        if boxed_spans(text):
            assert {text[a:b] for a, b in boxed_spans(text)} == {wrong}
            assert wrong != row["gt"]


KIND_CHECKS = {"wrong-answer": _check_wrong_answer, "digits": _check_digits, "keywords": _check_keywords,
               "shuffle": _check_shuffle, "delete": _check_delete, "insert": _check_insert,
               "replace": _check_replace}


@pytest.mark.parametrize("kind", list(KIND_CHECKS))
def test_every_kind_runs_over_the_shared_traces(
    cli, kind: str, traces_file: Path, correct_rows, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    proc = cli("perturb", "--kind", kind, "--ratio", "1", "--seed", "3", "--only-correct", "--json", traces_file, out)
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
    assert summary["rows_changed"] == sum(a.join() != b.join() for a, b in _pairs(after, before))
    assert summary["steps_touched"] == sum(r["perturbation"]["steps_touched"] for r in rows)
    assert summary["tokens_changed"] == sum(r["perturbation"]["tokens_changed"] for r in rows)
    assert 0 < summary["tokens_changed"] <= summary["tokens"]
    KIND_CHECKS[kind](summary, before, after, rows, correct_rows)


def test_ratio_zero_copies_the_rows(cli, traces_file: Path, correct_rows, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    proc = cli("perturb", "--kind", "shuffle", "--ratio", "0", "--only-correct", traces_file, out)
    assert proc.returncode == 0, proc.stderr
    assert "steps touched" in proc.stdout and "tokens changed" in proc.stdout
    assert [r["code"] for r in read(out)] == [r["code"] for r in correct_rows]


THINK = "<think>\nFirst 12.\n\nWait, 13.\n\nSo \\boxed{13}.\n</think>\n\nThe answer is \\boxed{13}."
CHAT = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": THINK}], "answer": "13"}
SHAREGPT = {"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": THINK.replace("13", "9")}],
            "answer": "9"}
FLAT = [{"question": "q", "reasoning": f"Try {i}.\n\nHmm, so \\boxed{{{i}}}.", "answer": str(i)} for i in range(3)]


def _chat_thought_deleted(out):
    messages = out[0]["messages"]
    assert messages[0]["content"] == "q"
    assert messages[1]["content"] == "<think>\n\n</think>\n\nThe answer is \\boxed{13}."


def _sharegpt_digits_changed(out):
    assert "9" not in out[0]["conversations"][1]["value"]


def _flat_answers_wrong(out):
    for before, after in zip(FLAT, out, strict=True):
        wrong = after["perturbation"]["wrong_answer"]
        assert wrong != before["answer"] and after["reasoning"].endswith(f"\\boxed{{{wrong}}}.")
        assert after["question"] == "q" and after["answer"] == before["answer"]


def _flat_keyword_removed(out):
    assert out[0]["reasoning"] == "0.\n\nHmm, so \\boxed{0}."


@pytest.mark.parametrize(("rows", "args", "field", "check"), [
    ([CHAT, CHAT], ["--kind", "delete"], "messages", _chat_thought_deleted),  # R1 <think> in chat messages
    ([SHAREGPT], ["--kind", "digits"], "conversations", _sharegpt_digits_changed),
    (FLAT, ["--kind", "wrong-answer"], "reasoning", _flat_answers_wrong),
    (FLAT, ["--kind", "keywords", "--keywords", "try", "--field", "reasoning"], "reasoning", _flat_keyword_removed),
], ids=["chat-r1", "sharegpt", "flat-wrong-answer", "flat-keywords"])
def test_conversations_and_flat_rows_and_r1(cli, rows, args, field, check, tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "o.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    proc = cli("perturb", *args, "--ratio", "1", "--json", src, out)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["field"] == field
    check(read(out))


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
    cli, rows: list[dict], args: list[str], message: str, tmp_path: Path
) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join(map(json.dumps, rows)) + "\n")
    options = {"--kind": "digits", "--ratio": "0.5"}
    for flag, value in zip(args[::2], args[1::2], strict=False):
        options[flag] = value
    flat = [x for kv in options.items() for x in kv if x != "--only-correct"]
    flat += ["--only-correct"] if "--only-correct" in args else []
    proc = cli("perturb", *flat, src, dst)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert re.search(message, " ".join(proc.stderr.split())), proc.stderr
    assert "Traceback" not in proc.stderr
    assert not dst.exists()
