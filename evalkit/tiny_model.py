"""Tiny random-initialised Qwen2 models built on the spot: the offline demo, the tests and the CPU
training recipe use them.

Shape: hidden 64, 2 layers, 2 heads (head size 32, the least vLLM's CPU build accepts). With no
tokenizer given, a small byte-level BPE tokenizer with Qwen's chat template is trained on the spot
(byte-level, so any text still encodes), so nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

QWEN_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CORPUS = [
    "What is 12 + 30? The answer is 42. Let me think step by step about the problem.",
    "Return your final response within \\boxed{}. Wait, let me check. Therefore the final answer is \\boxed{2}.",
    "<|begin_of_thought|> <|end_of_thought|> <|begin_of_solution|> <|end_of_solution|> \\boxed{}",
    "system user assistant You are a helpful assistant. question reasoning answer solution",
    "0 1 2 3 4 5 6 7 8 9 10 + - * / = ( ) $ \\frac{a}{b} x y z the of and to is in that for",
]


def train_tokenizer(texts: list[str] | None = None, vocab_size: int = 1024, individual_digits: bool = False,
                    whole_tokens: list[str] | None = None):
    """A byte-level BPE tokenizer trained on `texts` (default: a small built-in corpus), wrapped for
    transformers with Qwen's special tokens and chat template.

    `individual_digits` keeps every digit its own token (as Qwen's tokenizer does: arithmetic is then
    learnable digit by digit); `whole_tokens` become single, non-special tokens (e.g. Sky-T1's tags)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.pre_tokenizer = (pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), byte_level])
                          if individual_digits else byte_level)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    core.train_from_iterator((texts or CORPUS) * 4, trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                        additional_special_tokens=["<|im_start|>", "<|im_end|>"],
                                        model_max_length=32768)
    if whole_tokens:
        tokenizer.add_tokens(list(whole_tokens))
    tokenizer.chat_template = QWEN_CHAT_TEMPLATE
    return tokenizer


def tiny_config(tokenizer, hidden: int = 64, layers: int = 2, max_position_embeddings: int = 40960,
                initializer_range: float = 0.02):
    from transformers import Qwen2Config

    return Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=layers,
        num_attention_heads=hidden // 32, num_key_value_heads=hidden // 32,
        max_position_embeddings=max_position_embeddings, tie_word_embeddings=True, rope_theta=10000.0,
        initializer_range=initializer_range,
        bos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=tokenizer.pad_token_id,
    )


def build_tiny_qwen2(out_dir: str | Path, tokenizer_dir: str | Path | None = None, seed: int = 0,
                     corpus: list[str] | None = None, hidden: int = 64, layers: int = 2,
                     max_position_embeddings: int = 40960, initializer_range: float = 0.02) -> Path:
    """Write a random Qwen2 model and its tokenizer to `out_dir` (a normal Hugging Face model directory)."""
    import torch
    from transformers import AutoTokenizer, Qwen2ForCausalLM

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir)) if tokenizer_dir else train_tokenizer(corpus)
    torch.manual_seed(seed)
    config = tiny_config(tokenizer, hidden, layers, max_position_embeddings, initializer_range)
    model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = config.eos_token_id
    model.generation_config.pad_token_id = config.pad_token_id
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def build_tiny_eval_model(out_dir: str | Path, tokenizer_dir: str | Path | None = None) -> Path:
    """The evaluation tests' and benchmarks' model: a random Qwen2 with the real Qwen tokenizer from
    `tokenizer_dir` (real prompts, real token counts) or, without one, the small trained tokenizer
    (a 1k vocabulary, so sampling over it costs almost nothing).

    A large init range makes greedy outputs differ between prompts, so comparisons of runs mean something.
    """
    return build_tiny_qwen2(out_dir, tokenizer_dir, max_position_embeddings=4096, initializer_range=0.5)
