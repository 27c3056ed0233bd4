"""The settings diff of `evalkit compare`: only values that differ in meaning, the ones that matter first.

Values are compared after normalising spelling (`1`, `1.0` and `"1.0"` are one value; `""`, `null` and a
missing key mean "not set" when the other run says "none"). Keys that exist in only some runs (an evalkit
manifest has dozens that a plain lm-eval run lacks) fold into one line per run, "present only in B",
naming their groups, so the few real differences (the system prompt, sampling) are not buried.
"""

from __future__ import annotations

import json
from typing import Any

# Shown first, in this order, when they differ: what changes a score most.
FIRST = ("model", "model revision", "system prompt", "chat template", "preset", "limit")
_ABSENT = object()


def _meaning(value: str | None) -> Any:
    """A setting value reduced to what it means: parsed JSON, numbers as floats, empty as absent."""
    if value is None or value in ("", "-", "null", "None", "none"):
        return _ABSENT
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return value
    if isinstance(parsed, bool) or not isinstance(parsed, int | float):
        return json.dumps(parsed, sort_keys=True) if isinstance(parsed, dict | list) else parsed
    return float(parsed)


def _rank(key: str) -> tuple[int, str]:
    name = key.split(": ", 1)[-1]
    if name in FIRST:
        return (FIRST.index(name), key)
    if name.startswith(("sampling.", "repeats", "num_fewshot", "prompt hash")):
        return (len(FIRST), key)
    return (len(FIRST) + 1, key)


def _group(key: str) -> str:
    """`manifest.backend.tp` -> `manifest.backend.*`: how folded keys are named."""
    parts = key.split(".")
    return ".".join(parts[:2]) + ".*" if len(parts) > 2 else key


def diff_settings(labels: list[str], settings: list[dict[str, str]], prefix: str = "") -> list[dict[str, Any]]:
    """Rows {"setting", "values"} for `settings` (one dict per run): differing values first, then one folded
    "present only in <label>" row per run that has keys no other run has."""
    rows: list[dict[str, Any]] = []
    keys = sorted(set().union(*settings), key=_rank)
    only_in: dict[int, list[str]] = {}
    for key in keys:
        meanings = [_meaning(s.get(key)) for s in settings]
        present = [m is not _ABSENT for m in meanings]
        if all(present) or not any(present) or key.split(": ", 1)[-1] in FIRST:
            if len({repr(m) for m in meanings}) > 1:
                rows.append({"setting": prefix + key, "values": [s.get(key) or "-" for s in settings]})
            continue
        if sum(present) == 1:
            only_in.setdefault(present.index(True), []).append(key)
        elif len({repr(m) for m, p in zip(meanings, present) if p}) > 1:  # present in some, and they disagree
            rows.append({"setting": prefix + key, "values": [s.get(key) or "-" for s in settings]})
    for index, found in sorted(only_in.items()):
        groups = list(dict.fromkeys(_group(k) for k in found))
        shown = ", ".join(groups[:8]) + (f", … ({len(groups) - 8} more groups)" if len(groups) > 8 else "")
        values = ["-"] * len(settings)
        values[index] = f"{len(found)} setting(s): {shown}"
        rows.append({"setting": f"{prefix}present only in {labels[index]}", "values": values})
    return rows


def settings_diff(runs, tasks: list[str]) -> list[dict[str, Any]]:
    """Run-wide settings, then each compared task's."""
    labels = [r.label for r in runs]
    rows = diff_settings(labels, [r.settings for r in runs])
    for task in tasks:
        rows += diff_settings(labels, [r.tasks[task].settings for r in runs], prefix=f"{task}: ")
    return rows
