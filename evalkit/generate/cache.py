"""Append-only store of finished generations, keyed by a content hash, so a killed run resumes.

One JSON object per line in `generations.jsonl`; each batch is flushed and fsync'd before the next
starts. A line cut short by a kill is dropped (and truncated away) on the next open. The key covers
everything that determines an output (model, its contents when local, revision, dtype, seed, backend
settings, task, the exact prompt, the sampling settings, the dataset fingerprint, and which repeat of
the same request it is), so a changed setting can never pick up a stale generation.

The generation identity is what a stored generation depends on besides the request: the model (and,
for a local directory, its actual contents), the backend and every backend setting that can change an output.

A local model directory is fingerprinted from its files' bytes, cheaply: small files (configs,
tokenizer) are hashed whole, large ones (weights) by size plus their first and last MiB. Re-training
or re-saving different weights into the same path therefore changes the key, while a resumed run on
an untouched directory reuses its generations.
"""

from __future__ import annotations

import hashlib
import json
import os
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


def request_key(identity: dict, context: str, gen_kwargs: dict, dataset: str, repeat: int) -> str:
    payload = {"identity": identity, "context": context, "gen_kwargs": gen_kwargs, "dataset": dataset,
               "repeat": repeat}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


class GenerationStore:
    """Read existing generations at open; `append(records)` makes a batch durable before returning."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.entries: dict[str, dict] = {}
        self.lines = 0
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        raw = self.path.read_bytes()
        end = raw.rfind(b"\n") + 1
        if end < len(raw):  # a half-written last line from a killed run
            with open(self.path, "r+b") as fh:
                fh.truncate(end)
                fh.flush()
                os.fsync(fh.fileno())
        for line in raw[:end].splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            self.entries.setdefault(rec["key"], rec)
            self.lines += 1

    def get(self, key: str) -> dict | None:
        return self.entries.get(key)

    def append(self, records: list[dict]) -> None:
        if not records:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        for rec in records:
            self.entries.setdefault(rec["key"], rec)
        self.lines += len(records)
