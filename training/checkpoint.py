"""Sharded checkpoints (torch.distributed.checkpoint) taken at optimizer-step boundaries, and exact resume.

Each rank writes its own shards of the trainable weights and AdamW state (no gather), its RNG state as
it was when the step *began* (the loop hands it in, so a Ctrl-C in the middle of a step cannot save
generator state that a half-done step already consumed), and rank 0 writes `trainer_state.json` last,
which marks the checkpoint complete. DCP reshards on load, so a run may resume on another number of
processes; the data order is a function of the step alone, so only dropout's random stream differs then.
LoRA checkpoints also hold the adapter in PEFT layout (small), so any checkpoint can be evaluated.
"""

from __future__ import annotations

import json
import random
import shutil
import warnings
from pathlib import Path
from typing import Any

import torch

from evalkit.errors import EvalkitError


def checkpoints(out: Path) -> list[Path]:
    found = [p for p in out.glob("checkpoint-*") if p.name.split("-")[1].isdigit() and (p / "trainer_state.json").is_file()]
    return sorted(found, key=lambda p: int(p.name.split("-")[1]))


def barrier() -> None:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()


def rng_state() -> dict[str, Any]:
    state = {"torch": torch.get_rng_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["cuda"])


def save(wrapped, optimizer, scheduler, out: Path, step: int, rank: int, world: int, data_fp: str,
         rng: dict[str, Any], keep: int, export_adapter=None) -> Path:
    """checkpoint-STEP/: state/ (DCP shards), rng-rankR.pt, [adapter/], trainer_state.json (last)."""
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_state_dict

    path = out / f"checkpoint-{step}"
    if rank == 0:
        shutil.rmtree(path, ignore_errors=True)
    barrier()
    model_sd, optim_sd = get_state_dict(wrapped, optimizer, options=StateDictOptions(ignore_frozen_params=True))
    dcp.save({"model": model_sd, "optim": optim_sd}, checkpoint_id=str(path / "state"))
    torch.save(rng, path / f"rng-rank{rank}.pt")
    if export_adapter is not None:
        export_adapter(path / "adapter")
    barrier()
    if rank == 0:
        meta = {"step": step, "world_size": world, "scheduler": scheduler.state_dict(), "data_fingerprint": data_fp}
        (path / "trainer_state.json").write_text(json.dumps(meta, indent=1))  # written last: marks completeness
        for old in checkpoints(out)[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    barrier()
    return path


def load(path: Path, wrapped, optimizer, scheduler, rank: int, world: int, data_fp: str, seed: int) -> int:
    """Restore weights, AdamW state, schedule and RNG; returns the step to continue from."""
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_state_dict, set_state_dict

    meta = json.loads((path / "trainer_state.json").read_text())
    if meta["data_fingerprint"] != data_fp:
        raise EvalkitError(f"cannot resume from {path}: the training data or its tokenization changed")
    options = StateDictOptions(ignore_frozen_params=True)
    model_sd, optim_sd = get_state_dict(wrapped, optimizer, options=options)
    state = {"model": model_sd, "optim": optim_sd}
    dcp.load(state, checkpoint_id=str(path / "state"))  # reshards when the world size changed
    strict_off = StateDictOptions(ignore_frozen_params=True, strict=False)  # frozen weights come from the base
    keys = set_state_dict(wrapped, optimizer, model_state_dict=state["model"], optim_state_dict=state["optim"],
                          options=strict_off)
    trainable = {n for n, p in wrapped.named_parameters() if p.requires_grad}
    if keys.unexpected_keys or trainable & set(keys.missing_keys):
        raise EvalkitError(f"cannot resume from {path}: its weights do not match the model of this recipe")
    scheduler.load_state_dict(meta["scheduler"])
    step = int(meta["step"])
    if meta["world_size"] == world:
        set_rng_state(torch.load(path / f"rng-rank{rank}.pt", weights_only=False))
    else:
        if rank == 0:
            warnings.warn(f"{path} was written by {meta['world_size']} processes, resuming on {world}: weights, "
                          "optimizer and data order continue exactly, dropout draws a new random stream", stacklevel=2)
        torch.manual_seed(seed * 1_000_003 + step * 1009 + rank)
        random.seed(seed * 1_000_003 + step * 1009 + rank)
    return step
