"""Write lm-eval's own result files (`results_<ts>.json`, `samples_<task>_<ts>.jsonl`), atomically."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path

from lm_eval.utils import handle_non_serializable


def timestamp() -> str:
    return datetime.now().isoformat().replace(":", "-")


def atomic_write(path: Path, text: str) -> None:
    """Temp file beside `path`, renamed over it: readers never see half a file, and a failure leaves no temp."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_results(run_dir: Path, results: dict, stamp: str | None = None, prefix: str = "results") -> dict:
    """Split lm-eval's result dict into the results file and one samples file per task, as lm-eval does."""
    stamp = stamp or timestamp()
    results = dict(results)
    samples = results.pop("samples", None) or {}
    written = {"results": None, "samples": {}}
    for task, rows in samples.items():
        path = run_dir / f"samples_{task}_{stamp}.jsonl"
        atomic_write(path, "".join(json.dumps(r, default=handle_non_serializable, ensure_ascii=False) + "\n"
                                   for r in rows))
        written["samples"][task] = path.name
    path = run_dir / f"{prefix}_{stamp}.json"
    atomic_write(path, json.dumps(results, indent=2, default=handle_non_serializable, ensure_ascii=False))
    written["results"] = path.name
    return written
