"""A tiny random Qwen2 model and a tiny byte-level BPE tokenizer with Qwen's chat template.

For tests and the CPU demo recipe: seconds to build, no download. The tokenizer is trained on a small
built-in corpus (byte-level, so any text still encodes); the model shape is Qwen2 at a toy size.
"""

from __future__ import annotations

from pathlib import Path

QWEN_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CORPUS = [
    "What is 12 + 30? The answer is 42. Let me think step by step about the problem.",
    "<|begin_of_thought|> <|end_of_thought|> <|begin_of_solution|> <|end_of_solution|> \\boxed{}",
    "system user assistant You are a helpful assistant. question reasoning answer solution",
    "0 1 2 3 4 5 6 7 8 9 10 + - * / = ( ) $ \\frac{a}{b} x y z the of and to is in that for",
]


def build_tokenizer(out_dir: str | Path, vocab_size: int = 1024):
    """Train a byte-level BPE on CORPUS and save it as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    from training.data import SKYT1_SYSTEM_PROMPT

    tok.train_from_iterator((CORPUS + [SKYT1_SYSTEM_PROMPT]) * 4, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   additional_special_tokens=["<|im_start|>", "<|im_end|>"])
    fast.chat_template = QWEN_CHAT_TEMPLATE
    fast.save_pretrained(str(out_dir))
    return fast


def tiny_config(vocab_size: int, hidden: int = 64, layers: int = 2):
    from transformers import Qwen2Config

    return Qwen2Config(vocab_size=vocab_size, hidden_size=hidden, intermediate_size=2 * hidden,
                       num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                       max_position_embeddings=4096, tie_word_embeddings=True, rope_theta=10000.0,
                       initializer_range=0.2)


def build_tiny_model(out_dir: str | Path, seed: int = 0, hidden: int = 64, layers: int = 2) -> Path:
    """Write tokenizer + random Qwen2 weights to `out_dir` (idempotent: reuses a complete directory)."""
    import torch
    from transformers import Qwen2ForCausalLM

    out = Path(out_dir)
    if (out / "config.json").is_file() and (out / "tokenizer_config.json").is_file():
        return out
    out.mkdir(parents=True, exist_ok=True)
    tok = build_tokenizer(out)
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(tiny_config(len(tok), hidden, layers))
    model.save_pretrained(str(out))
    return out
