"""Model set-up: load, LoRA or full, gradient checkpointing, FSDP2/DDP, and a memory-lean loss.

`CausalLMLoss` wraps the model so that the loss is computed inside `forward` (what DDP and FSDP
expect) from hidden states, running `lm_head` + cross-entropy in checkpointed chunks: the full
[tokens x vocab] logits tensor (10 GB in fp32 at 16k tokens x 152k vocab) never exists at once.
It returns the *sum* of token losses times `scale`; the loop picks `scale` so that the gradient of
the global batch is the mean over all its target tokens, whatever the accumulation and lengths.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from evalkit.errors import EvalkitError
from training.config import Recipe
from training.data import IGNORE

PEAK_TFLOPS = {"H100": 989.4, "H200": 989.4, "H800": 989.4, "A100": 312.0, "A800": 312.0, "L40S": 362.0,
               "B200": 2250.0}  # dense bf16, per device


class CausalLMLoss(nn.Module):
    def __init__(self, model: nn.Module, chunk_tokens: int):
        super().__init__()
        self.model = model  # a transformers CausalLM, possibly wrapped by PEFT
        self.chunk_tokens = chunk_tokens

    def causal_lm(self) -> nn.Module:
        return self.model.get_base_model() if hasattr(self.model, "get_base_model") else self.model

    def forward(self, input_ids, position_ids, targets, attention_mask=None, scale: float = 1.0):
        lm = self.causal_lm()
        hidden = lm.model(input_ids=input_ids, position_ids=position_ids, attention_mask=attention_mask,
                          use_cache=False).last_hidden_state
        hidden, targets = hidden.flatten(0, 1), targets.flatten()
        keep = targets != IGNORE
        hidden, targets = hidden[keep], targets[keep]
        total = hidden.new_zeros((), dtype=torch.float32)
        for start in range(0, targets.numel(), self.chunk_tokens):
            h, t = hidden[start : start + self.chunk_tokens], targets[start : start + self.chunk_tokens]
            if torch.is_grad_enabled():
                total = total + checkpoint(_chunk_loss, lm.lm_head, h, t, use_reentrant=False)
            else:
                total = total + _chunk_loss(lm.lm_head, h, t)
        if targets.numel() == 0:  # keep every parameter in the graph (DDP/FSDP need a backward)
            total = total + 0.0 * hidden.sum() + 0.0 * lm.lm_head.weight.sum()
        return total * scale


def _chunk_loss(head: nn.Module, hidden: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(head(hidden).float(), targets, reduction="sum")


def resolve_model_path(recipe: Recipe) -> str:
    """A local directory for the recipe's model (the tiny one is built; Hub ids are downloaded once)."""
    if recipe.model == "tiny":
        from training.tiny import build_tiny_model

        return str(build_tiny_model(Path(recipe.output_dir) / "tiny-base", seed=recipe.seed))
    if Path(recipe.model).is_dir():
        return recipe.model
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(recipe.model, allow_patterns=["*.json", "*.safetensors", "*.jinja", "*.txt", "*.model"])
    except Exception as err:  # noqa: BLE001 - offline, unknown id, no access: one sentence either way
        raise EvalkitError(f"could not find model {recipe.model!r} locally or on the Hub: {err}") from None


def master_dtype(recipe: Recipe) -> torch.dtype:
    """The dtype weights are held in: fp32 master weights for full fine-tuning, bf16 for a frozen LoRA base.

    Full fine-tuning in pure bf16 is refused by the recipe check (AdamW updates below bf16's resolution
    would be lost); `bf16-mixed` keeps fp32 weights and computes in bf16.
    """
    return torch.bfloat16 if recipe.precision == "bf16" and recipe.method == "lora" else torch.float32


