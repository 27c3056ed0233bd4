"""`evalkit train RECIPE.yaml`: LoRA or full SFT from a YAML recipe (the trainer lives in `training/`).

This command line is a stable interface (study recipes call it): `evalkit train RECIPE [--set k=v ...]
[--data PATH] [--output DIR] [--resume]`. Multi-GPU: `torchrun --nproc-per-node 8 -m evalkit train ...`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from evalkit.output_flags import check_output_dir, output_option


def register(app: typer.Typer) -> None:
    app.command("train")(train)


def train(
    recipe: str = typer.Argument(..., help="Recipe YAML path, or the name of a bundled one (training/recipes/, e.g. sky-t1-32b-lora)."),
    set_: list[str] = typer.Option([], "--set", help="Override any recipe field, e.g. --set lora.rank=16 --set lr=2e-4 (repeatable; values are YAML)."),
    data: str = typer.Option(None, "--data", help="Training data: a JSONL file/directory or a Hub dataset id (sets data.path)."),
    output: Path = output_option("Run directory for checkpoints, adapter/model and metrics.jsonl (sets the recipe's output_dir)."),
    resume: bool = typer.Option(False, "--resume", help="Continue from the latest checkpoint in the run directory, exactly where it stopped."),
    show: bool = typer.Option(False, "--show", help="Print the resolved recipe and exit without training."),
) -> None:
    """Fine-tune a model on long chain-of-thought demonstrations (LoRA or full SFT).

    Loss is on assistant tokens only; samples are packed without attending to each other; the loss is averaged over all target tokens of the global batch. Writes OUTPUT/adapter (LoRA) or OUTPUT/model (full), OUTPUT/checkpoint-N/ and OUTPUT/metrics.jsonl (loss, lr, tokens/s, MFU, peak memory per step).

    Multi-GPU: torchrun --nproc-per-node 8 -m evalkit train RECIPE (DDP for LoRA, FSDP2 for full; recipe key `distributed`). FSDP2 loads each rank's shard only; checkpoints are sharded (torch.distributed.checkpoint) and a run may resume on another number of GPUs.

    Before step 1 it prints the memory plan per GPU (weights, gradients, optimizer, activations at the recipe's length) and stops with an error when it will not fit; recipe keys `offload: cpu` (FSDP2 CPU offload of weights, gradients and AdamW state) and `gpu_memory_gb` change it. Ctrl-C saves a checkpoint at the last step boundary; --resume continues exactly. See docs/training.md.
    """
    import yaml

    from training.config import load_recipe, to_dict

    raw = {}
    if data is not None:
        raw["data.path"] = data
    if output is not None:
        raw["output_dir"] = str(output)
    config = load_recipe(recipe, set_, raw)
    if show:
        print(yaml.safe_dump(to_dict(config), sort_keys=False), end="")
        return
    check_output_dir("--output" if output is not None else "recipe key output_dir", Path(config.output_dir))
    from training.loop import train as run

    run(config, resume=resume)
