"""What a recipe will hold per GPU, computed from the model config before any weight is loaded.

Printed by `evalkit train` before step 1; a plan that exceeds the GPU is an error naming what to change.
The estimate (bytes per GPU):
- weights: the sharded master copy (full: fp32; LoRA: the bf16 frozen base) / world under FSDP2,
  whole under DDP or one process; plus the bf16 unsharded copies of two decoder layers FSDP2 holds
  while it computes one and prefetches the next.
- gradients and AdamW state: 4 + 8 bytes per trainable parameter, sharded under FSDP2.
- activations at the recipe's packed length T, with gradient checkpointing: each layer's bf16 input
  (T x hidden x 2 bytes x layers), plus one layer recomputed with its gradients (~34 x T x hidden +
  4 x T x intermediate bf16 values for attention and the SwiGLU MLP), plus the chunked loss (fp32
  logits and their gradient for `loss_chunk_tokens` tokens), plus the dense [T x T] mask where packed
  rows run under sdpa.
- `offload: cpu` moves weights, gradients and optimizer state to host memory (FSDP2's CPUOffloadPolicy);
  the GPU keeps the gathered layers and activations.
A fixed 3 GiB is kept for the CUDA context, NCCL buffers and fragmentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evalkit.errors import EvalkitError

GiB = 2**30
RESERVE = 3 * GiB


@dataclass
class Shape:
    """The config values the plan needs (a transformers config or public numbers written down)."""

    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    vocab_size: int
    tie_word_embeddings: bool = False
    head_dim: int | None = None

    @classmethod
    def of(cls, config: Any) -> Shape:
        return cls(**{f: getattr(config, f, None) for f in cls.__dataclass_fields__
                      if getattr(config, f, None) is not None})

    @property
    def kv_dim(self) -> int:
        return (self.head_dim or self.hidden_size // self.num_attention_heads) * self.num_key_value_heads

    def layer_linears(self) -> list[tuple[int, int]]:
        """(in, out) of each linear of one decoder layer: q, k, v, o, gate, up, down."""
        h, i, kv = self.hidden_size, self.intermediate_size, self.kv_dim
        return [(h, h), (h, kv), (h, kv), (h, h), (h, i), (h, i), (i, h)]

    def parameters(self) -> int:
        h = self.hidden_size
        layer = sum(a * b for a, b in self.layer_linears()) + 2 * self.kv_dim + h + 2 * h  # q/k/v bias, norms
        embeddings = self.vocab_size * h * (1 if self.tie_word_embeddings else 2)
        return layer * self.num_hidden_layers + embeddings + h

    def layer_parameters(self) -> int:
        return sum(a * b for a, b in self.layer_linears())

    def lora_parameters(self, rank: int) -> int:
        return self.num_hidden_layers * sum(rank * (a + b) for a, b in self.layer_linears())


@dataclass
class Plan:
    world: int
    rows: dict[str, float]  # name -> bytes per GPU
    host_bytes: float  # per node when offloading (all local ranks' shards)
    gpu_bytes: float | None

    @property
    def total(self) -> float:
        return sum(self.rows.values()) + RESERVE

    @property
    def fits(self) -> bool:
        return self.gpu_bytes is None or self.total <= self.gpu_bytes

    def table(self) -> str:
        lines = [f"memory plan per GPU ({self.world} GPU{'s' if self.world > 1 else ''}):"]
        lines += [f"  {name:<28} {value / GiB:8.1f} GiB" for name, value in self.rows.items()]
        lines.append(f"  {'CUDA context, fragmentation':<28} {RESERVE / GiB:8.1f} GiB")
        capacity = f" of {self.gpu_bytes / GiB:.1f} GiB" if self.gpu_bytes else ""
        lines.append(f"  {'total':<28} {self.total / GiB:8.1f} GiB{capacity}"
                     + ("" if self.fits else "  (does not fit)"))
        if self.host_bytes:
            lines.append(f"  host memory for offloaded state: {self.host_bytes / GiB:.0f} GiB over all ranks")
        return "\n".join(lines)


def plan(shape: Shape, *, method: str, precision: str, lora_rank: int, world: int, sharded: bool,
         tokens: int, gradient_checkpointing: bool, loss_chunk_tokens: int, offload: bool,
         dense_mask: bool, gpu_bytes: float | None) -> Plan:
    n = shape.parameters()
    trainable = n if method == "full" else shape.lora_parameters(lora_rank)
    master = 2 if method == "lora" and precision == "bf16" else 4  # bytes per weight as held
    share = world if sharded else 1
    weights = n * master + (trainable * 4 if method == "lora" else 0)
    grads, optimizer = trainable * 4, trainable * 8
    rows: dict[str, float] = {}
    host = 0.0
    if offload:
        host = weights + grads + optimizer
        rows["weights (offloaded)"] = rows["gradients (offloaded)"] = rows["optimizer (offloaded)"] = 0.0
    else:
        rows["weights"] = weights / share
        rows["gradients"] = grads / share
        rows["optimizer (AdamW)"] = optimizer / share
    if sharded:
        rows["gathered layers (bf16)"] = 2 * shape.layer_parameters() * 2 + shape.vocab_size * shape.hidden_size * 2
    h, i = shape.hidden_size, shape.intermediate_size
    one_layer = tokens * (34 * h + 4 * i) * 2
    if gradient_checkpointing:
        acts = tokens * h * 2 * shape.num_hidden_layers + one_layer
    else:
        acts = one_layer * shape.num_hidden_layers
    acts += min(tokens, loss_chunk_tokens) * shape.vocab_size * 4 * 2
    rows[f"activations at {tokens:,} tokens"] = acts
    if dense_mask:
        rows["dense attention mask"] = tokens * tokens * 2.0
    return Plan(world, rows, host, gpu_bytes)


def for_recipe(recipe, config: Any, world: int, sharded: bool, gpu_bytes: float | None, attention: str) -> Plan:
    """The plan of a recipe on `world` GPUs (config: the model's transformers config)."""
    return plan(Shape.of(config), method=recipe.method, precision=recipe.precision, lora_rank=recipe.lora.rank,
                world=world, sharded=sharded, tokens=recipe.pack_length or recipe.max_length,
                gradient_checkpointing=recipe.gradient_checkpointing, loss_chunk_tokens=recipe.loss_chunk_tokens,
                offload=recipe.offload == "cpu", dense_mask=recipe.packing and attention == "sdpa",
                gpu_bytes=gpu_bytes)


def check(p: Plan, recipe_name: str) -> None:
    if not p.fits:
        raise EvalkitError(
            f"the recipe needs about {p.total / GiB:.1f} GiB per GPU but each has {p.gpu_bytes / GiB:.1f} GiB: "
            f"set offload=cpu, use more GPUs (FSDP2 shards weights, gradients and optimizer), or lower "
            f"max_length/pack_length ({recipe_name}); the plan above shows where the memory goes")
