"""Crash-safe resume: the store of finished generations, their keys, and the lm-eval LM that serves from it.

`GenerationStore` is append-only `generations.jsonl` in the run directory: one JSON object per line,
each batch flushed and fsync'd before the next starts; a line cut short by a kill is dropped (and
truncated away) on the next open. `request_key` covers everything that determines an output (model, its
contents when local, revision, dtype, seed, backend settings, task, the exact prompt, the sampling
settings, the dataset fingerprint, and which repeat of the same request it is), so a changed setting can
never pick up a stale generation. `generation_identity` is the part of that key that comes from the
model and backend: for a local model directory, its files' bytes, cheaply (small files such as configs
and the tokenizer whole, large ones such as weights by size plus their first and last MiB), so re-saving
different weights into the same path changes the key while an untouched directory reuses its generations.

`ResumableLM` answers lm-eval's `generate_until` from the store and sends only the missing requests to
the real backend, in chunks, persisting each chunk as soon as it finishes. lm-eval stays in charge of
prompts, repeats, filters and metrics; the backend is opened lazily, so a run whose generations are all
stored never loads the model.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from lm_eval.api.model import LM

from evalkit.errors import EvalkitError
from evalkit.generate.generation import Generation
from evalkit.generate.spec import BackendSpec
from evalkit.io import sha256_text

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
    return sha256_text(json.dumps(payload, sort_keys=True, default=str))


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


class ResumableLM(LM):
    """lm-eval's model for a run: stored generations first, the backend only for what is missing."""

    def __init__(
        self,
        store: GenerationStore,
        identity: dict,
        front,
        open_generator: Callable[[], object],
        datasets: dict[str, str],
        chunk_size: int,
        progress=None,
    ):
        super().__init__()
        self.store = store
        self.identity = identity
        self.front = front  # templating + token counting (a tokenizer front or the lm-eval model)
        self._open = open_generator
        self.generator = None
        self.datasets = datasets
        self.chunk_size = max(1, int(chunk_size))
        self.progress = progress
        self.stats = {"requests": 0, "reused": 0, "generated": 0, "output_tokens": 0, "backend_calls": 0,
                      "generation_s": 0.0, "model_load_s": 0.0}

    # ---- chat templating: the real tokenizer's, exactly as lm-eval's own models do it
    def apply_chat_template(self, chat_history, add_generation_prompt: bool = True) -> str:
        return self.front.apply_chat_template(chat_history, add_generation_prompt=add_generation_prompt)

    @property
    def tokenizer(self):
        """The front-end tokenizer (counts output tokens when the backend reports none)."""
        return getattr(self.front, "tokenizer", None)

    @property
    def tokenizer_name(self) -> str:
        return self.front.tokenizer_name

    def chat_template(self, chat_template: bool | str = False) -> str | None:
        return self.front.chat_template(chat_template)

    def loglikelihood(self, requests):
        raise EvalkitError("evalkit eval runs generation tasks only; use `lm_eval run` for loglikelihood tasks.")

    def loglikelihood_rolling(self, requests):
        raise EvalkitError("evalkit eval runs generation tasks only; use `lm_eval run` for loglikelihood tasks.")

    # ---- generation
    def _key(self, req, repeat: int) -> tuple[str, dict]:
        context, gen_kwargs = req.args
        task = req.metadata[0] if req.metadata else ""
        key = request_key(self.identity | {"task": task}, context, gen_kwargs, self.datasets.get(task, ""), repeat)
        # a seed of its own per request: the same output whatever the batch, replica or restart
        return key, dict(gen_kwargs) | {"seed": int(key[:8], 16) & 0x7FFFFFFF}

    def generate_until(self, requests, disable_tqdm: bool = False) -> list[str]:
        """Responses as `Generation` strings carrying their output-token counts, for the scoring filters."""
        seen: Counter = Counter()
        keyed = []
        for req in requests:
            sig = (repr(req.metadata), req.args[0], repr(sorted(req.args[1].items())))
            keyed.append((req, *self._key(req, seen[sig])))
            seen[sig] += 1
        out: list[str | None] = [None] * len(keyed)
        missing: list[int] = []
        for i, (_req, key, _kw) in enumerate(keyed):
            hit = self.store.get(key)
            if hit is not None:
                out[i] = Generation(hit["output"], hit.get("output_tokens"))
            else:
                missing.append(i)
        self.stats["requests"] += len(keyed)
        self.stats["reused"] += len(keyed) - len(missing)
        if missing and self.generator is None:
            t0 = time.perf_counter()
            self.generator = self._open()
            self.stats["model_load_s"] += time.perf_counter() - t0
        if self.progress:
            self.progress.start_generation(total=len(keyed), done=len(keyed) - len(missing))
        if missing:
            self._generate(keyed, missing, out)
        return [o if o is not None else Generation("", 0) for o in out]

    def _generate(self, keyed, missing: list[int], out: list) -> None:
        chunks = [missing[i : i + self.chunk_size] for i in range(0, len(missing), self.chunk_size)]
        payload = [[(keyed[i][0].args[0], keyed[i][2]) for i in chunk] for chunk in chunks]
        t0 = time.perf_counter()
        for idx, texts in self.generator.run(payload):
            records = []
            tokens = 0
            for i, text in zip(chunks[idx], texts, strict=True):
                req, key, _kw = keyed[i]
                n_tok = self._count_tokens(text)
                tokens += n_tok or 0
                task, doc_id = (req.metadata[0], req.metadata[1]) if req.metadata else ("", None)
                records.append({"key": key, "task": task, "doc_id": doc_id, "output": text, "output_tokens": n_tok})
                out[i] = Generation(str(text), n_tok)
            self.store.append(records)
            self.stats["generated"] += len(records)
            self.stats["backend_calls"] += 1
            self.stats["output_tokens"] += tokens
            if self.progress:
                self.progress.advance_generation(len(records), tokens)
        self.stats["generation_s"] += time.perf_counter() - t0

    def _count_tokens(self, text: str) -> int | None:
        """The backend's count when it reported one, else the evaluated model's tokenizer's, else None."""
        reported = getattr(text, "output_tokens", None)
        if reported is not None:
            return int(reported)
        tokenizer = self.tokenizer
        if tokenizer is not None and hasattr(tokenizer, "encode"):
            return len(tokenizer.encode(str(text), add_special_tokens=False))
        return None

    def close(self) -> None:
        if self.generator is not None:
            self.generator.close()
            self.generator = None
