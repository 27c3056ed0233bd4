"""`manifest.json`: everything needed to know what a run did and to redo it.

Versions, git commit, model identity, parallelism, GPUs, chat template hash, datasets, the resolved
preset and per-task settings, seed, and wall time per stage. Each invocation on the same run
directory is appended to `invocations`, so a resumed or re-parameterised run keeps its history; one
still "running" when the next begins was killed, and is marked "interrupted" then.

Imported runs (`evalkit leaderboard import-outputs`) write a smaller manifest: `model` is a plain string.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from evalkit.io import atomic_write, read_json
from evalkit.rundir.files import MANIFEST

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
    from evalkit.generate.vllm_compat import vllm_version
    from evalkit.grading.version import grader_version

    return {"evalkit": __version__, "grader": grader_version("math"), "judge": grader_version("code"), "lm_eval": _version("lm_eval"), "vllm": vllm_version() if _importable("vllm") else None,
            "torch": _version("torch"), "transformers": _version("transformers"), "python": platform.python_version()}


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
    atomic_write(run_dir / MANIFEST, json.dumps(manifest, indent=2, default=str))


def begin_invocation(manifest: dict, invocation: dict) -> None:
    """Append `invocation`; earlier ones still "running" never finished (killed), so say so."""
    for earlier in manifest.setdefault("invocations", []):
        if isinstance(earlier, dict) and earlier.get("status") == "running":
            earlier["status"] = "interrupted"
    manifest["invocations"].append(invocation)


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
