"""A generated text that carries its output-token count from the backend.

lm-eval hands filters only response strings. `Generation` is a `str` (so lm-eval, its logger and every
filter treat it as one) with the number of tokens the backend generated attached, so the filters that
report output lengths need not re-tokenise. Re-tokenising is the fallback for responses without a count
(plain lm-eval backends, old samples files), and only with a tokenizer the caller names.
"""

from __future__ import annotations

from functools import cache
from typing import Any


class Generation(str):
    """`str` with `output_tokens` (None when the backend did not say)."""

    output_tokens: int | None

    def __new__(cls, text: str, output_tokens: int | None = None) -> Generation:
        obj = super().__new__(cls, text)
        obj.output_tokens = output_tokens
        return obj

    def __reduce__(self):  # pickles (worker processes) keep the count
        return (Generation, (str(self), self.output_tokens))


@cache
def load_tokenizer(name: str) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(name)


def output_tokens(responses: list[Any], tokenizer: str | None = None) -> list[int] | None:
    """Per-response token counts: the backend's, else re-tokenised with `tokenizer`; None if neither exists."""
    known = [getattr(r, "output_tokens", None) for r in responses]
    if all(k is not None for k in known):
        return [int(k) for k in known]
    if not tokenizer:
        return None
    tok = load_tokenizer(tokenizer)
    return [int(k) if k is not None else len(tok.encode(str(r), add_special_tokens=False))
            for r, k in zip(responses, known, strict=True)]
