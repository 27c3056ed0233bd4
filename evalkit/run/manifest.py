"""`manifest.json`: everything needed to know what a run did and to redo it.

Versions, git commit, model identity, parallelism, GPUs, chat template hash, datasets, the resolved
preset and per-task settings, seed, and wall time per stage. Each invocation on the same run
directory is appended to `invocations`, so a resumed or re-parameterised run keeps its history.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

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

    return {"evalkit": __version__, "lm_eval": _version("lm_eval"), "vllm": vllm_version() if _importable("vllm") else None,
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
    path = run_dir / "manifest.json"
    if path.is_file():
        return json.loads(path.read_text())
    return {}


def write(run_dir: Path, manifest: dict) -> None:
    """Atomic: a kill never leaves a half-written manifest."""
    run_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=run_dir, prefix=".manifest.", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(manifest, fh, indent=2, default=str)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, run_dir / "manifest.json")


def command_line() -> list[str]:
    return [os.path.basename(sys.argv[0]), *sys.argv[1:]]
