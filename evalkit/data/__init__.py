"""Benchmark registry: `get(name)`, `names()`, `load(name, data_dir)`, and `benchmark_of(task)`.

Each module in evalkit/data/benchmarks/ declares one `BENCHMARK`; this file collects them. `benchmark_of`
is the one task -> benchmark mapping: which benchmark (and suite) a task name in a run scores.
`evalkit_aime24_sky_t1` and `evalkit_aime24` both score `aime24` (a preset suffix changes how a
benchmark is run, not what it is); `evalkit_livecodebench_easy` is a slice of `livecodebench` and keeps
its own key; an imported run filed under `--task math500` scores `math500`.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from evalkit.data import benchmarks as _benchmarks
from evalkit.data.benchmark import DATA_DIR_ENV, Benchmark, resolve_data_dir
from evalkit.data.records import Problem
from evalkit.errors import EvalkitError

__all__ = ["DATA_DIR_ENV", "Benchmark", "BenchmarkOf", "Problem", "benchmark_of", "get", "load", "names", "registry",
           "resolve_data_dir"]

TASK_PREFIX = "evalkit_"
PRESET_SUFFIXES = ("_sky_t1",)


@cache
def registry() -> dict[str, Benchmark]:
    found = {}
    for info in pkgutil.iter_modules(_benchmarks.__path__):
        module = importlib.import_module(f"{_benchmarks.__name__}.{info.name}")
        bench = getattr(module, "BENCHMARK", None)
        if bench is not None:
            found[bench.name] = bench
    return dict(sorted(found.items()))


def names() -> list[str]:
    return list(registry())


def get(name: str) -> Benchmark:
    try:
        return registry()[name]
    except KeyError:
        raise EvalkitError(f"unknown benchmark {name!r}; known: {', '.join(names())}.") from None


def load(name: str, data_dir: str | Path | None = None) -> list[Problem]:
    return get(name).load(data_dir)


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
    key = re.sub(r"[^a-z0-9_]", "_", task.removeprefix(TASK_PREFIX).lower())
    for suffix in PRESET_SUFFIXES:
        key = key.removesuffix(suffix)
    known = registry()
    name = key if key in known else next((n for n in known if key.startswith(f"{n}_")), None)
    return BenchmarkOf(key, name, known[name].suite if name else None)
