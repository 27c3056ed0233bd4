"""The training loop: one file, top to bottom. Checkpoints, exact resume, progress, metrics JSONL.

Gradient normalisation: every micro-batch returns sum(token losses) x world / T where T is the number
of target tokens in the whole global batch (all ranks, all micro-batches). DDP/FSDP average gradients
over ranks (÷ world), so the accumulated gradient is exactly d(mean token loss over the global batch):
long and short samples, many or few micro-batches, one or eight GPUs give the same update.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import yaml
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from evalkit.errors import EvalkitError
from training import modeling
from training.config import Recipe, to_dict
from training.data import build_dataset, read_rows
from training.packing import plan_step, total_steps


def cosine_with_warmup(warmup: int, total: int, min_ratio: float) -> Callable[[int], float]:
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        progress = (step - warmup) / max(1, total - warmup)
        return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return factor


def fingerprint(samples) -> str:
    digest = hashlib.sha256()
    for s in samples:
        digest.update(repr((s.input_ids, s.labels)).encode())
    return digest.hexdigest()[:16]


def checkpoints(out: Path) -> list[Path]:
    found = [p for p in out.glob("checkpoint-*") if p.name.split("-")[1].isdigit() and (p / "trainer_state.json").is_file()]
    return sorted(found, key=lambda p: int(p.name.split("-")[1]))


def _dist() -> bool:
    return torch.distributed.is_available() and torch.distributed.is_initialized()


def _barrier() -> None:
    if _dist():
        torch.distributed.barrier()


def _rng_state() -> dict[str, Any]:
    state = {"torch": torch.get_rng_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["cuda"])


def export(wrapped, module: modeling.CausalLMLoss, tokenizer, recipe: Recipe, out: Path, rank: int) -> None:
    """Adapter (LoRA) or full weights in Hugging Face layout, with the tokenizer and its chat template."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    options = StateDictOptions(full_state_dict=True, cpu_offload=True, ignore_frozen_params=recipe.method == "lora")
    state = {k.removeprefix("model."): v for k, v in get_model_state_dict(wrapped, options=options).items()}
    if rank != 0:
        return
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    if recipe.method == "lora":
        module.model.save_pretrained(str(tmp), state_dict=state)
    else:
        module.causal_lm().save_pretrained(str(tmp), state_dict=state)
    tokenizer.save_pretrained(str(tmp))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def save_checkpoint(wrapped, module, optimizer, scheduler, tokenizer, recipe: Recipe, out: Path, step: int,
                    rank: int, world: int, data_fp: str) -> Path:
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_state_dict

    path = out / f"checkpoint-{step}"
    if rank == 0:
        shutil.rmtree(path, ignore_errors=True)
    _barrier()
    model_sd, optim_sd = get_state_dict(wrapped, optimizer, options=StateDictOptions(ignore_frozen_params=True))
    dcp.save({"model": model_sd, "optim": optim_sd}, checkpoint_id=str(path / "state"))
    torch.save(_rng_state(), path / f"rng-rank{rank}.pt")
    export(wrapped, module, tokenizer, recipe, path / ("adapter" if recipe.method == "lora" else "model"), rank)
    _barrier()
    if rank == 0:
        meta = {"step": step, "world_size": world, "scheduler": scheduler.state_dict(), "data_fingerprint": data_fp}
        (path / "trainer_state.json").write_text(json.dumps(meta, indent=1))  # written last: marks completeness
        for old in checkpoints(out)[: -recipe.keep_checkpoints]:
            shutil.rmtree(old, ignore_errors=True)
    _barrier()
    return path


def load_checkpoint(path: Path, wrapped, optimizer, scheduler, rank: int, world: int, data_fp: str) -> int:
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_state_dict, set_state_dict

    meta = json.loads((path / "trainer_state.json").read_text())
    if meta["data_fingerprint"] != data_fp:
        raise EvalkitError(f"cannot resume from {path}: the training data or its tokenization changed")
    if meta["world_size"] != world:
        raise EvalkitError(f"cannot resume from {path}: it was written by {meta['world_size']} processes, not {world}")
    options = StateDictOptions(ignore_frozen_params=True)
    model_sd, optim_sd = get_state_dict(wrapped, optimizer, options=options)
    state = {"model": model_sd, "optim": optim_sd}
    dcp.load(state, checkpoint_id=str(path / "state"))
    strict_off = StateDictOptions(ignore_frozen_params=True, strict=False)  # frozen weights come from the base
    keys = set_state_dict(wrapped, optimizer, model_state_dict=state["model"], optim_state_dict=state["optim"],
                          options=strict_off)
    trainable = {n for n, p in wrapped.named_parameters() if p.requires_grad}
    if keys.unexpected_keys or trainable & set(keys.missing_keys):
        raise EvalkitError(f"cannot resume from {path}: its weights do not match the model of this recipe")
    scheduler.load_state_dict(meta["scheduler"])
    _set_rng_state(torch.load(path / f"rng-rank{rank}.pt", weights_only=False))
    return int(meta["step"])


