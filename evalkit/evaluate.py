"""`evalkit eval` as a function: run lm-eval's simple_evaluate on our tasks with a resumable model in
front of the backend, and record the run in its directory.

`run_eval` calls each package once, in order: the task manager (lmeval), the generation side
(generate: tokenizer front, resume cache, backend), the run directory (rundir: `begin`, then `finish`).
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from evalkit.generate import BackendSpec
from evalkit.generate.backends import open_generator
from evalkit.generate.front import chat_template_text, open_front
from evalkit.generate.presets import AppliedPreset
from evalkit.generate.resume import GenerationStore, ResumableLM, generation_identity
from evalkit.lmeval import scoring_progress
from evalkit.lmeval.task_manager import ScoringOptions, open_task_manager
from evalkit.rundir import GENERATIONS, manifest

DEFAULT_CHUNK = {"vllm": 512, "hf": 32, "openai": 256}


@dataclass
class EvalConfig:
    """One evaluation, fully resolved: the command line joined with its preset (`presets.apply`), the
    data directory chosen (None: the Hub), and for `--backend openai` the chat endpoint chosen when the
    preset applies the chat template (the server applies it). `commands/eval.py` builds it."""

    spec: BackendSpec
    tasks: str
    output: Path
    preset: AppliedPreset
    limit: float | None = None
    include_path: list[Path] = field(default_factory=list)
    data_dir: Path | None = None
    chunk_size: int | None = None  # None: DEFAULT_CHUNK of the backend
    quiet: bool = False
    scoring: ScoringOptions = field(default_factory=ScoringOptions)


def run_eval(cfg: EvalConfig) -> dict:
    """Run (or resume) an evaluation; returns the final manifest entry of this invocation."""
    stages: dict[str, float] = {}
    t_start = time.perf_counter()
    if cfg.quiet:
        logging.getLogger("lm_eval").setLevel(logging.ERROR)
    spec, preset = cfg.spec, cfg.preset
    grading = cfg.scoring.recorded()  # the grading options the results record

    t0 = time.perf_counter()
    tm = open_task_manager(preset.settings, cfg.include_path, cfg.tasks, data_dir=cfg.data_dir, scoring=cfg.scoring)
    names = tm.resolve_names(cfg.tasks)  # bad --n/--temperature/--top-p/--max-tokens fail here, before anything loads
    stages["index_tasks_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    front, client = open_front(spec)  # client: for --backend openai the API model is the front too
    stages["load_tokenizer_s"] = time.perf_counter() - t0
    identity = generation_identity(spec)  # the resume cache's key for this model and backend
    store = GenerationStore(cfg.output / GENERATIONS)
    template = chat_template_text(front) if preset.apply_chat_template else None
    backend = spec.to_dict()

    def open_backend():  # called by the ResumableLM only when a generation is missing
        return open_generator(spec, client)

    progress_cm = contextlib.nullcontext(None)
    if not cfg.quiet:
        from evalkit.progress import StageProgress

        progress_cm = StageProgress()
    import lm_eval

    with progress_cm as progress, scoring_progress.listening(progress.open_scoring if progress else scoring_progress.silent):
        lm = ResumableLM(store, identity, front, open_backend, tm.datasets,
                         chunk_size=cfg.chunk_size or DEFAULT_CHUNK[spec.backend], progress=progress)
        # the run directory is created only now: the settings and the tokenizer are known to be good
        record = manifest.begin(
            cfg.output,
            invocation={"preset": preset.preset, "overrides": preset.overrides, "backend": backend,
                        "tasks": names, "limit": cfg.limit, "seed": spec.seed, "system_prompt": preset.system_prompt,
                        "apply_chat_template": preset.apply_chat_template,
                        "data_dir": str(cfg.data_dir.resolve()) if cfg.data_dir else None},  # `score` reads it back
            run={"dtype": spec.dtype, "backend": spec.backend, "tp": spec.tp, "dp": spec.dp, "preset": preset.preset,
                 "system_prompt": preset.system_prompt, "seed": spec.seed, "tasks": names, "limit": cfg.limit},
            model={"id": spec.model, "revision": spec.revision}
                  | ({"sha256": identity["model_sha256"]} if "model_sha256" in identity else {}),
            chat_template=template,
        )
        t0 = time.perf_counter()
        try:
            results = lm_eval.simple_evaluate(
                model=lm, tasks=names, task_manager=tm, limit=cfg.limit, log_samples=True,
                system_instruction=preset.system_prompt, apply_chat_template=preset.apply_chat_template,
                random_seed=spec.seed, numpy_random_seed=spec.seed, torch_random_seed=spec.seed,
                fewshot_random_seed=spec.seed,
            )
        finally:
            lm.close()
        t_eval = time.perf_counter() - t0
    stages["model_load_s"] = lm.stats["model_load_s"]
    stages["generation_s"] = lm.stats["generation_s"]
    stages["scoring_and_lm_eval_s"] = max(t_eval - lm.stats["generation_s"] - lm.stats["model_load_s"], 0.0)
    results["config"] |= {"model": spec.model, "model_args": {k: v for k, v in backend.items() if v not in (None, {}, "")},
                          "evalkit": {"preset": preset.preset["name"], "task_settings": tm.applied, "grading": grading}}
    return record.finish(results, invocation={"task_settings": tm.applied, "generation": dict(lm.stats)},
                         run={"datasets": tm.dataset_info, "task_settings": tm.applied},
                         wall_times_s=stages, started=t_start)
