"""Accuracy against output length: samples bucketed by quantiles of all runs' lengths pooled, so every
run is cut at the same lengths (used by `compare --plot` and `evalkit report`)."""

from __future__ import annotations

import numpy as np

N_BUCKETS = 5


def accuracy_by_length(data: list[tuple[np.ndarray, np.ndarray]], buckets: int = N_BUCKETS
                       ) -> tuple[np.ndarray, list[tuple[list[float], list[int]]]]:
    """`data` holds (lengths, correct) per run. Returns the bucket edges and, per run, the accuracy
    (NaN for an empty bucket) and the sample count of each bucket."""
    pooled = np.concatenate([lengths for lengths, _ in data])
    edges = np.unique(np.quantile(pooled, np.linspace(0, 1, buckets + 1)))
    if edges.size < 2:
        edges = np.array([pooled.min(), pooled.min() + 1])
    per_run = []
    for lengths, correct in data:
        bucket = np.clip(np.searchsorted(edges, lengths, side="right") - 1, 0, edges.size - 2)
        acc = [float(correct[bucket == b].mean()) if np.any(bucket == b) else float("nan") for b in range(edges.size - 1)]
        per_run.append((acc, [int(np.sum(bucket == b)) for b in range(edges.size - 1)]))
    return edges, per_run
