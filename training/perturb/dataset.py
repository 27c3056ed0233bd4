"""Read a demonstration JSONL, find each row's reasoning, perturb it, write the dataset back.

Three row shapes are recognised without options:
- evaluation traces (SkyThought / Qwen2.5-Math outputs): the reasoning in ``code[0]``, gold in ``gt``,
  correctness in ``score[0]`` (``only_correct`` keeps rows whose score is true);
- conversations: ``messages`` (``role``/``content``) or ``conversations`` (``from``/``value``, ShareGPT):
  the last assistant turn is the reasoning;
- flat rows: ``reasoning`` (or ``response``, ``output``, ``completion``, ``generation``), gold in
  ``answer`` (or ``gt``, ``gold``, ``final_answer``).
``field`` overrides detection with a path such as ``code[0]``, ``messages[-1].content`` or ``reasoning``;
a path that ends on a list of turns means its last assistant turn.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from evalkit.errors import DataError, EvalkitError
from evalkit.io import atomic_writer, read_jsonl
from training.perturb.kinds import DEFAULT_KEYWORDS, count_edit_tokens, perturb_traces
from training.perturb.segment import segment

REASONING_FIELDS = ("code[0]", "reasoning", "response", "output", "completion", "generation", "messages",
                    "conversations")  # fmt: skip
ANSWER_FIELDS = ("gt", "answer", "gold", "final_answer")
ASSISTANT_ROLES = ("assistant", "gpt", "model")


def parse_path(path: str) -> list[str | int]:
    """`messages[-1].content` -> ["messages", -1, "content"]."""
    parts: list[str | int] = []
    for chunk in path.split("."):
        name, _, rest = chunk.partition("[")
        if name:
            parts.append(name)
        for index in filter(None, rest.replace("]", "").split("[")) if rest else []:
            try:
                parts.append(int(index))
            except ValueError:
                raise EvalkitError(f"--field {path!r}: index {index!r} is not an integer.") from None
    if not parts:
        raise EvalkitError(f"--field {path!r} is empty.")
    return parts


def _last_assistant(turns: list) -> tuple[dict, str] | None:
    for turn in reversed(turns):
        if isinstance(turn, dict) and str(turn.get("role", turn.get("from", ""))).lower() in ASSISTANT_ROLES:
            key = "content" if "content" in turn else "value"
            return (turn, key) if key in turn else None
    return None


def locate(row: Any, parts: list[str | int]) -> tuple[Any, str | int] | None:
    """(container, key) such that container[key] is the reasoning, or None if the path is absent."""
    node, parent, key = row, None, None
    for part in parts:
        try:
            parent, key, node = node, part, node[part]
        except (KeyError, IndexError, TypeError):
            return None
    if isinstance(node, list) and node and all(isinstance(t, dict) for t in node):
        return _last_assistant(node)
    return (parent, key) if parent is not None else None


def detect_field(row: dict, where: str) -> str:
    for name in REASONING_FIELDS:
        found = locate(row, parse_path(name))
        if found is not None and isinstance(found[0][found[1]], str):
            return name
    raise DataError(f"{where}: cannot find the reasoning (looked for {', '.join(REASONING_FIELDS)}); "
                    "say where it is with --field.")  # fmt: skip


def is_correct(row: dict, where: str) -> bool:
    for name in ("score", "correct", "is_correct"):
        if name in row:
            value = row[name]
            value = value[0] if isinstance(value, list) and value else value
            if isinstance(value, bool):
                return value
            raise DataError(f"{where}: --only-correct needs a boolean {name!r}, got {value!r}.")
    raise DataError(f"{where}: --only-correct needs a 'score' (or 'correct') field, this row has none.")


@dataclass
class Summary:
    """What a perturbation did to a dataset (printed by the CLI, checked by tests)."""

    kind: str
    ratio: float
    seed: int
    field: str
    rows_read: int = 0
    rows: int = 0
    rows_changed: int = 0
    steps: int = 0
    steps_touched: int = 0
    solutions_touched: int = 0
    tokens: int = 0
    tokens_changed: int = 0
    answers_missing: int = 0  # wrong-answer rows with no \boxed{} to replace (left unchanged)

    def to_dict(self) -> dict:
        return asdict(self)


def perturb_file(
    src: str | Path,
    dst: str | Path,
    kind: str,
    ratio: float,
    seed: int = 0,
    field: str | None = None,
    answer_field: str | None = None,
    only_correct: bool = False,
    trace_format: str = "auto",
    keywords: Sequence[str] = DEFAULT_KEYWORDS,
) -> Summary:
    """Perturb the reasoning of every (kept) row of `src` and write the rows to `dst` atomically."""
    src, dst = Path(src), Path(dst)
    rows, wheres, read = [], [], 0
    for lineno, row in read_jsonl(src):
        read += 1
        where = f"{src}:{lineno}"
        if only_correct and not is_correct(row, where):
            continue
        rows.append(row)
        wheres.append(where)
    if not rows:
        raise DataError(
            f"{src}: no rows to perturb" + (" (none is marked correct)." if only_correct else ".")
        )
    field = field or detect_field(rows[0], wheres[0])
    parts = parse_path(field)
    slots, traces, golds = [], [], []
    for row, where in zip(rows, wheres, strict=True):
        slot = locate(row, parts)
        if slot is None or slot[0][slot[1]] is None:
            raise DataError(f"{where}: missing reasoning field {field!r}.")
        slots.append(slot)
        traces.append(segment(slot[0][slot[1]], trace_format, where))
        golds.append(_gold(row, answer_field, where))
    outcomes = perturb_traces(traces, golds, kind, ratio, seed, keywords, wheres)
    summary = Summary(kind, ratio, seed, field, rows_read=read, rows=len(rows))
    for (container, key), trace, outcome in zip(slots, traces, outcomes, strict=True):
        new = outcome.trace.join()
        container[key] = new
        summary.rows_changed += new != trace.join()
        summary.steps += len(trace.steps)
        summary.steps_touched += outcome.steps_touched
        summary.solutions_touched += outcome.solution_touched
        summary.tokens += count_edit_tokens(trace.join())
        summary.tokens_changed += outcome.tokens_changed
        summary.answers_missing += not outcome.answer_found
    _write_jsonl(dst, rows, {"kind": kind, "ratio": ratio, "seed": seed}, outcomes)
    return summary


def _gold(row: dict, answer_field: str | None, where: str) -> str | None:
    if answer_field:
        found = locate(row, parse_path(answer_field))
        if found is None:
            raise DataError(f"{where}: missing answer field {answer_field!r}.")
        value = found[0][found[1]]
    else:
        value = next((row[name] for name in ANSWER_FIELDS if row.get(name) is not None), None)
    if isinstance(value, list):
        value = value[0] if value else None
    return None if value is None else str(value)


def _write_jsonl(dst: Path, rows: list[dict], meta: dict, outcomes) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(dst) as handle:
        for row, outcome in zip(rows, outcomes, strict=True):
            extra = {"steps_touched": outcome.steps_touched, "tokens_changed": outcome.tokens_changed}
            if outcome.wrong_answer is not None:
                extra["wrong_answer"] = outcome.wrong_answer
            handle.write(json.dumps({**row, "perturbation": {**meta, **extra}}, ensure_ascii=False) + "\n")
