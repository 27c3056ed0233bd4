"""The one record type every benchmark yields, whatever its source's field names."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """A benchmark problem. `answers` is a list because some golds have several parts (OlympiadBench)."""

    id: str
    question: str
    answers: list[str]
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def answer(self) -> str:
        """The gold as one string (multi-part golds joined with ', ')."""
        return ", ".join(self.answers)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
