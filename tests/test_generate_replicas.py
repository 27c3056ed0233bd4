"""Data-parallel replicas: each gets disjoint GPUs, set inside its own process before the model is built."""

from __future__ import annotations

import os

import pytest

from evalkit.errors import EvalkitError
from evalkit.generate import BackendSpec, dp


@pytest.mark.parametrize(
    ("replicas", "tp", "gpus", "expected"),
    [
        (2, 4, [str(i) for i in range(8)], ["0,1,2,3", "4,5,6,7"]),
        (4, 1, ["3", "5", "6", "7"], ["3", "5", "6", "7"]),
        (2, 1, [], [None, None]),  # CPU-only host
    ],
)
def test_gpu_sets_are_disjoint_slices_of_the_visible_gpus(replicas, tp, gpus, expected):
    assert dp.gpu_sets(replicas, tp, gpus) == expected


def test_too_few_gpus_is_one_sentence():
    with pytest.raises(EvalkitError, match="needs 8 GPUs but only 4"):
        dp.gpu_sets(2, 4, ["0", "1", "2", "3"])


def test_a_replica_sets_its_gpus_before_building_and_reports_failures(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1,2,3")  # restored after the test
    seen, sent = {}, []

    def make_replica(spec):  # backends.Replica builds the model first
        seen["devices"] = os.environ.get("CUDA_VISIBLE_DEVICES")
        raise OSError("no weights here")

    class Conn:
        send = staticmethod(sent.append)

    dp._worker(make_replica, BackendSpec(backend="hf", model="m"), "2,3", Conn())
    assert seen["devices"] == "2,3"
    assert sent[0][0] == "error" and "no weights here" in sent[0][1]
