"""Helpers for the `evalkit eval` tests: a tiny random Qwen2 model and the fixture task directory."""

from __future__ import annotations

from pathlib import Path

TASKS = Path(__file__).parent / "fixtures" / "eval_tasks"


def build_tiny_model(out: Path, tokenizer_dir: Path) -> Path:
    """Random Qwen2 (hidden 64, 2 heads of 32: vLLM's CPU minimum) with the real Qwen tokenizer.

    A large init range makes greedy outputs differ between prompts, so comparisons mean something.
    """
    import torch
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    tok = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=2, max_position_embeddings=4096, initializer_range=0.5, tie_word_embeddings=True,
        eos_token_id=tok.convert_tokens_to_ids("<|im_end|>"), pad_token_id=tok.convert_tokens_to_ids("<|endoftext|>"),
    )
    Qwen2ForCausalLM(config).save_pretrained(out)
    tok.save_pretrained(out)
    return out
