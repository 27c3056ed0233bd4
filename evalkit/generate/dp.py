"""Data parallelism as one engine per replica, each in its own process over a disjoint GPU set.

No Ray: each worker is a plain spawned process whose CUDA_VISIBLE_DEVICES names its own `tp` GPUs,
so vLLM inside it does ordinary tensor parallelism. The parent hands out chunks of requests to
whichever replica is free and yields results as they come back, so the caller can persist them
immediately; lm-eval above sees one model, hence the same result layout as a single replica.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from multiprocessing.connection import wait
from typing import Protocol

from evalkit.errors import EvalkitError
from evalkit.generate.spec import BackendSpec

Request = tuple[str, dict]


class Replica(Protocol):
    """What a worker holds (`backends.Replica`): one model that generates a chunk at a time."""

    def generate(self, chunk: Sequence[Request]) -> list[str]: ...

    def close(self) -> None: ...


def visible_gpus() -> list[str]:
    """GPU ids this process may use (CUDA_VISIBLE_DEVICES, else every device torch sees)."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [g for g in env.split(",") if g.strip()]
    try:
        import torch

        return [str(i) for i in range(torch.cuda.device_count())]
    except Exception:  # noqa: BLE001  (no usable torch: no GPUs)
        return []


def gpu_sets(dp: int, tp: int, gpus: Sequence[str]) -> list[str | None]:
    """Disjoint CUDA_VISIBLE_DEVICES values, one per replica; None everywhere on a CPU-only host."""
    if not gpus:
        return [None] * dp
    if len(gpus) < dp * tp:
        raise EvalkitError(f"--dp {dp} x --tp {tp} needs {dp * tp} GPUs but only {len(gpus)} are visible.")
    return [",".join(gpus[i * tp : (i + 1) * tp]) for i in range(dp)]


def _worker(make: Callable[[BackendSpec], Replica], spec: BackendSpec, devices: str | None, conn) -> None:
    """A replica's process: its GPUs are set here, before anything in it touches CUDA (the parent's
    environment is never changed); then `make(spec)` builds the replica."""
    if devices is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = devices
    try:
        replica = make(spec)
        conn.send(("ready", None))
    except BaseException:  # noqa: BLE001  (any failure goes back to the parent as text)
        conn.send(("error", traceback.format_exc()))
        return
    try:
        while True:
            try:
                msg = conn.recv()
            except EOFError:  # the parent is gone
                return
            if msg is None:
                return
            idx, chunk = msg
            try:
                conn.send(("done", (idx, replica.generate(chunk))))
            except BaseException:  # noqa: BLE001  (any failure goes back to the parent as text)
                conn.send(("error", traceback.format_exc()))
                return
    finally:
        replica.close()


class DataParallelGenerator:
    """`dp` replicas of `spec`, each built by `make` in its own process; `run(chunks)` yields
    (chunk index, outputs) in completion order."""

    def __init__(self, spec: BackendSpec, make: Callable[[BackendSpec], Replica]):
        self.spec = spec
        ctx = mp.get_context("spawn")
        self.procs, self.conns = [], []
        one = replace(spec, dp=1)
        for devices in gpu_sets(spec.dp, spec.tp, visible_gpus()):
            parent, child = ctx.Pipe()
            # not daemonic: a vLLM replica starts processes of its own. A worker whose parent dies
            # sees EOF on its pipe and exits.
            proc = ctx.Process(target=_worker, args=(make, one, devices, child), daemon=False)
            proc.start()
            child.close()
            self.procs.append(proc)
            self.conns.append(parent)
        for rank, conn in enumerate(self.conns):
            kind, payload = self._recv(rank)
            if kind != "ready":
                self.close()
                raise RuntimeError(f"data-parallel replica {rank} failed to start:\n{payload}")

    def _recv(self, rank: int):
        try:
            return self.conns[rank].recv()
        except EOFError:
            code = self.procs[rank].exitcode
            return "error", f"replica {rank} exited (exit code {code})"

    def run(self, chunks: Sequence[Sequence[Request]]) -> Iterator[tuple[int, list[str]]]:
        pending = list(range(len(chunks)))[::-1]
        busy: dict[int, int] = {}
        for rank in range(len(self.conns)):
            if pending:
                idx = pending.pop()
                self.conns[rank].send((idx, list(chunks[idx])))
                busy[rank] = idx
        while busy:
            ready = wait([self.conns[r] for r in busy])
            for conn in ready:
                rank = self.conns.index(conn)
                kind, payload = self._recv(rank)
                if kind != "done":
                    self.close()
                    raise RuntimeError(f"data-parallel replica {rank} failed:\n{payload}")
                del busy[rank]
                if pending:
                    idx = pending.pop()
                    self.conns[rank].send((idx, list(chunks[idx])))
                    busy[rank] = idx
                yield payload

    def close(self) -> None:
        for conn in self.conns:
            try:
                conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        for proc in self.procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
        self.procs, self.conns = [], []
