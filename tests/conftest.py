"""Test-wide set-up: offline Hugging Face, and the shared benchmark data beside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EVALKIT_SHARED_DIR", REPO.parent / "shared"))

os.environ.setdefault("EVALKIT_DATA_DIR", str(SHARED / "data"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"shared data not found at {SHARED}; set EVALKIT_SHARED_DIR")
    return SHARED


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return Path(os.environ["EVALKIT_DATA_DIR"])


@pytest.fixture(scope="session")
def qwen_tokenizer_dir(shared_dir: Path) -> Path:
    return shared_dir / "data" / "qwen_tokenizer" / "qwen2_bpe_github"
