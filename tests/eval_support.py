"""Helpers for the `evalkit eval` tests: a tiny random Qwen2 model and the fixture task directory."""

from __future__ import annotations

from pathlib import Path

from evalkit.tiny_model import build_tiny_qwen2

TASKS = Path(__file__).parent / "fixtures" / "eval_tasks"


def build_tiny_model(out: Path, tokenizer_dir: Path) -> Path:
    """Random Qwen2 (hidden 64, 2 heads of 32: vLLM's CPU minimum) with the real Qwen tokenizer.

    A large init range makes greedy outputs differ between prompts, so comparisons mean something.
    """
    return build_tiny_qwen2(out, tokenizer_dir, max_position_embeddings=4096, initializer_range=0.5)
