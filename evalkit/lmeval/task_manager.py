"""Our lm-eval tasks with the run's settings applied: a TaskManager that overrides per-task config
(repeats, generation_kwargs) right after lm-eval builds each task, and fingerprints the data read.

Run settings reach the tasks as arguments, never through os.environ: the data directory as lm-eval
task metadata (`custom_dataset` receives it, as `lm_eval --metadata '{"data_dir": ...}'` does), and the
scoring options (`ScoringOptions`: workers, timeouts, tokenizer) bound as keyword arguments of the
tasks' grading filters.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

from lm_eval.tasks import TaskManager

from evalkit import data
from evalkit.errors import EvalkitError
from evalkit.generate.presets import TaskSettings
from evalkit.io import sha256_file
from evalkit.paths import REPO_ROOT

TASKS_DIR = REPO_ROOT / "tasks"


def include_paths(extra: list[Path] | None = None) -> list[str]:
    paths = [p for p in [TASKS_DIR, *(extra or [])] if Path(p).is_dir()]
    return [str(p) for p in paths]


@dataclass(frozen=True)
class ScoringOptions:
    """How a run's samples are scored; one object passed from the command line to the filters.

    Extend it with a field (and the filter parameter of the same name) for a new scoring option."""

    workers: int | None = None  # grading / judging worker processes (None: one per CPU)
    timeout: float | None = None  # math: seconds per answer comparison
    tokenizer: str | None = None  # only to re-tokenise responses that carry no backend token count
    numeric_tolerance: float | None = None  # math: --numeric-tolerance REL, lenient numbers (docs/grading.md)

    def __post_init__(self) -> None:
        rel = self.numeric_tolerance
        if rel is not None and not 0 < rel < 1:
            raise EvalkitError(f"--numeric-tolerance must be a relative error in (0, 1), got {rel}.")

    def recorded(self) -> dict:
        """The grading options a run's results record (they change verdicts, so compare must see them)."""
        return {"numeric_tolerance": self.numeric_tolerance}

    def filter_kwargs(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def bind_filter_options(task, options: ScoringOptions) -> None:
    """Bind `options` as keyword arguments of the task's custom filter functions (those they accept)."""
    kwargs = options.filter_kwargs()
    if not kwargs:
        return
    for ensemble in getattr(task, "_filters", []):
        bound = []
        for make in ensemble.filters:
            fn = make.keywords.get("filter_fn") if isinstance(make, functools.partial) else None
            if fn is None:
                bound.append(make)
                continue
            params = inspect.signature(fn).parameters
            accepted = {k: v for k, v in kwargs.items() if k in params}
            bound.append(functools.partial(make.func, *make.args, **{**make.keywords,
                                                                   "filter_fn": functools.partial(fn, **accepted)}))
        ensemble.filters = bound


def task_metadata(data_dir: Path | None) -> dict | None:
    """lm-eval task metadata carrying the run's data directory to every task's `custom_dataset`."""
    return {"data_dir": str(data_dir.resolve())} if data_dir is not None else None


class OverridingTaskManager(TaskManager):
    """`load` returns lm-eval's tasks with `settings_for(task_name)` applied; records what it applied."""

    def __init__(self, settings_for: Callable[[str], TaskSettings], include_path: list[str],
                 data_dir: Path | None = None, scoring: ScoringOptions | None = None, **kw):
        super().__init__(include_path=include_path, metadata=task_metadata(data_dir), **kw)
        self.data_dir = data_dir
        self.scoring = scoring or ScoringOptions()
        self.settings_for = settings_for
        self.applied: dict[str, dict] = {}
        self.datasets: dict[str, str] = {}  # task -> fingerprint of its evaluated docs
        self.dataset_info: dict[str, dict] = {}

    def load(self, task_list):
        loaded = super().load(task_list)
        for name, task in loaded["tasks"].items():
            if task.get_config("output_type") != "generate_until":
                raise EvalkitError(f"task {name} is not a generation task; evalkit eval runs generate_until tasks only.")
            settings = self.settings_for(name)
            gen = dict(task.get_config("generation_kwargs") or {})
            for key in ("do_sample", "temperature", "top_p", "max_gen_toks", "max_new_tokens", "max_tokens"):
                gen.pop(key, None)
            gen.update(settings.generation_kwargs())
            task.set_config("generation_kwargs", gen)
            task.set_config("repeats", settings.n)
            bind_filter_options(task, self.scoring)
            self.applied[name] = {"settings": settings.to_dict(), "generation_kwargs": gen}
            self.dataset_info[name] = describe_dataset(task, self.data_dir)
            self.datasets[name] = self.dataset_info[name]["docs_sha256"]
        return loaded

    def resolve_names(self, tasks: str) -> list[str]:
        names = [t.strip() for t in tasks.split(",") if t.strip()]
        if not names:
            raise EvalkitError("--tasks is empty; give task or group names, comma-separated.")
        unknown = unknown_tasks(self, names)
        if unknown:
            ours = [t for t in self.all_tasks if t.startswith("evalkit")]
            raise EvalkitError(f"unknown task(s) in --tasks: {', '.join(unknown)}; evalkit tasks: {', '.join(ours) or 'none'}.")
        for name in names:  # the run's settings for each named task are valid before anything loads
            self.settings_for(name)
        return names


TM = TypeVar("TM", bound=TaskManager)


def unknown_tasks(tm: TaskManager, names: list[str]) -> list[str]:
    """The names that are neither a task or group `tm` indexed nor a task YAML file."""
    return [n for n in names if n not in tm.all_tasks and not Path(n).is_file()]


def open_task_manager(settings_for, extra_paths: list[Path], tasks: str, data_dir: Path | None = None,
                      scoring: ScoringOptions | None = None) -> OverridingTaskManager:
    """Index only our task directories (fast); add lm-eval's built-in tasks only if a name needs them."""
    paths = include_paths(extra_paths)
    wanted = [t.strip() for t in tasks.split(",") if t.strip()]
    return ours_then_builtin(
        lambda builtin: OverridingTaskManager(settings_for, paths, data_dir, scoring, include_defaults=builtin),
        lambda tm: bool(unknown_tasks(tm, wanted)))


def ours_then_builtin(make: Callable[[bool], TM], missing: Callable[[TM], bool]) -> TM:
    """`make(False)` indexes only our task directories (fast); lm-eval's built-in tasks are indexed too
    (`make(True)`) only when `missing` says a task that was asked for is not among ours."""
    tm = make(False)
    return make(True) if missing(tm) else tm


def describe_dataset(task, data_dir: Path | None = None) -> dict:
    """What the task read: declared source and a sha256 over the evaluated documents themselves."""
    cfg = task.config
    kwargs = dict(getattr(cfg, "dataset_kwargs", None) or {})
    info = {"dataset_path": getattr(cfg, "dataset_path", None), "dataset_name": getattr(cfg, "dataset_name", None),
            "revision": kwargs.get("revision"), "test_split": getattr(cfg, "test_split", None)}
    files = kwargs.get("data_files")
    if files:
        flat = list(files.values()) if isinstance(files, dict) else (files if isinstance(files, list) else [files])
        info["files"] = {str(f): sha256_file(Path(f)) for f in flat if Path(str(f)).is_file()}
    info |= _evalkit_benchmark(task.task_name, data_dir)
    digest = hashlib.sha256()
    count = 0
    for doc in task.eval_docs:
        digest.update(json.dumps(doc, sort_keys=True, default=str, ensure_ascii=False).encode())
        count += 1
    info["docs"] = count
    info["docs_sha256"] = digest.hexdigest()
    return info


def _evalkit_benchmark(task_name: str, data_dir: Path | None) -> dict:
    """For evalkit_<benchmark> tasks: the registry's Hub id, revision and local file hash."""
    name = data.benchmark_of(task_name).benchmark if task_name.startswith("evalkit_") else None
    if name is None:
        return {}
    bench = data.get(name)
    out = {"benchmark": name, "hub": bench.hub.dataset, "hub_subset": bench.hub.subset, "hub_revision": bench.hub.revision}
    if data_dir:  # the directory the run reads (resolved once, by the caller); None: the Hub
        path = bench.local_path(data_dir)
        if path is not None and path.is_file():  # generated benchmarks have no file
            out["local_file"] = str(path)
            out["local_sha256"] = sha256_file(path)
    return out
