"""Count output tokens with the tokenizer of the model being evaluated.

lm-eval gives filters only the response strings, so we find the tokenizer ourselves: an explicit
$EVALKIT_TOKENIZER (a path or Hub id) wins; otherwise the `lm` object of lm-eval's `evaluate()` call,
which is on the call stack while filters run, lends its tokenizer (hf, vllm and local-completions
all carry one). If neither exists, token counts are unavailable and only character counts are kept.
"""

from __future__ import annotations

import inspect
import os
from functools import cache
from typing import Any

TOKENIZER_ENV = "EVALKIT_TOKENIZER"


@cache
def _load(name: str) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(name)


def find_tokenizer() -> Any | None:
    if os.environ.get(TOKENIZER_ENV):
        return _load(os.environ[TOKENIZER_ENV])
    frame = inspect.currentframe()
    while frame is not None:
        lm = frame.f_locals.get("lm")
        tokenizer = getattr(lm, "tokenizer", None) if lm is not None else None
        if tokenizer is not None and callable(getattr(tokenizer, "encode", None)):
            return tokenizer
        frame = frame.f_back
    return None


def count_tokens(texts: list[str]) -> list[int] | None:
    """Token counts of `texts` (no special tokens added), or None when no tokenizer is known."""
    tokenizer = find_tokenizer()
    if tokenizer is None:
        return None
    return [len(tokenizer.encode(text, add_special_tokens=False)) for text in texts]
