"""What tests share besides fixtures: the repository root and the fixture task directory.

(Fixtures, among them the `cli` runner, are in conftest.py.)
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EVALKIT_SHARED_DIR", REPO.parent / "shared"))
FIXTURES = REPO / "tests" / "fixtures"
TASKS = FIXTURES / "eval_tasks"  # the evalkit_selftest lm-eval task
