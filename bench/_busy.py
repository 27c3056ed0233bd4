"""One busy-loop process per core, for the benches that must also be measured on a loaded machine."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator

from sandbox.pool import default_workers


@contextlib.contextmanager
def busy_cores() -> Iterator[int]:
    """Yields how many busy loops run; they are killed on the way out."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(default_workers())]
    try:
        yield len(hogs)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