def _write_metrics(path: Path, records: list[dict[str, Any]], keep_until: int | None = None) -> None:
    """Append records; on resume first drop lines past the resumed step (they will be redone)."""
    if keep_until is not None and path.is_file():
        kept = [line for line in path.read_text().splitlines() if line and json.loads(line).get("step", 0) <= keep_until]
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(line + "\n" for line in kept))
        tmp.replace(path)
    with path.open("a") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")


def autocast_for(recipe: Recipe, wrapped, device: torch.device):
    """bf16 autocast on GPU, except under FSDP2 whose mixed-precision policy already casts."""
    if recipe.precision != "fp32" and device.type == "cuda" and not hasattr(wrapped, "unshard"):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def accumulate(wrapped, plan, world: int, device: torch.device, autocast) -> torch.Tensor:
    """Forward + backward over this rank's micro-batches; returns the global batch's mean token loss.

    Gradients are synchronised only on the last micro-batch (DDP no_sync / FSDP2 requires_gradient_sync).
    """
    loss_sum = torch.zeros((), device=device)
    for i, mb in enumerate(plan.micro_batches):
        mb = mb.to(device)
        last = i == len(plan.micro_batches) - 1
        sync = wrapped.no_sync() if hasattr(wrapped, "no_sync") and not last else contextlib.nullcontext()
        if hasattr(wrapped, "set_requires_gradient_sync"):
            wrapped.set_requires_gradient_sync(last)
        with sync, autocast:
            loss = wrapped(mb.input_ids, mb.position_ids, mb.targets, mb.attention_mask, scale=world / plan.targets)
        loss.backward()
        loss_sum += loss.detach() / world
    if _dist():
        torch.distributed.all_reduce(loss_sum)
    return loss_sum


