"""Run a function on N gloo ranks of this machine (torch.multiprocessing), for FSDP2 tests on CPU."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _entry(rank: int, world: int, port: int, fn, args: tuple, out: str) -> None:
    import torch

    os.environ.update({"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": str(rank),
                       "WORLD_SIZE": str(world), "LOCAL_RANK": str(rank), "OMP_NUM_THREADS": "1"})
    torch.set_num_threads(1)
    torch.distributed.init_process_group("gloo", rank=rank, world_size=world)
    try:
        result = fn(rank, world, *args)
    finally:
        if torch.distributed.is_initialized():  # train() destroys it itself when it completes
            torch.distributed.barrier()  # every rank is done before any tears the group down
            torch.distributed.destroy_process_group()
    Path(out).with_suffix(f".{rank}.json").write_text(json.dumps(result))


def on_ranks(fn, world: int, tmp: Path, *args) -> list:
    """fn(rank, world, *args) on each rank (must be importable: defined at module level); its JSON results."""
    import torch.multiprocessing as mp

    out = tmp / "rank-result"
    mp.spawn(_entry, args=(world, free_port(), fn, args, str(out)), nprocs=world, join=True)
    return [json.loads(out.with_suffix(f".{r}.json").read_text()) for r in range(world)]
