"""The model's tokenizer in the main process: chat templating and token counting without the weights.

It renders chat prompts the way lm-eval's `hf` and `vllm` models do (`apply_chat_template` with
`tokenize=False`), so prompts are identical whichever backend, or how many replicas, generate them.
"""

from __future__ import annotations

import hashlib


class TokenizerFront:
    def __init__(self, model: str, revision: str | None = None, tokenizer: str | None = None):
        from transformers import AutoTokenizer

        self.name = tokenizer or model
        self.tokenizer = AutoTokenizer.from_pretrained(self.name, revision=revision if not tokenizer else None)

    def apply_chat_template(self, chat_history, add_generation_prompt: bool = True) -> str:
        return self.tokenizer.apply_chat_template(
            chat_history, tokenize=False, add_generation_prompt=add_generation_prompt,
            continue_final_message=not add_generation_prompt,
        )

    @property
    def tokenizer_name(self) -> str:
        return self.name.replace("/", "__")

    def chat_template(self, chat_template: bool | str = False) -> str | None:
        return getattr(self.tokenizer, "chat_template", None) if chat_template else None

    def tok_encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False)


def chat_template_hash(front) -> str | None:
    """sha256 of the chat template text the prompts were rendered with (None if the model has none)."""
    template = None
    tok = getattr(front, "tokenizer", None)
    if tok is not None:
        template = getattr(tok, "chat_template", None)
    if not template:
        return None
    return hashlib.sha256(str(template).encode()).hexdigest()
