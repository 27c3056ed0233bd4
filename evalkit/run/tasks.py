"""Our lm-eval tasks with the run's settings applied: a TaskManager that overrides per-task config
(repeats, generation_kwargs) right after lm-eval builds each task, and fingerprints the data read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from lm_eval.tasks import TaskManager

from evalkit.errors import EvalkitError
from evalkit.presets import TaskSettings
from evalkit.runs import sha256_file

TASKS_DIR = Path(__file__).resolve().parents[2] / "tasks"


def include_paths(extra: list[Path] | None = None) -> list[str]:
    paths = [p for p in [TASKS_DIR, *(extra or [])] if Path(p).is_dir()]
    return [str(p) for p in paths]


class OverridingTaskManager(TaskManager):
    """`load` returns lm-eval's tasks with `settings_for(task_name)` applied; records what it applied."""

    def __init__(self, settings_for: Callable[[str], TaskSettings], include_path: list[str], **kw):
        super().__init__(include_path=include_path, **kw)
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
            self.applied[name] = {"settings": settings.to_dict(), "generation_kwargs": gen}
            self.dataset_info[name] = describe_dataset(task)
            self.datasets[name] = self.dataset_info[name]["docs_sha256"]
        return loaded

    def resolve_names(self, tasks: str) -> list[str]:
        names = [t.strip() for t in tasks.split(",") if t.strip()]
        if not names:
            raise EvalkitError("--tasks is empty; give task or group names, comma-separated.")
        unknown = [n for n in names if n not in self.all_tasks and not Path(n).is_file()]
        if unknown:
            ours = [t for t in self.all_tasks if t.startswith("evalkit")]
            raise EvalkitError(f"unknown task(s) in --tasks: {', '.join(unknown)}; evalkit tasks: {', '.join(ours) or 'none'}.")
        return names


def open_task_manager(settings_for, extra_paths: list[Path], tasks: str) -> OverridingTaskManager:
    """Index only our task directories (fast); add lm-eval's built-in tasks only if a name needs them."""
    paths = include_paths(extra_paths)
    tm = OverridingTaskManager(settings_for, paths, include_defaults=False)
    wanted = [t.strip() for t in tasks.split(",") if t.strip()]
    if any(t not in tm.all_tasks and not Path(t).is_file() for t in wanted):
        tm = OverridingTaskManager(settings_for, paths, include_defaults=True)
    return tm


def describe_dataset(task) -> dict:
    """What the task read: declared source and a sha256 over the evaluated documents themselves."""
    cfg = task.config
    kwargs = dict(getattr(cfg, "dataset_kwargs", None) or {})
    info = {"dataset_path": getattr(cfg, "dataset_path", None), "dataset_name": getattr(cfg, "dataset_name", None),
            "revision": kwargs.get("revision"), "test_split": getattr(cfg, "test_split", None)}
    files = kwargs.get("data_files")
    if files:
        flat = list(files.values()) if isinstance(files, dict) else (files if isinstance(files, list) else [files])
        info["files"] = {str(f): sha256_file(Path(f)) for f in flat if Path(str(f)).is_file()}
    info |= _evalkit_benchmark(task.task_name)
    digest = hashlib.sha256()
    count = 0
    for doc in task.eval_docs:
        digest.update(json.dumps(doc, sort_keys=True, default=str, ensure_ascii=False).encode())
        count += 1
    info["docs"] = count
    info["docs_sha256"] = digest.hexdigest()
    return info


def _evalkit_benchmark(task_name: str) -> dict:
    """For evalkit_<benchmark> tasks: the registry's Hub id, revision and local file hash."""
    from evalkit import data

    for name in data.names():
        if task_name == f"evalkit_{name}" or task_name.startswith(f"evalkit_{name}_"):
            bench = data.get(name)
            out = {"benchmark": name, "hub": bench.hub.dataset, "hub_subset": bench.hub.subset,
                   "hub_revision": bench.hub.revision}
            root = data.resolve_data_dir(None)
            if root:
                path = bench.local_path(root)
                if path is not None and path.is_file():  # generated benchmarks have no file
                    out["local_file"] = str(path)
                    out["local_sha256"] = sha256_file(path)
            return out
    return {}
