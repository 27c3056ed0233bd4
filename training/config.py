"""The recipe: one YAML file per run, every field overridable with `--set key=value`.

The recipe is the whole configuration (torchtune style): no hidden defaults elsewhere. Unknown keys
are an error, so a typo in `--set lora.rnak=8` fails loudly instead of training the wrong thing.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evalkit.errors import EvalkitError

RECIPES_DIR = Path(__file__).parent / "recipes"


@dataclass
class DataConfig:
    path: str = ""  # JSONL file (or directory of them), or a Hub dataset id
    split: str = "train"  # Hub split
    subset: str | None = None  # Hub config name
    revision: str | None = None  # Hub revision
    messages_field: str = "auto"  # list of {role, content} or ShareGPT {from, value}; "auto": detect
    system_field: str | None = "system"  # a top-level system prompt (ShareGPT style), if present
    question_field: str = "question"  # (question, reasoning, answer) rows
    reasoning_field: str | None = None
    answer_field: str | None = None
    response_field: str | None = None  # a complete assistant response (used instead of reasoning/answer)
    template: str = "skyt1"  # how reasoning + answer form the response: skyt1 | plain | text with {reasoning} {answer}
    system_prompt: str | None = None  # preset name (skyt1) or literal text; overrides the row's system
    filter_field: str | None = None  # keep rows whose (dotted) field is truthy, e.g. score.0
    limit: int | None = None  # use only the first N rows (after filtering)


@dataclass
class LoraConfig:
    rank: int = 64
    alpha: int = 128
    dropout: float = 0.05
    target_modules: Any = "all-linear"  # "all-linear" or a list of module names


@dataclass
class Recipe:
    model: str = ""  # HF id or local directory; "tiny" builds a tiny random Qwen2 (tests, demo)
    method: str = "lora"  # lora | full
    data: DataConfig = field(default_factory=DataConfig)
    lora: LoraConfig = field(default_factory=LoraConfig)
    output_dir: str = "runs/train"
    max_length: int = 16384
    length_policy: str = "drop"  # drop | truncate samples longer than max_length
    packing: bool = True  # several samples per sequence, attention kept within each sample
    pack_length: int | None = None  # tokens per packed sequence (default: max_length)
    micro_batch_size: int = 1  # samples per forward when packing is off
    global_batch_size: int = 96  # samples per optimizer step, over all GPUs
    epochs: float = 3
    max_steps: int | None = None  # stop after this many optimizer steps (overrides epochs)
    lr: float = 1e-4
    min_lr_ratio: float = 0.0
    warmup_ratio: float = 0.1
    weight_decay: float = 0.0
    adam_betas: tuple[float, float] = (0.9, 0.999)
    max_grad_norm: float = 1.0
    precision: str = "bf16"  # bf16 (LoRA: frozen bf16 base, fp32 adapters) | bf16-mixed (fp32 master weights) | fp32
    gradient_checkpointing: bool = True
    distributed: str = "auto"  # under torchrun: auto (DDP for LoRA, FSDP2 for full) | ddp | fsdp
    offload: str = "none"  # none | cpu: FSDP2 keeps parameters, gradients and AdamW state in host memory
    gpu_memory_gb: float | None = None  # per-GPU memory the plan checks against (default: detected)
    attn_implementation: str = "auto"  # auto (flash-attn > flex_attention on GPU, sdpa on CPU) | flex_attention | sdpa | eager
    loss_chunk_tokens: int = 4096  # lm_head + cross-entropy in chunks of this many tokens (memory)
    seed: int = 0
    save_every: int = 0  # optimizer steps between checkpoints (0: only at the end)
    keep_checkpoints: int = 2
    export_shard_gb: float = 4.0  # full fine-tuning: size of each bf16 safetensors file of the exported model
    log_every: int = 1
    peak_tflops: float | None = None  # per-device peak for MFU (default: detected bf16 dense peak)


def _expand(value: Any) -> Any:
    return os.path.expandvars(value) if isinstance(value, str) else value


def _coerce(text: str) -> Any:
    """`--set` values are YAML scalars: `true`, `3`, `1e-4`, `null`, `[q_proj, v_proj]`."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise EvalkitError(f"--set value {text!r} is not valid YAML: {err}") from None


