"""`evalkit eval`: run our lm-eval tasks on a model with a preset, resumably, and write a run directory."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from evalkit.generate import presets
from evalkit.output_flags import check_output_dir
from evalkit.scoring_flags import numeric_tolerance_option, second_opinion_option

EPILOG = """Examples:

  evalkit eval --model NovaSky-AI/Sky-T1-32B-Preview --tasks evalkit_math --backend vllm --tp 4 --dp 2 --preset sky-t1 --output runs/sky-t1

  evalkit eval --model Qwen/Qwen2.5-32B-Instruct --tasks evalkit_aime24 --backend openai --base-url http://gpu-box:8000/v1 --concurrency 64

Rerun the same command after a crash: finished generations are reused from RUN_DIR/generations.jsonl."""


def register(app: typer.Typer) -> None:
    app.command("eval", epilog=EPILOG)(eval_command)


def eval_command(
    model: str = typer.Option(None, "--model", help="Hub id or local directory of the model (served name for --backend openai)."),
    tasks: str = typer.Option(None, "--tasks", help="Comma-separated lm-eval task or group names, e.g. evalkit_math or evalkit_aime24,evalkit_math500."),
    backend: str = typer.Option("vllm", "--backend", help="vllm (TP/DP fast path), hf (transformers, CPU/small models) or openai (any OpenAI-compatible server)."),
    tp: int = typer.Option(1, "--tp", min=1, help="Tensor-parallel GPUs per replica (vllm)."),
    dp: int = typer.Option(1, "--dp", min=1, help="Data-parallel replicas: one engine per replica in its own process over disjoint GPUs (vllm, hf)."),
    preset: str = typer.Option("sky-t1", "--preset", help="Settings preset (see --list-presets)."),
    n: int = typer.Option(None, "--n", min=1, help="Samples per problem for every task (overrides the preset)."),
    temperature: float = typer.Option(None, "--temperature", min=0.0, help="Sampling temperature for every task; 0 means greedy (overrides the preset)."),
    top_p: float = typer.Option(None, "--top-p", help="Nucleus sampling p for every task (overrides the preset)."),
    max_tokens: int = typer.Option(None, "--max-tokens", min=1, help="Maximum new tokens per generation (overrides the preset)."),
    limit: float = typer.Option(None, "--limit", help="Only the first L problems per task (L < 1: a fraction). For smoke tests."),
    output: Path = typer.Option(None, "--output", "-o", help="Run directory (created; rerun with the same one to resume). Default: runs/<model>-<preset>."),
    data_dir: Path = typer.Option(None, "--data-dir", help="Local benchmark directory (layout of shared/data). Default: $EVALKIT_DATA_DIR, else the Hub."),
    revision: str = typer.Option(None, "--revision", help="Model revision (branch, tag or commit)."),
    dtype: str = typer.Option("auto", "--dtype", help="Model dtype: auto, bfloat16, float16 or float32."),
    seed: int = typer.Option(1234, "--seed", help="Seed for lm-eval and the backend (vllm/openai also derive a per-request seed from it)."),
    base_url: str = typer.Option(None, "--base-url", help="OpenAI-compatible server root for --backend openai, e.g. http://127.0.0.1:8000/v1."),
    concurrency: int = typer.Option(8, "--concurrency", min=1, help="Requests in flight for --backend openai."),
    max_retries: int = typer.Option(5, "--max-retries", min=0, help="Retries per request for --backend openai."),
    tokenizer: str = typer.Option(None, "--tokenizer", help="Tokenizer (Hub id or dir) when --model is not one, e.g. a served name with --backend openai."),
    max_model_len: int = typer.Option(None, "--max-model-len", help="Context length (prompt + output) given to the backend."),
    system_prompt: str = typer.Option(None, "--system-prompt", help="Replace the preset's system prompt ('' for none)."),
    chat_template: bool = typer.Option(None, "--chat-template/--no-chat-template", help="Apply the model's chat template (default: the preset's choice)."),
    include_path: list[Path] = typer.Option([], "--include-path", help="Extra lm-eval task directory (repeatable); tasks/ is always included."),
    chunk_size: int = typer.Option(None, "--chunk-size", min=1, help="Requests per backend call; each finished chunk is saved (default: vllm 512, hf 32, openai 256)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars (for CI logs); print only the final table."),
    list_presets: bool = typer.Option(False, "--list-presets", help="List presets with their settings and exit."),
    second_opinion: str = second_opinion_option(),
    numeric_tolerance: float = numeric_tolerance_option(),
) -> None:
    """Evaluate MODEL on lm-eval TASKS through evalkit's presets, with crash-safe resume.

    Writes lm-eval's results_*.json and samples_*.jsonl, generations.jsonl (every finished generation,
    fsync'd) and manifest.json (versions, model, parallelism, GPUs, datasets, resolved settings, wall
    times) to the run directory.
    """
    if list_presets:
        _print_presets()
        return
    from evalkit.errors import EvalkitError

    if not model or not tasks:
        raise EvalkitError("evalkit eval needs --model and --tasks (or --list-presets).")
    from evalkit.data import resolve_data_dir
    from evalkit.evaluate import EvalConfig, run_eval
    from evalkit.generate import BACKENDS, BackendSpec
    from evalkit.lmeval.task_manager import ScoringOptions

    if backend not in BACKENDS:
        raise EvalkitError(f"unknown --backend {backend!r}; choose one of {', '.join(BACKENDS)}.")
    if dtype not in ("auto", "bfloat16", "float16", "float32"):
        raise EvalkitError(f"unknown --dtype {dtype!r}; choose auto, bfloat16, float16 or float32.")
    if backend != "vllm" and tp > 1:
        raise EvalkitError("--tp applies to --backend vllm only.")
    if top_p is not None and not 0 < top_p <= 1:
        raise EvalkitError(f"--top-p must be in (0, 1], got {top_p}.")
    if limit is not None and limit <= 0:
        raise EvalkitError("--limit must be positive.")
    if second_opinion:
        from evalkit.second_opinion import require

        require(second_opinion)  # a missing extra fails before any generation
    if output is None:
        output = Path("runs") / f"{Path(model).name or 'model'}-{preset}"
    check_output_dir("--output", output)  # a file in the way is one sentence before anything loads
    if data_dir is not None and not data_dir.is_dir():
        raise EvalkitError(f"--data-dir {data_dir} is not a directory.")
    applied = presets.apply(preset, {"n": n, "temperature": temperature, "top_p": top_p, "max_tokens": max_tokens},
                            system_prompt, chat_template)
    spec = BackendSpec(backend=backend, model=model, revision=revision, dtype=dtype, tp=tp, dp=dp, seed=seed,
                       max_model_len=max_model_len, tokenizer=tokenizer, base_url=base_url, concurrency=concurrency,
                       max_retries=max_retries, chat=backend == "openai" and applied.apply_chat_template)
    cfg = EvalConfig(spec=spec, tasks=tasks, output=output, preset=applied,
                     limit=int(limit) if limit and limit >= 1 else limit, include_path=list(include_path),
                     data_dir=resolve_data_dir(data_dir), chunk_size=chunk_size, quiet=quiet,
                     scoring=ScoringOptions(numeric_tolerance=numeric_tolerance))
    inv = run_eval(cfg)
    _print_summary(output, inv)
    if second_opinion:
        from evalkit.second_opinion import audit_run_dir

        audit_run_dir(output, second_opinion, quiet=quiet)


def _print_presets() -> None:
    table = Table(title="evalkit eval presets")
    for col in ("name", "description", "chat template", "defaults", "per-task"):
        table.add_column(col, overflow="fold")
    for name in presets.names():
        p = presets.load(name)
        per_task = "; ".join(f"{k}: {v}" for k, v in (p.get("tasks") or {}).items()) or "-"
        table.add_row(name, p.get("description", ""), "yes" if p.get("apply_chat_template", True) else "no",
                      ", ".join(f"{k}={v}" for k, v in (p.get("defaults") or {}).items()), per_task)
    Console().print(table)


def _print_summary(run_dir: Path, inv: dict) -> None:
    gen = inv["generation"]
    table = Table(title=f"evalkit eval: {run_dir}")
    table.add_column("task")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for task, metrics in inv["results"].items():
        for key, value in metrics.items():
            if key in ("alias", "sample_len") or "stderr" in key or not isinstance(value, (int, float)):
                continue
            table.add_row(task, key, f"{value:.4f}")
    console = Console()
    console.print(table)
    console.print(f"generations: {gen['generated']} new, {gen['reused']} reused; results: {run_dir / inv['files']['results']}")
