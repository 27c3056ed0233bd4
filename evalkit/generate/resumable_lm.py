"""An lm-eval `LM` that answers `generate_until` from the run's generation store and sends only the
missing requests to the real backend, in chunks, persisting each chunk as soon as it finishes.

lm-eval stays in charge of prompts, repeats, filters and metrics; this class only sits between
lm-eval and the backend. The backend is opened lazily, so a run whose generations are all stored
never loads the model.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from lm_eval.api.model import LM

from evalkit.errors import EvalkitError
from evalkit.generate.cache import GenerationStore, request_key
from evalkit.generate.generation import Generation


class ResumableLM(LM):
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
