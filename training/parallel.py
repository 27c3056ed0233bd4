"""How the model is laid over the ranks: one process, DDP (a whole copy per rank) or FSDP2 (shards).

The one place that chooses; `training.modeling` builds a model and its loss, `training.sharding` shards
it, and neither needs to know which of the three a run uses.
"""

from __future__ import annotations

import torch
from torch import nn

from training.config import Recipe
from training.modeling import CausalLMLoss, attention_for, keep_adapter_inputs_bf16, load_model
from training.sharding import build_fsdp


def strategy(recipe: Recipe, world: int) -> str:
    """single | ddp | fsdp: FSDP2 for full fine-tuning (and LoRA on a base too large to copy), DDP for LoRA."""
    if world == 1:
        return "single"
    if recipe.distributed != "auto":
        return recipe.distributed
    return "ddp" if recipe.method == "lora" else "fsdp"


def build(recipe: Recipe, path: str, device: torch.device, rank: int, world: int) -> tuple[nn.Module, nn.Module, nn.Module]:
    """(model, CausalLMLoss, the module to train): whole model for one process or DDP, shards under FSDP2."""
    attn = attention_for(recipe, device)
    kind = strategy(recipe, world)
    if kind == "fsdp":
        model, module = build_fsdp(recipe, path, device, rank, world, attn)
        return model, module, module
    model = load_model(recipe, path, attn)
    if recipe.method == "lora" and recipe.precision != "fp32" and device.type == "cuda":
        keep_adapter_inputs_bf16(model)  # autocast runs the adapters in bf16 anyway
    module = CausalLMLoss(model, recipe.loss_chunk_tokens).to(device)
    if kind == "single":
        return model, module, module
    from torch.nn.parallel import DistributedDataParallel  # broadcasts rank 0's weights (and adapters)

    return model, module, DistributedDataParallel(module, device_ids=[device.index] if device.type == "cuda" else None)
