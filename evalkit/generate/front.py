"""The model's tokenizer in the main process: chat templating and token counting without the weights.

It renders chat prompts the way lm-eval's `hf` and `vllm` models do (`apply_chat_template` with
`tokenize=False`), so prompts are identical whichever backend, or how many replicas, generate them.
"""

from __future__ import annotations

from pathlib import Path

from evalkit.errors import EvalkitError, first_line
from evalkit.generate.spec import BackendSpec


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


def chat_template_text(front) -> str | None:
    """The chat template text the prompts are rendered with (None if the model has none); the run's
    manifest records its sha256."""
    template = getattr(getattr(front, "tokenizer", None), "chat_template", None)
    return str(template) if template else None


def open_front(spec: BackendSpec):
    """(front, lm): a tokenizer-only front for local backends (the model loads lazily, lm is None);
    for openai the API model itself is both.

    A tokenizer that cannot load is the user's --model/--tokenizer, so it becomes one sentence.
    """
    try:
        if spec.backend == "openai":
            from evalkit.generate.backends import build_openai_lm

            lm = build_openai_lm(spec)
            return lm, lm
        return TokenizerFront(spec.model, spec.revision, spec.tokenizer), None
    except (OSError, ValueError) as err:
        flag, name = ("--tokenizer", spec.tokenizer) if spec.tokenizer else ("--model", spec.model)
        path = Path(name).expanduser()
        if path.is_dir():
            why = "the directory has no loadable tokenizer files"
        elif name.startswith(("/", ".", "~")) or path.exists():
            why = "no such directory"
        else:
            why = f"not a local directory, and the Hub says: {first_line(err)}"
        raise EvalkitError(f"{flag} {name}: cannot load its tokenizer ({why}); give a model directory or Hub id "
                           "with tokenizer files, or pass --tokenizer.") from None
