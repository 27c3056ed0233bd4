"""The trained model in Hugging Face layout, written without ever gathering the whole model.

Full fine-tuning: parameters are gathered one at a time (`DTensor.full_tensor`), cast to bf16 on
rank 0 and written into safetensors shards of at most `shard_bytes`, with the standard
`model.safetensors.index.json` (what vLLM and `from_pretrained` read). Peak extra memory on rank 0 is
one shard, not the model. LoRA: only the adapters (small), in PEFT's layout. Both go to `out.tmp` and
are renamed into place when complete: a reader never sees a half-written model.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from torch import nn

from training.sharding import hf_key

SHARD_BYTES = 4 * 2**30


def _full(tensor: torch.Tensor) -> torch.Tensor:
    """The whole tensor (a collective for sharded DTensors: every rank must call it, in the same order)."""
    return tensor.full_tensor() if hasattr(tensor, "full_tensor") else tensor


def _shard_names(count: int) -> list[str]:
    return ["model.safetensors"] if count == 1 else [f"model-{i + 1:05d}-of-{count:05d}.safetensors" for i in range(count)]


def export_full(module: nn.Module, causal_lm: nn.Module, tokenizer, out: Path, rank: int,
                shard_bytes: int = SHARD_BYTES) -> None:
    from safetensors.torch import save_file

    tmp = out.with_name(out.name + ".tmp")
    if rank == 0:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    pending: dict[str, torch.Tensor] = {}
    size = 0
    parts: list[list[str]] = []
    tied = getattr(causal_lm.config, "tie_word_embeddings", False)

    def flush() -> None:
        nonlocal pending, size
        if pending:
            save_file(pending, str(tmp / f"part-{len(parts):05d}.safetensors"), metadata={"format": "pt"})
            parts.append(list(pending))
        pending, size = {}, 0

    seen: set[int] = set()
    for name, param in module.named_parameters(remove_duplicate=False):
        key = hf_key(name)
        if id(param) in seen or (tied and key == "lm_head.weight"):
            continue
        seen.add(id(param))
        full = _full(param.detach())
        if rank != 0:
            continue
        tensor = full.to("cpu", torch.bfloat16).contiguous()
        if size and size + tensor.nbytes > shard_bytes:
            flush()
        pending[key] = tensor
        size += tensor.nbytes
    if rank != 0:
        return
    flush()
    names = _shard_names(len(parts))
    weight_map = {}
    for i, keys in enumerate(parts):
        (tmp / f"part-{i:05d}.safetensors").rename(tmp / names[i])
        weight_map.update({key: names[i] for key in keys})
    if len(parts) > 1:
        total = sum((tmp / n).stat().st_size for n in names)
        (tmp / "model.safetensors.index.json").write_text(
            json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=1))
    causal_lm.config.save_pretrained(str(tmp))
    config = json.loads((tmp / "config.json").read_text())
    config.update({"dtype": "bfloat16", "torch_dtype": "bfloat16", "use_cache": True,
                   "architectures": [type(causal_lm).__name__]})  # vLLM picks its model class from this
    (tmp / "config.json").write_text(json.dumps(config, indent=2))
    if getattr(causal_lm, "generation_config", None) is not None:
        causal_lm.generation_config.save_pretrained(str(tmp))
    _finish(tmp, out, tokenizer)


def export_adapter(module: nn.Module, peft_model: nn.Module, tokenizer, out: Path, rank: int) -> None:
    """LoRA adapters only (gathered whole: they are small), in PEFT's adapter_model.safetensors layout."""
    state = {}
    for name, param in module.named_parameters():
        if param.requires_grad:
            full = _full(param.detach())
            state[name.removeprefix("model.")] = full.cpu()
    if rank != 0:
        return
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    peft_model.save_pretrained(str(tmp), state_dict=state)
    _finish(tmp, out, tokenizer)


def _finish(tmp: Path, out: Path, tokenizer) -> None:
    tokenizer.save_pretrained(str(tmp))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
