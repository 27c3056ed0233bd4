"""The OpenAI-compatible client (`--backend openai`): lm-eval's `local-completions` or
`local-chat-completions` model pointed at any server (vLLM's, SGLang's, a hosted API).

Only the translation of our settings into lm-eval model arguments lives here; requests, retries and
concurrency are lm-eval's code.
"""

from __future__ import annotations

from evalkit.errors import EvalkitError
from evalkit.generate.spec import BackendSpec


def build_openai_lm(spec: BackendSpec):
    """lm-eval's API model for `spec` (the server applies the chat template when `spec.chat`)."""
    from lm_eval.api.registry import get_model

    if not spec.base_url:
        raise EvalkitError("--backend openai needs --base-url (for example http://127.0.0.1:8000/v1).")
    import lm_eval.models.openai_completions  # noqa: F401

    endpoint = "chat/completions" if spec.chat else "completions"
    args = {"model": spec.model, "base_url": spec.base_url.rstrip("/") + "/" + endpoint,
            "num_concurrent": spec.concurrency, "max_retries": spec.max_retries, "seed": spec.seed,
            "tokenizer_backend": "huggingface", "tokenizer": spec.tokenizer or spec.model,
            "tokenized_requests": False, "max_length": spec.max_model_len or 32768 + 4096,
            "timeout": spec.extra.get("timeout", 3600)}
    if spec.revision:
        args["revision"] = spec.revision
    name = "local-chat-completions" if spec.chat else "local-completions"
    return get_model(name).create_from_arg_obj(args | spec.passthrough_args("timeout"))
