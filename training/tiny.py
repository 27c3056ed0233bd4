"""The trainer's tiny model (tests, the `tiny-cpu` recipe, `model: tiny`): evalkit's tiny Qwen2 with a
tokenizer that also knows the Sky-T1 system prompt. Seconds to build, no download."""

from __future__ import annotations

from pathlib import Path

from evalkit.tiny_model import CORPUS, build_tiny_qwen2, train_tokenizer


def _corpus() -> list[str]:
    from training.data import SKYT1_SYSTEM_PROMPT

    return CORPUS + [SKYT1_SYSTEM_PROMPT]


def build_tokenizer(out_dir: str | Path, vocab_size: int = 1024):
    """Train the tiny tokenizer and save it to `out_dir`."""
    tokenizer = train_tokenizer(_corpus(), vocab_size)
    tokenizer.save_pretrained(str(out_dir))
    return tokenizer


def build_tiny_model(out_dir: str | Path, seed: int = 0, hidden: int = 64, layers: int = 2) -> Path:
    """Write tokenizer + random Qwen2 weights to `out_dir` (idempotent: reuses a complete directory).

    A larger initialisation than usual (0.2) makes the loss visibly fall within a minute on CPU."""
    out = Path(out_dir)
    if (out / "config.json").is_file() and (out / "tokenizer_config.json").is_file():
        return out
    return build_tiny_qwen2(out, seed=seed, corpus=_corpus(), hidden=hidden, layers=layers,
                            max_position_embeddings=4096, initializer_range=0.2)
