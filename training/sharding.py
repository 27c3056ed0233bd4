"""FSDP2 the way it is meant to be used: no rank ever holds a whole copy of the model.

1. build the model on the meta device (no memory), apply gradient checkpointing and LoRA there;
2. `fully_shard` each decoder layer, then the root (the parameters become sharded meta DTensors);
3. materialise only this rank's shards (`to_empty`) and fill them from the safetensors files, reading
   just the rows this rank owns (`safe_open(...).get_slice`);
4. LoRA adapters (not in the base files) are drawn once on rank 0 and broadcast, so every rank starts
   from the same A matrices.

Gradients stay sharded: FSDP2 reduce-scatters after every micro-batch's backward (the loop never turns
gradient sync off), and AdamW built on the sharded parameters keeps state for the shard only.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
from torch import nn

from evalkit.errors import EvalkitError
from training.config import Recipe
from training.modeling import CausalLMLoss, master_dtype, prepare_model


def hf_key(name: str) -> str:
    """Our parameter name -> the key in the Hugging Face checkpoint (strip our and PEFT's wrappers)."""
    name = name.removeprefix("model.").removeprefix("base_model.model.")
    return name.replace(".base_layer.", ".")


def weight_files(model_dir: str) -> dict[str, Path]:
    """Checkpoint key -> the safetensors file holding it (single file or sharded with an index)."""
    root = Path(model_dir)
    index = root / "model.safetensors.index.json"
    if index.is_file():
        weight_map = json.loads(index.read_text())["weight_map"]
        return {key: root / file for key, file in weight_map.items()}
    single = root / "model.safetensors"
    if not single.is_file():
        raise EvalkitError(f"{root} holds no model.safetensors or model.safetensors.index.json: "
                           "FSDP loads each rank's shard from safetensors files")
    from safetensors import safe_open

    with safe_open(str(single), framework="pt") as handle:
        return {key: single for key in handle.keys()}  # noqa: SIM118 - safe_open is not iterable


def shard_rows(full_rows: int, local_rows: int, rank: int, world: int) -> tuple[int, int]:
    """Rows [start, stop) of dim 0 that FSDP2's Shard(0) gives this rank (torch.chunk's split)."""
    chunk = math.ceil(full_rows / world)
    start = min(rank * chunk, full_rows)
    stop = min(start + chunk, full_rows)
    if stop - start != local_rows:
        raise RuntimeError(f"unexpected FSDP shard: {local_rows} rows at rank {rank}, expected {stop - start}")
    return start, stop


def _local(param: torch.Tensor) -> torch.Tensor:
    return param.to_local() if hasattr(param, "to_local") else param


def _rows_of(param: torch.Tensor, rank: int, world: int) -> tuple[int, int]:
    local = _local(param)
    if local is param or local.dim() == 0:
        return 0, param.shape[0] if param.dim() else 0
    return shard_rows(param.shape[0], local.shape[0], rank, world)


def meta_model(recipe: Recipe, model_dir: str, attn_implementation: str, dtype: torch.dtype) -> nn.Module:
    """The CausalLM (LoRA applied) with parameters on the meta device and real buffers (rotary tables)."""
    from accelerate import init_empty_weights
    from transformers import AutoConfig, AutoModelForCausalLM

    try:
        config = AutoConfig.from_pretrained(model_dir)
    except (OSError, ValueError) as err:
        raise EvalkitError(f"could not read the model config of {model_dir!r}: {err}") from None
    with init_empty_weights(include_buffers=False):
        model = AutoModelForCausalLM.from_config(config, dtype=dtype, attn_implementation=attn_implementation)
    model.tie_weights()  # outside the context: its register_parameter hook would copy (untie) the weight
    with init_empty_weights(include_buffers=False):
        model = prepare_model(model, recipe)
    return model


def shard(module: nn.Module, layers: nn.ModuleList, recipe: Recipe, device: torch.device) -> None:
    """fully_shard per decoder layer and at the root; bf16 compute, fp32 gradient reduction."""
    from torch.distributed.fsdp import CPUOffloadPolicy, MixedPrecisionPolicy, fully_shard

    if recipe.precision == "fp32":
        mp = MixedPrecisionPolicy()
    else:  # parameters are gathered in bf16; trainable shards stay fp32 (master weights) for AdamW
        mp = MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.float32)
    kwargs = {"mp_policy": mp}
    if recipe.offload == "cpu":
        kwargs["offload_policy"] = CPUOffloadPolicy(pin_memory=device.type == "cuda")
    for layer in layers:
        fully_shard(layer, **kwargs)
    fully_shard(module, **kwargs)


def materialise(module: nn.Module, model_dir: str, recipe: Recipe, device: torch.device, rank: int, world: int) -> None:
    """Allocate this rank's shards and load them: base weights from safetensors, adapters from rank 0."""
    from safetensors import safe_open

    buffers = {name: buf.detach().clone() for name, buf in module.named_buffers()}
    module.to_empty(device=torch.device("cpu") if recipe.offload == "cpu" else device)
    for name, buf in module.named_buffers():
        if name in buffers:
            buf.data = buffers[name].to(device)
    files = weight_files(model_dir)
    handles: dict[Path, object] = {}
    adapters = []
    with torch.no_grad():
        for name, param in module.named_parameters():
            key = hf_key(name)
            if ".lora_" in name:
                adapters.append((name, param))
                continue
            if key not in files:
                raise EvalkitError(f"{model_dir} has no weight {key!r} for parameter {name}")
            if files[key] not in handles:
                handles[files[key]] = safe_open(str(files[key]), framework="pt")
            start, stop = _rows_of(param, rank, world)
            tensor = handles[files[key]].get_slice(key)
            data = tensor[start:stop] if param.dim() else tensor[:]
            _local(param).copy_(data)
        init_adapters(adapters, rank, world, seed=recipe.seed)


def init_adapters(adapters: list[tuple[str, torch.Tensor]], rank: int, world: int, seed: int) -> None:
    """PEFT's default LoRA init (A: Kaiming-uniform, B: zeros), drawn on rank 0 and broadcast to all."""
    generator = torch.Generator().manual_seed(seed)
    for name, param in adapters:
        full = torch.zeros(param.shape, dtype=torch.float32)
        if ".lora_A." in name and rank == 0:
            nn.init.kaiming_uniform_(full, a=math.sqrt(5), generator=generator)
        local = _local(param)
        if world > 1:
            buffer = full.to(local.device)
            torch.distributed.broadcast(buffer, src=0)
            full = buffer
        start, stop = _rows_of(param, rank, world)
        local.copy_(full[start:stop])


def build_fsdp(recipe: Recipe, model_dir: str, device: torch.device, rank: int, world: int,
               attn_implementation: str) -> tuple[nn.Module, nn.Module]:
    """(model, CausalLMLoss wrapped by FSDP2), loaded shard by shard."""
    model = meta_model(recipe, model_dir, attn_implementation, master_dtype(recipe))
    module = CausalLMLoss(model, recipe.loss_chunk_tokens)
    shard(module, module.causal_lm().model.layers, recipe, device)
    materialise(module, model_dir, recipe, device, rank, world)
    return model, module
