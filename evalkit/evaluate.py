"""`evalkit eval` as a function: resolve settings, run lm-eval's simple_evaluate on our tasks with a
resumable model in front of the backend, and write lm-eval's result files plus manifest.json.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from evalkit import data
from evalkit.errors import EvalkitError
from evalkit.generate import BackendSpec, presets
from evalkit.generate.backends import open_generator
from evalkit.generate.front import chat_template_hash, open_front
from evalkit.generate.resume import GenerationStore, ResumableLM, generation_identity
from evalkit.lmeval import scoring_progress
from evalkit.lmeval.task_manager import ScoringOptions, open_task_manager
from evalkit.rundir import manifest as mf
from evalkit.rundir import write_results

DEFAULT_CHUNK = {"vllm": 512, "hf": 32, "openai": 256}


@dataclass
class EvalConfig:
    spec: BackendSpec
    tasks: str
    output: Path
    preset: str = "sky-t1"
    n: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    limit: float | None = None
    system_prompt: str | None = None  # None: the preset's; "" disables it
    chat_template: bool | None = None  # None: the preset's
    include_path: list[Path] = field(default_factory=list)
    data_dir: Path | None = None
    chunk_size: int | None = None
    quiet: bool = False
    scoring: ScoringOptions = field(default_factory=ScoringOptions)


def run_eval(cfg: EvalConfig) -> dict:
    """Run (or resume) an evaluation; returns the final manifest entry of this invocation."""
    stages: dict[str, float] = {}
    t_start = time.perf_counter()
    if cfg.data_dir is not None and not cfg.data_dir.is_dir():
        raise EvalkitError(f"--data-dir {cfg.data_dir} is not a directory.")
    data_dir = data.resolve_data_dir(cfg.data_dir)  # None: the Hub
    if cfg.quiet:
        logging.getLogger("lm_eval").setLevel(logging.ERROR)
    applied = presets.apply(cfg.preset, {"n": cfg.n, "temperature": cfg.temperature, "top_p": cfg.top_p,
                                         "max_tokens": cfg.max_tokens}, cfg.system_prompt, cfg.chat_template)
    preset, overrides = applied.preset, applied.overrides
    system_prompt, apply_chat = applied.system_prompt, applied.apply_chat_template
    spec = cfg.spec
    if spec.backend == "openai" and apply_chat and not spec.chat:
        spec = replace(spec, chat=True)  # the server applies the chat template

    t0 = time.perf_counter()
    tm = open_task_manager(applied.settings, cfg.include_path, cfg.tasks, data_dir=data_dir, scoring=cfg.scoring)
    names = tm.resolve_names(cfg.tasks)  # bad --n/--temperature/--top-p/--max-tokens fail here, before anything loads
    stages["index_tasks_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    front, lm_for_local = open_front(spec)
    stages["load_tokenizer_s"] = time.perf_counter() - t0

    run_dir = cfg.output  # created only once the settings and the tokenizer are known to be good
    run_dir.mkdir(parents=True, exist_ok=True)
    identity = generation_identity(spec)  # the resume cache's key for this model and backend
    chat_sha256 = chat_template_hash(front) if apply_chat else None
    store = GenerationStore(run_dir / "generations.jsonl")
    manifest = mf.read(run_dir)
    invocation = {"started": mf.now(), "status": "running", "command": mf.command_line(),
                  "preset": preset, "overrides": overrides,
                  "backend": spec.to_dict(), "tasks": names, "limit": cfg.limit, "seed": spec.seed,
                  "system_prompt": system_prompt, "apply_chat_template": apply_chat,
                  "data_dir": str(data_dir.resolve()) if data_dir else None}  # None: the Hub; `score` reads it back
    mf.begin_invocation(manifest, invocation)

    manifest.update({
        "versions": mf.versions(), "git_commit": mf.git_commit(),
        "model": mf.model_identity(spec.model, spec.revision) | ({"sha256": identity["model_sha256"]}
                                                                 if "model_sha256" in identity else {}),
        "dtype": spec.dtype, "backend": spec.backend, "tp": spec.tp, "dp": spec.dp, "gpus": mf.gpu_names(),
        "chat_template_sha256": chat_sha256, "preset": preset,
        "system_prompt": system_prompt, "seed": spec.seed, "tasks": names, "limit": cfg.limit,
    })
    mf.write(run_dir, manifest)

    def opener():
        return open_generator(spec, lm_for_local)

    progress_cm = contextlib.nullcontext(None)
    if not cfg.quiet:
        from evalkit.progress import StageProgress

        progress_cm = StageProgress()
    import lm_eval

    with progress_cm as progress, scoring_progress.listening(progress.open_scoring if progress else scoring_progress.silent):
        lm = ResumableLM(store, identity, front, opener, tm.datasets,
                         chunk_size=cfg.chunk_size or DEFAULT_CHUNK[spec.backend],
                         progress=progress)
        t0 = time.perf_counter()
        try:
            results = lm_eval.simple_evaluate(
                model=lm, tasks=names, task_manager=tm, limit=cfg.limit, log_samples=True,
                system_instruction=system_prompt, apply_chat_template=apply_chat,
                random_seed=spec.seed, numpy_random_seed=spec.seed, torch_random_seed=spec.seed,
                fewshot_random_seed=spec.seed,
            )
        finally:
            lm.close()
        t_eval = time.perf_counter() - t0
    stages["model_load_s"] = lm.stats["model_load_s"]
    stages["generation_s"] = lm.stats["generation_s"]
    stages["scoring_and_lm_eval_s"] = max(t_eval - lm.stats["generation_s"] - lm.stats["model_load_s"], 0.0)
    results["config"]["model"] = spec.model
    results["config"]["model_args"] = {k: v for k, v in spec.to_dict().items() if v not in (None, {}, "")}
    results["config"]["evalkit"] = {"preset": preset["name"], "task_settings": tm.applied, "grading": cfg.scoring.recorded()}

    t0 = time.perf_counter()
    written = write_results(run_dir, results)
    stages["write_s"] = time.perf_counter() - t0
    stages["total_s"] = time.perf_counter() - t_start
    invocation.update({"status": "complete", "finished": mf.now(), "task_settings": tm.applied,
                       "generation": dict(lm.stats), "wall_times_s": stages, "files": written})
    manifest["datasets"] = tm.dataset_info
    manifest["task_settings"] = tm.applied
    manifest["wall_times_s"] = stages
    manifest["latest_results"] = written
    mf.write(run_dir, manifest)
    invocation["results"] = results["results"]
    return invocation