def attention_for(recipe: Recipe, device: torch.device) -> str:
    """The attention kernel: `auto` picks flash-attn (varlen via position_ids) when importable, else
    flex_attention with a document block mask on GPU, and sdpa on CPU (flex has no CPU backward).

    sdpa with packed rows builds a dense [T x T] mask (1 GiB at 32k) and loses the flash kernel: warned."""
    import importlib.util
    import warnings

    choice = recipe.attn_implementation
    if choice == "auto":
        if device.type == "cuda" and importlib.util.find_spec("flash_attn") is not None:
            choice = "flash_attention_2"
        elif device.type == "cuda":
            choice = "flex_attention"
        else:
            choice = "sdpa"
    if choice == "sdpa" and recipe.packing and device.type == "cuda":
        warnings.warn("packed rows under sdpa build a dense [T x T] mask and lose the flash kernel; "
                      "use attn_implementation: auto (flex_attention) for packed training", stacklevel=2)
    return choice


def load_tokenizer(path: str):
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as err:
        raise EvalkitError(f"could not load a tokenizer from {path!r}: {err}") from None
    if not tok.chat_template:
        raise EvalkitError(f"the tokenizer of {path!r} has no chat template")
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return tok


def load_model(recipe: Recipe, path: str, attn_implementation: str) -> nn.Module:
    """The whole CausalLM in this process (one process, or DDP), LoRA applied, checkpointing on."""
    from transformers import AutoModelForCausalLM

    try:
        model = AutoModelForCausalLM.from_pretrained(path, dtype=master_dtype(recipe), attn_implementation=attn_implementation)
    except (OSError, ValueError) as err:
        raise EvalkitError(f"could not load model {path!r}: {err}") from None
    return prepare_model(model, recipe)


def prepare_model(model: nn.Module, recipe: Recipe) -> nn.Module:
    """Gradient checkpointing, then LoRA adapters (or every weight trainable for full fine-tuning)."""
    model.train()  # from_pretrained returns eval mode: no dropout, and checkpointing would be skipped
    model.config.use_cache = False
    if recipe.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if recipe.method == "lora":
        from peft import LoraConfig, get_peft_model

        config = LoraConfig(r=recipe.lora.rank, lora_alpha=recipe.lora.alpha, lora_dropout=recipe.lora.dropout,
                            target_modules=recipe.lora.target_modules, task_type="CAUSAL_LM")
        model = get_peft_model(model, config)  # adapters stay fp32 over bf16 base weights
    return model


def linear_params(model: nn.Module) -> tuple[int, int]:
    """(base matmul weights, LoRA adapter weights): the counts MFU is computed from."""
    base = adapter = 0
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            if ".lora_" in name:
                adapter += module.weight.numel()
            else:
                base += module.weight.numel()
    return base, adapter


def step_flops(model_cfg: Any, base: int, adapter: int, lengths: list[int], lora: bool) -> float:
    """Useful training FLOPs of one step (recomputation from gradient checkpointing not counted).

    Full: 6 x matmul weights per token (forward 2, backward 4). LoRA: the frozen weights need no weight
    gradient, so 4 per token on them, 6 on the adapters. Attention scores and values: causal, per
    sample (packed samples do not attend to each other), 6 x layers x (heads x head_dim) x len^2.
    """
    tokens = sum(lengths)
    heads = model_cfg.num_attention_heads
    head_dim = getattr(model_cfg, "head_dim", None) or model_cfg.hidden_size // heads
    attention = 6 * model_cfg.num_hidden_layers * heads * head_dim * sum(n * n for n in lengths)
    dense = (4 * base + 6 * adapter) if lora else 6 * base
    return float(dense * tokens + attention)


def peak_flops(recipe: Recipe, device: torch.device) -> float | None:
    if recipe.peak_tflops:
        return recipe.peak_tflops * 1e12
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((tf * 1e12 for key, tf in PEAK_TFLOPS.items() if key in name), None)


def setup_distributed() -> tuple[int, int, torch.device]:
    """(rank, world, device) from torchrun's environment; a single process needs no launcher."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    if world > 1 and not torch.distributed.is_initialized():
        torch.distributed.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return rank, world, device


def keep_adapter_inputs_bf16(model: nn.Module) -> None:
    """PEFT casts every adapter's input to the adapter's fp32 dtype: an fp32 copy of each layer input per
    adapter. Under bf16 autocast the matmul is bf16 either way, so the copy is pure waste; turn it off."""
    for module in model.modules():
        if hasattr(module, "cast_input_dtype_enabled"):
            module.cast_input_dtype_enabled = False
