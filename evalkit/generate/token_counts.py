"""Output-token counts as the backend reports them, attached to each generated text.

lm-eval's models return only strings, so while one chunk generates we listen where each backend has
its count -- vLLM's `RequestOutput` (`len(outputs[0].token_ids)`), transformers' generated ids (up to
the first pad/EOS), an OpenAI-compatible server's `usage.completion_tokens` -- and give each returned
text the count of the raw generation it came from (lm-eval cuts stop sequences off the text, so a
returned text is a prefix of its raw generation). A text without a count (an unknown backend, a batched
API response with several choices) stays without one; the caller may re-tokenise it as a fallback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from evalkit.generate.generation import Generation


class Listener:
    """(raw text, token count) pairs seen while generating; `attach` matches them to returned texts."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int | None]] = []

    def attach(self, texts: list[str]) -> list[Generation]:
        unused = list(self.seen)
        out = []
        for text in texts:
            match = next((i for i, (raw, _) in enumerate(unused) if raw == text), None)
            if match is None:
                match = next((i for i, (raw, _) in enumerate(unused) if raw.startswith(text)), None)
            count = unused.pop(match)[1] if match is not None else None
            out.append(Generation(str(text), count))
        return out


def _vllm(lm, listener: Listener):
    inner = lm._model_generate

    def model_generate(*args, **kwargs):
        outputs = inner(*args, **kwargs)
        for output in outputs or []:
            first = output.outputs[0] if getattr(output, "outputs", None) else None
            if first is not None:
                listener.seen.append((first.text, len(first.token_ids)))
        return outputs

    return "_model_generate", model_generate


def _hf(lm, listener: Listener):
    inner = lm._model_generate

    def model_generate(context, *args, **kwargs):
        out = inner(context, *args, **kwargs)
        stops = {t for t in (getattr(lm.tokenizer, "pad_token_id", None), getattr(lm, "eot_token_id", None))
                 if t is not None}
        for row in out[:, context.shape[1]:].tolist():
            count = next((i for i, t in enumerate(row) if t in stops), len(row))
            listener.seen.append((lm.tok_decode(row), count))
        return out

    return "_model_generate", model_generate


def _openai(lm, listener: Listener):
    inner = lm.parse_generations

    def parse_generations(outputs: Any, **kwargs):
        texts = inner(outputs=outputs, **kwargs)
        batch = outputs if isinstance(outputs, list) else [outputs]
        counts: list[int | None] = []
        for out in batch:
            choices = out.get("choices") or [] if isinstance(out, dict) else []
            usage = out.get("usage") or {} if isinstance(out, dict) else {}
            tokens = usage.get("completion_tokens")
            counts += [int(tokens) if isinstance(tokens, int) and len(choices) == 1 else None] * max(len(choices), 1)
        listener.seen += [(t or "", c) for t, c in zip(texts, counts, strict=False)]
        return texts

    return "parse_generations", parse_generations


HOOKS = {"vllm": _vllm, "hf": _hf, "openai": _openai}


@contextlib.contextmanager
def listening(lm, backend: str) -> Iterator[Listener]:
    """Listen for token counts on `lm` (an lm-eval model instance) for the duration of one generation."""
    listener = Listener()
    hook = HOOKS.get(backend)
    name, saved = None, None
    if hook is not None:
        try:
            name, wrapped = hook(lm, listener)
        except AttributeError:  # this lm-eval version keeps its counts elsewhere: no counts, never a failure
            name = None
        if name is not None:
            saved = vars(lm).get(name)  # an instance attribute of that name, if the model set one
            setattr(lm, name, wrapped)
    try:
        yield listener
    finally:
        if name is not None:
            if saved is not None:
                setattr(lm, name, saved)
            else:
                vars(lm).pop(name, None)  # back to the class's own method
