"""LoRA adapter -> merged Hugging Face model directory (weights, config, tokenizer, chat template).

The result loads in vLLM and `evalkit eval` like any model. Unmerged adapters also load directly
through lm-eval's vLLM backend (`lora_local_path=ADAPTER`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from evalkit.errors import EvalkitError


def merge(adapter: str | Path, out: str | Path, base: str | None = None, dtype: str = "bfloat16") -> Path:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    adapter, out = Path(adapter), Path(out)
    config_file = adapter / "adapter_config.json"
    if not config_file.is_file():
        raise EvalkitError(f"{adapter} is not a LoRA adapter directory (no adapter_config.json)")
    base = base or json.loads(config_file.read_text()).get("base_model_name_or_path")
    if not base:
        raise EvalkitError(f"{config_file} names no base model; pass --base")
    if dtype not in ("bfloat16", "float16", "float32"):
        raise EvalkitError(f"--dtype must be bfloat16, float16 or float32, not {dtype!r}")
    try:
        model = AutoModelForCausalLM.from_pretrained(base, dtype=getattr(torch, dtype))
    except (OSError, ValueError) as err:
        raise EvalkitError(f"could not load base model {base!r}: {err}") from None
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    tokenizer_dir = adapter if (adapter / "tokenizer_config.json").is_file() else base
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    merged.config.use_cache = True
    merged.save_pretrained(str(tmp))
    tokenizer.save_pretrained(str(tmp))
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return out
