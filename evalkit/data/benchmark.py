"""A benchmark declaration: where its data lives (Hub and local), its field names, and its size.

The same declaration reads the Hub dataset (what users run) and a local directory (what tests and
offline users run). Every row becomes a `Problem`; a row that cannot, or a count that is off, is a
`DataError` naming the file and line.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.data.records import Problem
from evalkit.errors import DataError, EvalkitError
from evalkit.io import read_jsonl, require

DATA_DIR_ENV = "EVALKIT_DATA_DIR"


@dataclass(frozen=True)
class HubSource:
    """A Hugging Face Hub dataset. Set `revision` to a commit to pin it (every declaration says `main` for
    now: the Hub was out of reach when they were written); a run's manifest records the documents' hash."""

    dataset: str
    split: str
    subset: str | None = None
    revision: str = "main"


@dataclass(frozen=True)
class Fields:
    """Where a source keeps each part of a problem. `id=None` numbers rows from 0."""

    question: str
    answer: str
    id: str | None = None
    metadata: tuple[str, ...] = ()
    context: str | None = None  # prepended to the question when present (OlympiadBench)


def answer_strings(value: Any) -> list[str]:
    """Golds as strings: `27.0` -> "27", lists stay lists, scalars become one-element lists."""
    values = value if isinstance(value, list) else [value]
    out = []
    for item in values:
        if isinstance(item, float) and item.is_integer():
            item = int(item)
        out.append(str(item).strip())
    return out


@dataclass(frozen=True)
class Benchmark:
    """One benchmark. `load()` returns its problems from a local directory or from the Hub."""

    name: str
    title: str
    suite: str
    hub: HubSource
    hub_fields: Fields
    local_file: str  # relative to the data directory
    local_fields: Fields
    expected_count: int
    description: str = ""
    # Optional hook for rows that need more than a field mapping (e.g. OlympiadBench context/unit).
    adapt: Callable[[Problem, dict[str, Any]], Problem] | None = field(default=None, compare=False)

    def local_path(self, data_dir: str | Path) -> Path:
        return Path(data_dir) / self.local_file

    def to_problem(self, row: dict[str, Any], fields: Fields, index: int, where: str) -> Problem:
        require(row, [fields.question, fields.answer] + ([fields.id] if fields.id else []), where)
        question = str(row[fields.question])
        if fields.context and row.get(fields.context):
            question = f"{row[fields.context]}\n{question}"
        answers = answer_strings(row[fields.answer])
        if not answers or any(a == "" for a in answers):
            raise DataError(f"{where}: field {fields.answer!r} is empty.")
        problem = Problem(
            id=str(row[fields.id]) if fields.id else str(index),
            question=question,
            answers=answers,
            metadata={key: row.get(key) for key in fields.metadata},
        )
        return self.adapt(problem, row) if self.adapt else problem

    def load_local(self, data_dir: str | Path) -> list[Problem]:
        path = self.local_path(data_dir)
        if not path.is_file():
            raise DataError(f"{self.name}: {path} not found (data directory {data_dir}).")
        problems, last = [], 0
        for lineno, row in read_jsonl(path):
            problems.append(self.to_problem(row, self.local_fields, len(problems), f"{path}:{lineno}"))
            last = lineno
        self._check(problems, f"{path}", last)
        return problems

    def load_hub(self) -> list[Problem]:
        import datasets

        source = self.hub
        try:
            rows = datasets.load_dataset(source.dataset, source.subset, split=source.split, revision=source.revision)
        except Exception as err:  # the Hub raises many types; all mean "could not read it"
            raise EvalkitError(
                f"{self.name}: could not load {source.dataset} from the Hugging Face Hub ({type(err).__name__}); "
                f"point --data-dir or {DATA_DIR_ENV} at a local copy."
            ) from None
        where = f"hf://{source.dataset}/{source.subset or ''}[{source.split}]"
        problems = [self.to_problem(row, self.hub_fields, i, f"{where} row {i}") for i, row in enumerate(rows)]
        self._check(problems, where, len(problems))
        return problems

    def load(self, data_dir: str | Path | None = None) -> list[Problem]:
        """Local directory if given (argument or $EVALKIT_DATA_DIR), else the Hub."""
        data_dir = resolve_data_dir(data_dir)
        return self.load_local(data_dir) if data_dir else self.load_hub()

    def _check(self, problems: list[Problem], where: str, last_line: int) -> None:
        if len(problems) != self.expected_count:
            raise DataError(
                f"{where}: expected {self.expected_count} {self.name} problems, found {len(problems)} "
                f"(last line read: {last_line})."
            )
        seen: set[str] = set()
        for problem in problems:
            if problem.id in seen:
                raise DataError(f"{where}: duplicate problem id {problem.id!r}.")
            seen.add(problem.id)


@dataclass(frozen=True)
class GeneratedBenchmark:
    """A benchmark made by a seeded generator (nothing to download or store): the same problems on
    every machine. `load()` ignores data directories; the count and ids are checked like any other."""

    name: str
    title: str
    suite: str
    generate: Callable[[], list[Problem]] = field(compare=False)
    expected_count: int
    origin: str  # what generates it, e.g. "evalkit.data.chains (seed 16)"
    description: str = ""

    @property
    def hub(self) -> HubSource:
        return HubSource(f"(generated: {self.origin})", split="test")

    def local_path(self, data_dir: str | Path) -> None:
        return None  # no file: the generator is the source

    def load(self, data_dir: str | Path | None = None) -> list[Problem]:
        problems = self.generate()
        Benchmark._check(self, problems, self.origin, len(problems))  # type: ignore[arg-type]
        return problems


def resolve_data_dir(data_dir: str | Path | None = None) -> Path | None:
    """The local data directory: the argument, else $EVALKIT_DATA_DIR, else None (use the Hub)."""
    chosen = data_dir or os.environ.get(DATA_DIR_ENV)
    if not chosen:
        return None
    path = Path(chosen).expanduser()
    if not path.is_dir():
        flag = "--data-dir" if data_dir else DATA_DIR_ENV
        raise EvalkitError(f"{flag} points at {path}, which is not a directory.")
    return path