def _typed(value: Any, annotation: str, key: str) -> Any:
    """YAML reads `1e-4` as a string (it wants `1.0e-4`); numbers are numbers whatever their spelling."""
    kind = annotation.replace(" | None", "")
    if value is None or kind not in ("float", "int") or isinstance(value, bool):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise EvalkitError(f"recipe key {key!r} must be a number, not {value!r}") from None
    if kind == "int":
        if number != int(number):
            raise EvalkitError(f"recipe key {key!r} must be a whole number, not {value!r}")
        return int(number)
    return number


def _build(cls: type, values: dict[str, Any], where: str) -> Any:
    known = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in values.items():
        if key not in known:
            raise EvalkitError(f"unknown recipe key {where}{key!r} (known: {', '.join(sorted(known))})")
        sub = {"data": DataConfig, "lora": LoraConfig}.get(key) if cls is Recipe else None
        if sub is not None:
            if not isinstance(value, dict):
                raise EvalkitError(f"recipe key {key!r} must be a mapping")
            value = _build(sub, value, f"{key}.")
        elif key == "adam_betas":
            value = tuple(float(v) for v in value)
        else:
            value = _typed(_expand(value), str(known[key].type), f"{where}{key}")
        kwargs[key] = value
    return cls(**kwargs)


def load_recipe(path: str | Path, overrides: list[str] | None = None, raw: dict[str, Any] | None = None) -> Recipe:
    """Read a recipe (a path, or the name of a file in training/recipes/) and apply `key=value` overrides.

    `raw` sets dotted keys to values as they are (no YAML parsing), for flags such as `--data PATH`.
    """
    path = Path(path)
    if not path.is_file() and (RECIPES_DIR / path).is_file():
        path = RECIPES_DIR / path
    elif not path.is_file() and (RECIPES_DIR / f"{path}.yaml").is_file():
        path = RECIPES_DIR / f"{path}.yaml"
    if not path.is_file():
        raise EvalkitError(f"recipe {path} not found (bundled: {', '.join(sorted(list_recipes()))})")
    try:
        values = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise EvalkitError(f"recipe {path} is not valid YAML: {err}") from None
    if not isinstance(values, dict):
        raise EvalkitError(f"recipe {path} must be a mapping of keys to values")
    pairs = []
    for item in overrides or []:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise EvalkitError(f"--set {item!r} must look like key=value (e.g. lora.rank=16)")
        pairs.append((key, _coerce(text), item))
    pairs += [(key, value, f"{key}={value}") for key, value in (raw or {}).items()]
    for key, value, item in pairs:
        node = values
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise EvalkitError(f"--set {item!r}: {part!r} is not a mapping")
        node[leaf] = value
    recipe = _build(Recipe, values, "")
    validate(recipe)
    return recipe


def validate(recipe: Recipe) -> None:
    checks = [
        (recipe.method in ("lora", "full"), f"method must be lora or full, not {recipe.method!r}"),
        (recipe.length_policy in ("drop", "truncate"), f"length_policy must be drop or truncate, not {recipe.length_policy!r}"),
        (recipe.precision in ("bf16", "bf16-mixed", "fp32"), f"precision must be bf16, bf16-mixed or fp32, not {recipe.precision!r}"),
        (recipe.max_length > 0 and recipe.global_batch_size > 0, "max_length and global_batch_size must be positive"),
        (recipe.distributed in ("auto", "ddp", "fsdp"), f"distributed must be auto, ddp or fsdp, not {recipe.distributed!r}"),
        (not (recipe.method == "full" and recipe.precision == "bf16"),
         ("precision: bf16 with method: full would run AdamW on bf16 weights (small updates are lost); "
          "use precision: bf16-mixed (fp32 master weights, bf16 compute) or fp32")),
        (recipe.offload in ("none", "cpu"), f"offload must be none or cpu, not {recipe.offload!r}"),
        (recipe.attn_implementation in ("auto", "flex_attention", "sdpa", "eager", "flash_attention_2"),
         f"attn_implementation must be auto, flex_attention, sdpa, eager or flash_attention_2, not {recipe.attn_implementation!r}"),
        (bool(recipe.model), "the recipe names no model (set model=...)"),
        (bool(recipe.data.path), "the recipe names no data (set data.path=... or pass --data)"),
    ]
    for ok, message in checks:
        if not ok:
            raise EvalkitError(message)


def list_recipes() -> list[str]:
    return [p.name for p in RECIPES_DIR.glob("*.yaml")]


def to_dict(recipe: Recipe) -> dict[str, Any]:
    out = dataclasses.asdict(recipe)
    out["adam_betas"] = list(recipe.adam_betas)
    return out
