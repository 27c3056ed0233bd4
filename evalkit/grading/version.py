"""The grader's version string: a hash of the source that decides verdicts, so a score names exactly
the checker (math) or judge (code) behind it, and changes whenever grading does."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
SOURCES = {"math": ("evalkit.grading", _ROOT / "evalkit" / "grading"), "code": ("sandbox", _ROOT / "sandbox")}


@cache
def grader_version(suite: str = "math") -> str:
    """`evalkit.grading@<12 hex>` for math, `sandbox@<12 hex>` for code."""
    name, root = SOURCES.get(suite, SOURCES["math"])
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return f"{name}@{digest.hexdigest()[:12]}"
