"""The demo's untrained model: a tokenizer fitted to the number-chains task and a tiny random Qwen2.

Digits are single tokens and Sky-T1's thought/solution tags are whole tokens, so a demonstration is
about a hundred tokens and the arithmetic is learnable digit by digit. Built in a second, no download.
"""

from __future__ import annotations

from pathlib import Path

from evalkit.data import chains
from evalkit.tiny_model import build_tiny_qwen2, train_tokenizer

SKY_T1_TAGS = ["<|begin_of_thought|>", "<|end_of_thought|>", "<|begin_of_solution|>", "<|end_of_solution|>"]


def corpus(count: int = 400) -> list[str]:
    """Prompts and traces of the task, plus the chat template's fixed text."""
    rows = chains.demonstrations(count, seed=99)
    return ["You are a helpful assistant.", "system user assistant"] + [r["prompt"] + "\n" + r["response"] for r in rows]


def build_demo_model(out_dir: str | Path, seed: int = 0, hidden: int = 128, layers: int = 2) -> Path:
    """Write the tokenizer and a random Qwen2 (`hidden` wide, `layers` deep) to `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    train_tokenizer(corpus(), vocab_size=384, individual_digits=True, whole_tokens=SKY_T1_TAGS).save_pretrained(out)
    return build_tiny_qwen2(out, tokenizer_dir=out, seed=seed, hidden=hidden, layers=layers,
                            max_position_embeddings=1024)
