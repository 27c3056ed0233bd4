"""What a backend needs to build one model replica, as a small picklable record.

The same record builds the model in this process (one replica) or in each data-parallel worker.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

BACKENDS = ("vllm", "hf", "openai")


@dataclass(frozen=True)
class BackendSpec:
    backend: str  # vllm | hf | openai
    model: str
    revision: str | None = None
    dtype: str = "auto"
    tp: int = 1
    dp: int = 1
    seed: int = 1234
    max_model_len: int | None = None
    base_url: str | None = None  # openai: http://host:port/v1
    concurrency: int = 8  # openai: requests in flight
    max_retries: int = 5  # openai
    chat: bool = False  # openai: use /chat/completions
    tokenizer: str | None = None
    extra: dict = field(default_factory=dict)  # passed through to the lm-eval model

    def to_dict(self) -> dict:
        return asdict(self)

    def passthrough_args(self, *translated: str) -> dict:
        """`extra` model arguments handed to lm-eval as they are (minus the ones the backend translates)."""
        return {k: v for k, v in self.extra.items() if k not in ("batch_size", *translated)}
