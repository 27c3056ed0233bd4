"""Training data: loss only on assistant tokens (checked against the chat template), presets, length policy."""

from __future__ import annotations

import json

import pytest
from transformers import AutoTokenizer

from evalkit.errors import DataError
from training.config import DataConfig
from training.data import IGNORE, SKYT1_SYSTEM_PROMPT, build_dataset, to_messages, tokenize

MINERVA = "long_cot_traces_skyt1_minerva/test_Sky-T1_-1_seed0_t0.0_s0_e-1.jsonl"


@pytest.fixture(scope="module")
def qwen(qwen_tokenizer_dir):
    return AutoTokenizer.from_pretrained(str(qwen_tokenizer_dir))


def labelled_runs(sample):
    """Maximal runs of consecutive loss-carrying tokens, as token lists."""
    runs, current = [], []
    for label in sample.labels:
        if label == IGNORE:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(label)
    return runs + ([current] if current else [])


def test_only_assistant_turns_carry_loss(qwen):
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "It is 4."},
        {"role": "user", "content": "And 3+3? Say 6."},
        {"role": "assistant", "content": "<|begin_of_thought|>\n\nadd\n\n<|end_of_thought|> 6"},
    ]
    sample = tokenize(qwen, messages)
    assert sample.input_ids == qwen.apply_chat_template(messages, tokenize=True, return_dict=True)["input_ids"]
    runs = [qwen.decode(run) for run in labelled_runs(sample)]
    assert runs == ["It is 4.<|im_end|>", "<|begin_of_thought|>\n\nadd\n\n<|end_of_thought|> 6<|im_end|>"]
    assert all(label in (IGNORE, token) for token, label in zip(sample.input_ids, sample.labels))


def test_question_reasoning_answer_rows_use_the_skyt1_preset(qwen):
    cfg = DataConfig(path="x", reasoning_field="r", answer_field="a", system_prompt="skyt1")
    messages = to_messages({"question": "Q?", "r": "think", "a": "\\boxed{1}"}, cfg, "row 1")
    assert messages[0] == {"role": "system", "content": SKYT1_SYSTEM_PROMPT}
    assert messages[2]["content"] == (
        "<|begin_of_thought|>\n\nthink\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\n\\boxed{1}\n\n<|end_of_solution|>"
    )
    text = qwen.decode([t for t in tokenize(qwen, messages).labels if t != IGNORE])
    assert text == messages[2]["content"] + "<|im_end|>"


def test_sharegpt_rows_and_missing_fields(qwen, tmp_path):
    cfg = DataConfig(path="x")
    row = {"system": "S", "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]}
    assert [m["role"] for m in to_messages(row, cfg, "f:1")] == ["system", "user", "assistant"]
    with pytest.raises(DataError, match="f:2"):
        to_messages({"question": "no answer"}, cfg, "f:2")


def test_minerva_traces_and_length_policy(qwen, data_dir):
    path = data_dir / MINERVA
    rows = [json.loads(line) for line in path.open()]
    correct = sum(1 for r in rows if r["score"][0])
    cfg = DataConfig(path=str(path), response_field="code.0", filter_field="score.0", system_prompt="skyt1")
    whole = build_dataset(cfg, qwen, max_length=10**6, length_policy="drop")
    assert whole.rows == correct and len(whole.samples) == correct and whole.dropped == whole.truncated == 0
    lengths = sorted(len(s.input_ids) for s in whole.samples)
    limit = lengths[len(lengths) // 2]
    over = sum(1 for n in lengths if n > limit)
    dropped = build_dataset(cfg, qwen, max_length=limit, length_policy="drop")
    assert (dropped.dropped, dropped.truncated, len(dropped.samples)) == (over, 0, correct - over)
    cut = build_dataset(cfg, qwen, max_length=limit, length_policy="truncate")
    assert cut.truncated + cut.dropped == over and max(len(s.input_ids) for s in cut.samples) == limit
    assert "dropped" in cut.report() and "truncated" in cut.report()
