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
import signal
import threading
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
from training import checkpoint, export, modeling, parallel
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


def _dist() -> bool:
    return torch.distributed.is_available() and torch.distributed.is_initialized()


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

    DDP all-reduces only on the last micro-batch (no_sync before). FSDP2 reduce-scatters after every
    micro-batch and accumulates into the sharded gradient: turning its sync off would keep a whole
    unsharded gradient on every rank until the last micro-batch.
    """
    loss_sum = torch.zeros((), device=device)
    for i, mb in enumerate(plan.micro_batches):
        mb = mb.to(device)
        last = i == len(plan.micro_batches) - 1
        sync = wrapped.no_sync() if hasattr(wrapped, "no_sync") and not last else contextlib.nullcontext()
        with sync, autocast:
            loss = wrapped(mb.input_ids, mb.position_ids, mb.targets, mb.attention_mask, scale=world / plan.targets)
        loss.backward()
        loss_sum += loss.detach() / world
    if _dist():
        torch.distributed.all_reduce(loss_sum)
    return loss_sum


@contextlib.contextmanager
def step_boundary():
    """Ctrl-C during the optimizer update is held until the update is complete (weights, schedule and
    step counter change together), then raised: a checkpoint is only ever taken between steps."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield  # not ours to handle (another thread), or AgreedStop already turns Ctrl-C into a flag
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda *_: caught.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


class AgreedStop:
    """Ctrl-C under torchrun: ranks are interrupted at different points, and one stuck in a collective
    would hang the others. So with several processes SIGINT only raises a flag; after every step the
    ranks all-reduce it and all stop together at that boundary (then checkpoint and exit)."""

    def __init__(self, world: int):
        self.active = world > 1 and threading.current_thread() is threading.main_thread()
        self.flag = False
        self.previous = signal.signal(signal.SIGINT, self._raise_flag) if self.active else None

    def _raise_flag(self, *_):
        self.flag = True

    def check(self, device: torch.device) -> None:
        if not self.active:
            return
        flag = torch.tensor([float(self.flag)], device=device)
        torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
        if flag.item():
            raise KeyboardInterrupt

    def close(self) -> None:
        if self.active:
            signal.signal(signal.SIGINT, self.previous)


def print_memory_plan(recipe: Recipe, model_path: str, world: int, device: torch.device, console: Console) -> None:
    """The per-GPU memory plan, before any weight is loaded; an error when it cannot fit."""
    from transformers import AutoConfig

    from training import memory_plan

    gpu = recipe.gpu_memory_gb * 2**30 if recipe.gpu_memory_gb else (
        torch.cuda.get_device_properties(device).total_memory if device.type == "cuda" else None)
    config = AutoConfig.from_pretrained(model_path)
    p = memory_plan.for_recipe(recipe, config, world, parallel.strategy(recipe, world) == "fsdp", gpu,
                               modeling.attention_for(recipe, device))
    console.print(p.table(), highlight=False)
    memory_plan.check(p, f"--set model={recipe.model}")


