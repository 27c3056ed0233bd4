"""The file names of a run directory and how they are written: lm-eval's `results_<ts>.json` and
`samples_<task>_<ts>.jsonl` (possibly one folder down, under the model's name), `manifest.json`,
evalkit's `rescore_<ts>.json` and the resume cache `generations.jsonl`. Every write is atomic: a reader never sees half a file.

Reads and writes go through `evalkit.io` (`read_json`, `atomic_write`); so do content hashes.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from evalkit.errors import EvalkitError
from evalkit.io import read_json

MANIFEST = "manifest.json"
GENERATIONS = "generations.jsonl"  # the resume cache (evalkit.generate.resume.GenerationStore)
RESULTS_RE = re.compile(r"^results_(?P<ts>.+)\.json$")
SAMPLES_RE = re.compile(r"^samples_(?P<task>.+)_(?P<ts>\d{4}-\d\d-\d\dT[\d.\-]+)\.jsonl$")


def timestamp() -> str:
    """lm-eval's file-name timestamp (ISO, colons replaced): sorts in time order."""
    return datetime.now().isoformat().replace(":", "-")


def find_results(root: Path) -> Path:
    """The newest results_*.json of a run directory (lm-eval nests it under the model's name)."""
    if not root.is_dir():
        raise EvalkitError(f"run directory {root} does not exist or is not a directory.")
    found = sorted(p for p in root.rglob("results_*.json") if RESULTS_RE.match(p.name))
    if not found:
        raise EvalkitError(f"{root} holds no results_*.json: is it an lm-eval --output_path or evalkit run dir?")
    parents = sorted({p.parent for p in found})
    if len(parents) > 1:
        listed = ", ".join(str(p.relative_to(root)) for p in parents)
        raise EvalkitError(f"{root} holds results of several models ({listed}); pass one of those folders.")
    return max(found, key=lambda p: p.name)  # lm-eval date ids are ISO timestamps: the last one sorts last


def find_samples(target: Path) -> dict[str, Path]:
    """task -> samples file: the newest per task in a run directory (rescored ones included), or one file."""
    if target.is_file():
        m = SAMPLES_RE.match(target.name)
        if not m:
            raise EvalkitError(f"{target}: not an lm-eval samples file (expected samples_<task>_<timestamp>.jsonl).")
        return {m["task"]: target}
    if not target.is_dir():
        raise EvalkitError(f"{target} is neither a run directory nor a samples_*.jsonl file.")
    found: dict[str, tuple[str, Path]] = {}
    for path in target.rglob("samples_*.jsonl"):
        m = SAMPLES_RE.match(path.name)
        if m and (m["task"] not in found or m["ts"] > found[m["task"]][0]):
            found[m["task"]] = (m["ts"], path)
    if not found:
        raise EvalkitError(f"no samples_<task>_<timestamp>.jsonl files under {target}: run lm-eval with --log_samples.")
    return {task: path for task, (_ts, path) in sorted(found.items())}


def results_beside(samples: Path) -> dict[str, Any]:
    """The results_*.json written with a samples file ({} when there is none)."""
    m = SAMPLES_RE.match(samples.name)
    candidate = samples.parent / f"results_{m['ts']}.json" if m else None
    return read_json(candidate) if candidate is not None and candidate.is_file() else {}


def run_root(target: Path) -> Path:
    """The directory that holds a run's manifest.json: the target, or the folder above lm-eval's model folder."""
    folder = target if target.is_dir() else target.parent
    for candidate in (folder, folder.parent):
        if (candidate / MANIFEST).is_file():
            return candidate
    return folder
