"""Benchmark registry: `get(name)`, `names()`, `load(name, data_dir)`.

Each module in evalkit/data/benchmarks/ declares one `BENCHMARK`; this file collects them.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path

from evalkit.data import benchmarks as _benchmarks
from evalkit.data.benchmark import DATA_DIR_ENV, Benchmark, resolve_data_dir
from evalkit.data.records import Problem
from evalkit.errors import EvalkitError

__all__ = ["DATA_DIR_ENV", "Benchmark", "Problem", "get", "load", "names", "registry", "resolve_data_dir"]


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
