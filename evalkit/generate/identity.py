"""What a stored generation depends on besides the prompt: the model (and, for a local directory,
its actual contents), the backend and every backend setting that can change an output.

A local model directory is fingerprinted from its files' bytes, cheaply: small files (configs,
tokenizer) are hashed whole, large ones (weights) by size plus their first and last MiB. Re-training
or re-saving different weights into the same path therefore changes the key, while a resumed run on
an untouched directory reuses its generations.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from evalkit.generate.spec import BackendSpec

EDGE = 1 << 20  # bytes hashed at each end of a large file

# Settings that do not change what is generated: parallelism and transport.
_NOT_OUTPUT = ("tp", "dp", "concurrency", "max_retries")


def fingerprint_dir(path: Path) -> str:
    """sha256 over name, size and content (whole, or first+last MiB) of every top-level file."""
    digest = hashlib.sha256()
    for item in sorted(p for p in Path(path).iterdir() if p.is_file() and not p.name.startswith(".")):
        size = item.stat().st_size
        digest.update(f"{item.name}\0{size}\0".encode())
        with open(item, "rb") as fh:
            if size <= 2 * EDGE:
                digest.update(fh.read())
            else:
                digest.update(fh.read(EDGE))
                fh.seek(size - EDGE)
                digest.update(fh.read(EDGE))
    return digest.hexdigest()


def generation_identity(spec: BackendSpec) -> dict:
    """The part of every generation key that comes from the model and backend settings."""
    identity = {k: v for k, v in spec.to_dict().items() if k not in _NOT_OUTPUT}
    if Path(spec.model).is_dir():
        identity["model_sha256"] = fingerprint_dir(Path(spec.model))
    return identity
