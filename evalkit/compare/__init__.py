"""`evalkit compare`: are two runs really different? Paired per-problem statistics over aligned runs.

- `core.compare(runs, tasks, force)` -> `Report` (scores, 95% intervals, paired differences, flips)
- `render`: table / Markdown / JSON; `plot`: PNG figures.
"""

from evalkit.compare.core import Report, compare

__all__ = ["Report", "compare"]
