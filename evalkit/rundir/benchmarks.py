"""The one task -> benchmark mapping: which benchmark (and suite) a task name in a run scores.

`evalkit_aime24_sky_t1` and `evalkit_aime24` both score `aime24` (a preset suffix changes how a
benchmark is run, not what it is); `evalkit_livecodebench_easy` is a slice of `livecodebench` and keeps
its own key; an imported run filed under `--task math500` scores `math500`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TASK_PREFIX = "evalkit_"
PRESET_SUFFIXES = ("_sky_t1",)


@dataclass(frozen=True)
class BenchmarkOf:
    key: str  # what the leaderboard files the score under (`aime24`, `livecodebench_easy`)
    benchmark: str | None  # the registry benchmark it reads (`aime24`, `livecodebench`), None if unknown
    suite: str | None  # `math`, `code`, None if unknown

    @property
    def task(self) -> str:
        """The evalkit lm-eval task that scores this key (`math500` -> `evalkit_math500`)."""
        return f"{TASK_PREFIX}{self.key}"


def benchmark_of(task: str) -> BenchmarkOf:
    from evalkit import data

    key = re.sub(r"[^a-z0-9_]", "_", task.removeprefix(TASK_PREFIX).lower())
    for suffix in PRESET_SUFFIXES:
        key = key.removesuffix(suffix)
    registry = data.registry()
    name = key if key in registry else next((n for n in registry if key.startswith(f"{n}_")), None)
    return BenchmarkOf(key, name, registry[name].suite if name else None)
