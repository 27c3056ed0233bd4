"""Where evalkit's own files live (the lm-eval task configs ship beside the package, in tasks/)."""

from __future__ import annotations

from pathlib import Path

from evalkit.errors import EvalkitError

REPO_ROOT = Path(__file__).resolve().parents[1]


def tasks_dir() -> Path:
    """The `tasks/` directory to put on lm-eval's include path."""
    path = REPO_ROOT / "tasks"
    if not path.is_dir():
        raise EvalkitError(
            f"evalkit's lm-eval tasks were not found at {path}; install evalkit from a checkout (pip install -e .)."
        )
    return path
