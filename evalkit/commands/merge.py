"""`evalkit merge ADAPTER --output DIR`: fold a LoRA adapter into its base model for vLLM / `evalkit eval`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from evalkit.output_flags import check_output_dir, output_option


def register(app: typer.Typer) -> None:
    app.command("merge")(merge)


def merge(
    adapter: Path = typer.Argument(..., help="LoRA adapter directory (e.g. RUN/adapter or RUN/checkpoint-N/adapter)."),
    out: Path = output_option("Directory for the merged model (weights, config, tokenizer, chat template); "
                              "replaced whole when the merge succeeds. --out is the older spelling.", "--out", default=...),
    base: str = typer.Option(None, "--base", help="Base model id or directory (default: the one recorded in adapter_config.json)."),
    dtype: str = typer.Option("bfloat16", "--dtype", help="Weight dtype of the merged model: bfloat16, float16 or float32."),
) -> None:
    """Merge a LoRA adapter into its base model and save a Hugging Face model directory."""
    from training.merge import merge as run

    check_output_dir("--output", out)

    path = run(adapter, out, base, dtype)
    Console().print(f"[green]merged[/]: {path}")