def train(recipe: Recipe, resume: bool = False, console: Console | None = None,
          on_step: Callable[[int, dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Run a recipe; returns a summary (and the trained model, for callers in Python).

    Ctrl-C (KeyboardInterrupt) saves a checkpoint of the completed steps before leaving; resuming from it
    continues exactly as if it had not stopped.
    """
    rank, world, device = modeling.setup_distributed()
    console = console or Console()
    show = rank == 0
    out = Path(recipe.output_dir)
    existing = checkpoint.checkpoints(out) if out.is_dir() else []
    if existing and not resume:
        raise EvalkitError(f"{out} already holds checkpoints; pass --resume to continue or choose another --output")
    if resume and not existing and show:
        console.print(f"[yellow]--resume: no checkpoint in {out}, starting from scratch[/]")
    out.mkdir(parents=True, exist_ok=True)

    rows = read_rows(recipe.data)  # bad data fails before minutes of model loading
    torch.manual_seed(recipe.seed)
    random.seed(recipe.seed)
    if rank == 0:
        model_path = modeling.resolve_model_path(recipe)  # builds or downloads once
    checkpoint.barrier()
    model_path = modeling.resolve_model_path(recipe)
    tokenizer = modeling.load_tokenizer(model_path)
    dataset = build_dataset(recipe.data, tokenizer, recipe.max_length, recipe.length_policy, rows)
    samples, data_fp = dataset.samples, fingerprint(dataset.samples)
    if show:
        console.print(f"[bold]data[/]: {dataset.report()}")
        (out / "recipe.yaml").write_text(yaml.safe_dump(to_dict(recipe), sort_keys=False))

    if show:
        print_memory_plan(recipe, model_path, world, device, console)
    model, module, wrapped = parallel.build(recipe, model_path, device, rank, world)
    base_params, adapter_params = modeling.linear_params(model)
    params = [p for p in wrapped.parameters() if p.requires_grad]
    trainable = sum(p.numel() for p in params)
    optimizer = torch.optim.AdamW(params, lr=recipe.lr, betas=tuple(recipe.adam_betas), weight_decay=recipe.weight_decay,
                                  fused=device.type == "cuda" and recipe.offload != "cpu")  # offloaded: CPU step
    steps = total_steps(len(samples), recipe.global_batch_size, recipe.epochs, recipe.max_steps)
    warmup = math.ceil(recipe.warmup_ratio * steps)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, cosine_with_warmup(warmup, steps, recipe.min_lr_ratio))
    start = 0
    if existing and resume:
        start = checkpoint.load(existing[-1], wrapped, optimizer, scheduler, rank, world, data_fp, recipe.seed)
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

    def save(step: int, rng: dict[str, Any]) -> Path:
        adapter = (lambda path: export.export_adapter(module, model, tokenizer, path, rank)) if recipe.method == "lora" else None
        return checkpoint.save(wrapped, optimizer, scheduler, out, step, rank, world, data_fp, rng,
                               recipe.keep_checkpoints, adapter)

    progress = Progress(TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TimeRemainingColumn(), TextColumn("{task.fields[stats]}"), console=console, disable=not show)
    stop = AgreedStop(world)
    try:
        with progress:
            task = progress.add_task("train", total=steps, completed=start, stats="")
            for step in range(start, steps):
                if device.type == "cuda":
                    torch.cuda.reset_peak_memory_stats(device)
                began = time.perf_counter()
                rng_at_boundary = checkpoint.rng_state()  # what a checkpoint of `step` completed steps holds
                plan = plan_step(samples, step, global_batch=recipe.global_batch_size, seed=recipe.seed, world=world,
                                 rank=rank, packing=recipe.packing, pack_length=pack_length,
                                 micro_batch_size=recipe.micro_batch_size, pad_id=tokenizer.pad_token_id)
                loss_sum = accumulate(wrapped, plan, world, device, autocast)
                grad_norm = torch.nn.utils.clip_grad_norm_(params, recipe.max_grad_norm)
                lr = scheduler.get_last_lr()[0]
                with step_boundary():
                    optimizer.step()
                    scheduler.step()
                    optimizer.zero_grad(set_to_none=True)
                    completed = step + 1
                    rng_at_boundary = checkpoint.rng_state()
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
                stop.check(device)
                if recipe.save_every and (step + 1) % recipe.save_every == 0 and step + 1 < steps:
                    save(step + 1, rng_at_boundary)
    except KeyboardInterrupt:
        # Weights, optimizer and schedule are those of `completed` steps (a half-accumulated step leaves only
        # gradients, which are not saved); the RNG state is the one taken at that boundary.
        if completed > start:
            path = save(completed, rng_at_boundary)
            if show:
                console.print(f"[yellow]interrupted: saved {path}; continue with --resume[/]")
        if _dist():
            torch.distributed.barrier()  # no rank tears its process group down while another still writes
        raise
    finally:
        stop.close()
    final = save(steps, checkpoint.rng_state())
    result = out / ("adapter" if recipe.method == "lora" else "model")
    if recipe.method == "lora":
        if rank == 0:
            shutil.rmtree(result, ignore_errors=True)
            shutil.copytree(final / "adapter", result)
    else:
        export.export_full(module, module.causal_lm(), tokenizer, result, rank, int(recipe.export_shard_gb * 2**30))
    if show:
        console.print(f"[green]done[/]: {result} (checkpoint {final}, metrics {out / 'metrics.jsonl'})")
    if _dist():
        torch.distributed.destroy_process_group()
    return {"output": str(result), "steps": steps, "losses": losses, "data": dataset.report(),
            "resumed_from": start, "model": module.model}
