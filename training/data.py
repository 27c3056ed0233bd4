"""Demonstrations -> token ids with loss on assistant tokens only.

Rows are conversations (`messages` with role/content, or ShareGPT `conversations` with from/value and
an optional top-level `system`) or (question, reasoning, answer) rows joined by a template. Text is
rendered with the tokenizer's own chat template; the assistant spans are located by rendering the
conversation prefix by prefix (the template decides where a turn starts and ends, we never guess
its markup), and a token carries loss iff it starts inside an assistant span. The turn's end token
(`<|im_end|>` for Qwen) is in the span, so the model learns to stop.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.errors import DataError, EvalkitError
from evalkit.generate import presets
from evalkit.io import read_jsonl
from training.config import DataConfig

IGNORE = -100

# The one copy of SkyThought's Sky-T1 system prompt is the evaluation preset's (evalkit/generate/presets/sky-t1.yaml).
SKYT1_SYSTEM_PROMPT = presets.system_prompt("sky-t1")
SKYT1_TEMPLATE = (
    "<|begin_of_thought|>\n\n{reasoning}\n\n<|end_of_thought|>\n\n"
    "<|begin_of_solution|>\n\n{answer}\n\n<|end_of_solution|>"
)
SYSTEM_PRESETS = {"skyt1": SKYT1_SYSTEM_PROMPT}
TEMPLATES = {"skyt1": SKYT1_TEMPLATE, "plain": "{reasoning}\n\n{answer}"}
ROLE_ALIASES = {"human": "user", "gpt": "assistant", "user": "user", "assistant": "assistant", "system": "system"}


@dataclass
class Sample:
    input_ids: list[int]
    labels: list[int]  # IGNORE where no loss

    @property
    def targets(self) -> int:
        return sum(1 for t in self.labels[1:] if t != IGNORE)


@dataclass
class Dataset:
    samples: list[Sample]
    rows: int  # rows read (after the filter)
    dropped: int  # over max_length, dropped
    truncated: int  # over max_length, truncated

    def report(self) -> str:
        tokens = sum(len(s.input_ids) for s in self.samples)
        targets = sum(s.targets for s in self.samples)
        return (
            f"{len(self.samples)} samples from {self.rows} rows, {tokens} tokens ({targets} carry loss); "
            f"over max length: {self.dropped} dropped, {self.truncated} truncated"
        )


def get_field(row: dict[str, Any], dotted: str) -> Any:
    """`code.0` -> row['code'][0]; None when any step is missing."""
    value: Any = row
    for part in dotted.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def read_rows(cfg: DataConfig) -> list[tuple[str, dict[str, Any]]]:
    """(where, row) pairs from JSONL files, or from the Hub through `datasets` when the path is no file."""
    path = Path(cfg.path)
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if not files:
            raise DataError(f"{path} holds no *.jsonl file")
    elif path.is_file():
        files = [path]
    elif path.suffix in (".jsonl", ".json") or cfg.path.startswith((".", "/")):
        raise DataError(f"training data {path} does not exist")
    else:
        return _hub_rows(cfg)
    rows = []
    for file in files:
        rows.extend((f"{file}:{lineno}", row) for lineno, row in read_jsonl(file))
    return rows


def _hub_rows(cfg: DataConfig) -> list[tuple[str, dict[str, Any]]]:
    import datasets

    try:
        ds = datasets.load_dataset(cfg.path, cfg.subset, split=cfg.split, revision=cfg.revision)
    except Exception as err:  # noqa: BLE001 - datasets raises many types; the user needs one sentence
        raise DataError(f"could not load Hub dataset {cfg.path!r} (split {cfg.split}): {err}") from None
    return [(f"{cfg.path}[{i}]", dict(row)) for i, row in enumerate(ds)]


def to_messages(row: dict[str, Any], cfg: DataConfig, where: str) -> list[dict[str, str]]:
    """One row -> chat messages [system?, user, assistant, ...]."""
    field = cfg.messages_field
    if field == "auto":
        field = next((f for f in ("messages", "conversations") if isinstance(row.get(f), list)), "")
    if field:
        turns = get_field(row, field)
        if not isinstance(turns, list) or not turns:
            raise DataError(f"{where}: field {field!r} is not a non-empty list of turns")
        messages = []
        system = get_field(row, cfg.system_field) if cfg.system_field else None
        if isinstance(system, str) and system:
            messages.append({"role": "system", "content": system})
        for turn in turns:
            role = turn.get("role", turn.get("from")) if isinstance(turn, dict) else None
            content = turn.get("content", turn.get("value")) if isinstance(turn, dict) else None
            if role not in ROLE_ALIASES or not isinstance(content, str):
                raise DataError(f"{where}: every turn needs a role (system/user/assistant) and text content")
            messages.append({"role": ROLE_ALIASES[role], "content": content})
    else:
        question = get_field(row, cfg.question_field)
        if cfg.response_field:
            response = get_field(row, cfg.response_field)
        elif cfg.reasoning_field and cfg.answer_field:
            reasoning, answer = get_field(row, cfg.reasoning_field), get_field(row, cfg.answer_field)
            if not isinstance(reasoning, str) or answer is None:
                raise DataError(f"{where}: missing {cfg.reasoning_field!r} or {cfg.answer_field!r}")
            template = TEMPLATES.get(cfg.template, cfg.template)
            response = template.format(reasoning=reasoning.strip(), answer=str(answer).strip())
        else:
            raise DataError(
                f"{where}: no messages/conversations list; set data.response_field or "
                "data.reasoning_field and data.answer_field"
            )
        if not isinstance(question, str) or not isinstance(response, str):
            raise DataError(f"{where}: field {cfg.question_field!r} or the response is missing or not text")
        messages = [{"role": "user", "content": question}, {"role": "assistant", "content": response}]
    if cfg.system_prompt:
        system = SYSTEM_PRESETS.get(cfg.system_prompt, cfg.system_prompt)
        messages = [{"role": "system", "content": system}] + [m for m in messages if m["role"] != "system"]
    if not any(m["role"] == "assistant" for m in messages):
        raise DataError(f"{where}: the conversation has no assistant turn to learn from")
    return messages


def _render(tokenizer: Any, messages: list[dict[str, str]], generation_prompt: bool) -> str:
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt)


def assistant_spans(tokenizer: Any, messages: list[dict[str, str]]) -> tuple[str, list[tuple[int, int]]]:
    """The rendered text and the character spans of each assistant turn (content + end-of-turn token)."""
    text = _render(tokenizer, messages, False)
    spans = []
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = _render(tokenizer, messages[:i], True)
        through = _render(tokenizer, messages[: i + 1], False)
        if not (text.startswith(through) and through.startswith(before)):
            raise EvalkitError("the tokenizer's chat template does not render conversations prefix by prefix")
        end = len(through.rstrip())  # the newline after <|im_end|> belongs to the template, not the answer
        spans.append((len(before), end))
    return text, spans


def tokenize(tokenizer: Any, messages: list[dict[str, str]]) -> Sample:
    text, spans = assistant_spans(tokenizer, messages)
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    labels = []
    for token, (start, _end) in zip(enc["input_ids"], enc["offset_mapping"]):
        inside = any(a <= start < b for a, b in spans)
        labels.append(token if inside else IGNORE)
    return Sample(list(enc["input_ids"]), labels)


def build_dataset(cfg: DataConfig, tokenizer: Any, max_length: int, length_policy: str,
                  rows: list[tuple[str, dict[str, Any]]] | None = None) -> Dataset:
    """Read, filter, render, tokenize and apply the length policy. Counts are reported, never silent."""
    rows = read_rows(cfg) if rows is None else rows
    if cfg.filter_field:
        rows = [(w, r) for w, r in rows if get_field(r, cfg.filter_field)]
    if cfg.limit is not None:
        rows = rows[: cfg.limit]
    if not rows:
        raise DataError(f"training data {cfg.path} has no rows" + (f" where {cfg.filter_field} is true" if cfg.filter_field else ""))
    samples, dropped, truncated = [], 0, 0
    for where, row in rows:
        sample = tokenize(tokenizer, to_messages(row, cfg, where))
        if len(sample.input_ids) > max_length:
            if length_policy == "drop":
                dropped += 1
                continue
            sample = Sample(sample.input_ids[:max_length], sample.labels[:max_length])
            if sample.targets == 0:  # the prompt alone fills max_length: nothing left to learn from
                dropped += 1
                continue
            truncated += 1
        samples.append(sample)
    if not samples:
        raise DataError(f"all {len(rows)} rows of {cfg.path} were dropped: over max_length={max_length} "
                        "(with length_policy=truncate: the prompt alone fills it)")
    return Dataset(samples, len(rows), dropped, truncated)
