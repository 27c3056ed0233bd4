"""`evalkit demo`: train a tiny model on the spot and show, with evalkit's own statistics, that it learned."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from evalkit.demo.pipeline import DemoSettings
from evalkit.output_flags import check_output_dir, output_option

DEFAULTS = DemoSettings()


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    output: Path = output_option("Directory for the demo's runs: OUTPUT/base and OUTPUT/trained (evalkit eval runs), "
                                 "OUTPUT/train (the evalkit train run), OUTPUT/base-model, OUTPUT/train.jsonl. Must be "
                                 "new, empty, or an earlier demo's (which is replaced).", default=Path("runs/demo")),
    steps: int = typer.Option(DEFAULTS.steps, "--steps", min=1, help="Training steps (recipe chains-tiny)."),
    batch: int = typer.Option(DEFAULTS.batch, "--batch", min=1, help="Demonstrations per training step."),
    lr: float = typer.Option(DEFAULTS.lr, "--lr", help="Peak learning rate (cosine schedule)."),
    problems: int = typer.Option(None, "--problems", min=1, help="Evaluate only the first N held-out problems (default: all 300)."),
    seed: int = typer.Option(DEFAULTS.seed, "--seed", help="Seed of the model's initialisation, the demonstrations and training."),
    threads: int = typer.Option(DEFAULTS.threads, "--threads", min=1, help="torch CPU threads (1 is fastest for this model size)."),
    prepare_only: bool = typer.Option(False, "--prepare-only", help="Only write OUTPUT/base-model and OUTPUT/train.jsonl "
                                      "(what the chains-study plan trains from), then stop."),
) -> None:
    """Offline, on CPU, in about three minutes of one core: build a tiny random Qwen2 and a tokenizer fitted to the
    synthetic number-chains task, evaluate it (base), fine-tune it with `evalkit train` on the task's
    Sky-T1-format demonstrations, evaluate it again (trained), and print `evalkit compare` of the two:
    each score with its 95% interval, the difference with a paired interval and p-value, and the problems
    gained. The base model scores 0%; the trained one 100% with the default 1,500 steps (avg@n, greedy, on
    300 held-out problems the training never saw). Nothing is downloaded. See docs/demo.md."""
    from evalkit.demo.pipeline import prepare, run_demo

    check_output_dir("--output", output)
    console = Console(width=max(Console().width, 110))
    settings = DemoSettings(steps=steps, batch=batch, lr=lr, problems=problems, seed=seed, threads=threads)
    if prepare_only:
        model, data = prepare(output, settings, console)
        console.print(f"wrote {model} and {data}", highlight=False)
        return
    summary = run_demo(output, settings, console)
    console.print(f"base {100 * summary['base']:.1f}% → trained {100 * summary['trained']:.1f}% in "
                  f"{summary['wall_times_s']['total']:.0f} s; runs under {output}/ "
                  f"(evalkit compare {output}/base {output}/trained)", highlight=False)
