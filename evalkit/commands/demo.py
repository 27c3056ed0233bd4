"""`evalkit demo`: an offline, end-to-end evaluation on a tiny model built on the spot."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    output: Path = typer.Option(Path("runs/demo"), "--output", "-o", help="Where to write lm-eval's results and samples."),
    max_tokens: int = typer.Option(64, "--max-tokens", min=1, help="New tokens per answer."),
) -> None:
    """Build a tiny random Qwen2 model and run the embedded `evalkit_demo` task through lm-eval.

    Needs no download. A random model scores about zero: the demo shows that every stage runs
    (chat prompt, generation, answer extraction, grading, metrics, result files)."""
    import lm_eval
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    from evalkit.lmeval.results_table import results_table
    from evalkit.paths import tasks_dir
    from evalkit.tiny_model import build_tiny_qwen2

    console = Console(width=max(Console().width, 100))
    with console.status("building a tiny random Qwen2 model and its tokenizer"):
        model_dir = build_tiny_qwen2(output / "tiny-qwen2")
    console.print(f"model: tiny random Qwen2 (hidden 64, 2 layers) in {model_dir}")
    tracker = EvaluationTracker(output_path=str(output))
    results = lm_eval.simple_evaluate(
        model="hf",
        model_args={"pretrained": str(model_dir), "dtype": "float32", "device": "cpu"},
        tasks=["evalkit_demo"],
        task_manager=TaskManager(include_path=str(tasks_dir())),
        apply_chat_template=True,
        log_samples=True,
        gen_kwargs={"max_gen_toks": max_tokens},
        evaluation_tracker=tracker,
    )
    tracker.save_results_aggregated(results=results, samples=results["samples"])
    for task in results["configs"]:
        tracker.save_results_samples(task_name=task, samples=results["samples"][task])
    console.print(results_table(results, title="evalkit demo: tiny random model on 12 embedded problems"))
    first = json.loads(results["samples"]["evalkit_demo"][0]["filtered_resps"][0][0])
    console.print(f"first sample's verdict: {first}")
    console.print(f"results and samples written under {output}/")