def train(recipe: Recipe, resume: bool = False, console: Console | None = None,
          on_step: Callable[[int, dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Run a recipe; returns a summary (and the trained model, for callers in Python).

    Ctrl-C (KeyboardInterrupt) saves a checkpoint of the completed steps before leaving.
    """
    rank, world, device = modeling.setup_distributed()
    console = console or Console()
    show = rank == 0
    out = Path(recipe.output_dir)
    existing = checkpoints(out) if out.is_dir() else []
    if existing and not resume:
        raise EvalkitError(f"{out} already holds checkpoints; pass --resume to continue or choose another --output")
    if resume and not existing and show:
        console.print(f"[yellow]--resume: no checkpoint in {out}, starting from scratch[/]")
    out.mkdir(parents=True, exist_ok=True)

    rows = read_rows(recipe.data)  # bad data fails before minutes of model loading
    torch.manual_seed(recipe.seed)
    random.seed(recipe.seed)
    if rank == 0:
        model_path = modeling.resolve_model_path(recipe)
    _barrier()
    model_path = modeling.resolve_model_path(recipe)
    tokenizer = modeling.load_tokenizer(model_path)
    dataset = build_dataset(recipe.data, tokenizer, recipe.max_length, recipe.length_policy, rows)
    samples, data_fp = dataset.samples, fingerprint(dataset.samples)
    if show:
        console.print(f"[bold]data[/]: {dataset.report()}")
        (out / "recipe.yaml").write_text(yaml.safe_dump(to_dict(recipe), sort_keys=False))

    model = modeling.load_model(recipe, model_path)
    base_params, adapter_params = modeling.linear_params(model)
    module = modeling.CausalLMLoss(model, recipe.loss_chunk_tokens)
    wrapped = modeling.wrap(module, recipe, device, world)
    params = [p for p in wrapped.parameters() if p.requires_grad]
    trainable = sum(p.numel() for p in params)
    optimizer = torch.optim.AdamW(params, lr=recipe.lr, betas=tuple(recipe.adam_betas), weight_decay=recipe.weight_decay,
                                  fused=device.type == "cuda")
    steps = total_steps(len(samples), recipe.global_batch_size, recipe.epochs, recipe.max_steps)
    warmup = math.ceil(recipe.warmup_ratio * steps)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, cosine_with_warmup(warmup, steps, recipe.min_lr_ratio))
    start = 0
    if existing and resume:
        start = load_checkpoint(existing[-1], wrapped, optimizer, scheduler, rank, world, data_fp)
        if show:
            console.print(f"resumed from {existing[-1]} at step {start}")
    if show:
        console.print(f"[bold]model[/]: {model_path}, {recipe.method}, trainable {trainable:,} parameters, "
                      f"{world} process(es) on {device.type}; {steps} steps of {recipe.global_batch_size} samples")
        _write_metrics(out / "metrics.jsonl", [], keep_until=start)

    peak = modeling.peak_flops(recipe, device)
    autocast = autocast_for(recipe, wrapped, device)
    pack_length = recipe.pack_length or recipe.max_length
    losses: list[float] = []
    completed = start
    progress = Progress(TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TimeRemainingColumn(), TextColumn("{task.fields[stats]}"), console=console, disable=not show)
    try:
        with progress:
            task = progress.add_task("train", total=steps, completed=start, stats="")
            for step in range(start, steps):
                if device.type == "cuda":
                    torch.cuda.reset_peak_memory_stats(device)
                began = time.perf_counter()
                plan = plan_step(samples, step, global_batch=recipe.global_batch_size, seed=recipe.seed, world=world,
                                 rank=rank, packing=recipe.packing, pack_length=pack_length,
                                 micro_batch_size=recipe.micro_batch_size, pad_id=tokenizer.pad_token_id)
                loss_sum = accumulate(wrapped, plan, world, device, autocast)
                grad_norm = torch.nn.utils.clip_grad_norm_(params, recipe.max_grad_norm)
                lr = scheduler.get_last_lr()[0]
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                completed = step + 1
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                elapsed = time.perf_counter() - began
                flops = modeling.step_flops(module.causal_lm().config, base_params, adapter_params, plan.lengths,
                                            recipe.method == "lora")
                record = {
                    "step": step + 1, "epoch": round((step + 1) / steps * recipe.epochs, 4) if not recipe.max_steps else None,
                    "loss": loss_sum.item(), "lr": lr, "grad_norm": float(grad_norm),
                    "tokens": plan.tokens, "target_tokens": plan.targets, "seconds": round(elapsed, 4),
                    "tokens_per_s": plan.tokens / elapsed, "tflops_per_device": flops / elapsed / world / 1e12,
                    "mfu": flops / elapsed / world / peak if peak else None,
                    "peak_memory_gb": torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None,
                }
                losses.append(record["loss"])
                if show:
                    _write_metrics(out / "metrics.jsonl", [record])
                    stats = (f"loss {record['loss']:.4f} lr {lr:.2e} {record['tokens_per_s']:,.0f} tok/s"
                             + (f" MFU {record['mfu']:.1%}" if record["mfu"] is not None else "")
                             + (f" mem {record['peak_memory_gb']:.1f}GB" if record["peak_memory_gb"] is not None else ""))
                    progress.update(task, advance=1, stats=stats)
                if on_step:
                    on_step(step + 1, record)
                if recipe.save_every and (step + 1) % recipe.save_every == 0 and step + 1 < steps:
                    save_checkpoint(wrapped, module, optimizer, scheduler, tokenizer, recipe, out, step + 1, rank, world, data_fp)
    except KeyboardInterrupt:
        if completed > start:  # optimizer steps fully taken; a half-accumulated step is redone on resume
            path = save_checkpoint(wrapped, module, optimizer, scheduler, tokenizer, recipe, out, completed, rank, world,
                                   data_fp)
            if show:
                console.print(f"[yellow]interrupted: saved {path}; continue with --resume[/]")
        raise
    final = save_checkpoint(wrapped, module, optimizer, scheduler, tokenizer, recipe, out, steps, rank, world, data_fp)
    result = out / ("adapter" if recipe.method == "lora" else "model")
    if rank == 0:
        shutil.rmtree(result, ignore_errors=True)
        shutil.copytree(final / result.name, result)
        console.print(f"[green]done[/]: {result} (checkpoint {final}, metrics {out / 'metrics.jsonl'})")
    if _dist():
        torch.distributed.destroy_process_group()
    return {"output": str(result), "steps": steps, "losses": losses, "data": dataset.report(),
            "resumed_from": start, "model": module.model}
