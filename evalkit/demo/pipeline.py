"""The demo as a function: build a tiny model, evaluate it, train it, evaluate again, compare.

Every stage is the real one, called through its public entry: `evalkit eval`'s `run_eval` (lm-eval,
the `evalkit_chains` task, the math grader), `evalkit train`'s recipe loader and trainer (the bundled
`chains-tiny` recipe, full fine-tuning) and `evalkit compare`'s report. The learning test runs a
reduced version of the same function, so CI turns red when training stops teaching the model.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console

from evalkit.errors import EvalkitError

TASK = "evalkit_chains"
RECIPE = "chains-tiny"
MARKER = "demo.json"  # written first: says the directory is a demo's, so a rerun may replace it
OWNED = ("base-model", "train.jsonl", "base", "train", "trained", MARKER)


@dataclass
class DemoSettings:
    """What the demo runs; the defaults are the `evalkit demo` command's (tuned to learn on 2 CPU cores)."""

    steps: int = 1500  # optimizer steps of `chains-tiny` (800: 31%, 1,200: 40%, 1,500: 100% held-out avg@n)
    batch: int = 16  # demonstrations per step
    lr: float = 5e-3  # 1e-2 diverges
    problems: int | None = None  # held-out problems evaluated (None: all 300)
    hidden: int = 128
    layers: int = 2
    seed: int = 0
    max_tokens: int = 128
    threads: int = 1  # torch CPU threads: one is fastest for a model this small, and on a loaded machine
    demonstrations: int | None = None  # distinct training rows (None: steps x batch, each seen once;
    # repeating 2,000 rows for 6 epochs memorised them and scored 0 on the held-out set)


def rows(settings: DemoSettings) -> int:
    return settings.demonstrations or settings.steps * settings.batch


def prepare_output(output: Path) -> None:
    """Refuse a non-empty directory that is not an earlier demo's; clear an earlier demo's own files."""
    if output.exists() and not output.is_dir():
        raise EvalkitError(f"--output {output} is a file; give a directory.")
    if output.is_dir() and any(output.iterdir()):
        if not (output / MARKER).is_file():
            raise EvalkitError(f"--output {output} is not empty and holds no earlier demo ({MARKER}); "
                               "choose a new or empty directory.")
        for name in OWNED:
            path = output / name
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    output.mkdir(parents=True, exist_ok=True)


def write_demonstrations(path: Path, count: int, seed: int) -> Path:
    from evalkit.data import chains
    from evalkit.io import atomic_write

    rows = chains.demonstrations(count, seed=seed)
    atomic_write(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return path


def evaluate(model: Path, out: Path, settings: DemoSettings) -> dict:
    """`evalkit eval --backend hf --preset greedy --tasks evalkit_chains` on the local model."""
    from evalkit.evaluate import EvalConfig, run_eval
    from evalkit.generate import BackendSpec, presets

    batch = 100
    spec = BackendSpec(backend="hf", model=str(model), dtype="float32", seed=settings.seed, extra={"batch_size": batch})
    greedy = presets.apply("greedy", {"max_tokens": settings.max_tokens})
    cfg = EvalConfig(spec=spec, tasks=TASK, output=out, preset=greedy, limit=settings.problems,
                     chunk_size=3 * batch, quiet=True)
    return run_eval(cfg)


def train(model: Path, data: Path, out: Path, settings: DemoSettings, console: Console) -> Path:
    """`evalkit train chains-tiny --set model=... --data ... --output ...`; returns the trained model."""
    from training.config import load_recipe
    from training.loop import train as run_training

    recipe = load_recipe(RECIPE, raw={"model": str(model), "data.path": str(data), "output_dir": str(out),
                                      "max_steps": settings.steps, "global_batch_size": settings.batch,
                                      "micro_batch_size": settings.batch, "lr": settings.lr, "seed": settings.seed})
    return Path(run_training(recipe, console=console)["output"])


def heldout_loss(model_dir: Path, count: int = 50) -> float:
    """Mean loss per target token of the model on the demonstrations of the first `count` held-out
    problems (teacher-forced, the trainer's own tokenization): how much of the task it has learned,
    even before its greedy answers come out right."""
    import torch
    from transformers import AutoModelForCausalLM

    from evalkit.data import chains
    from evalkit.data.prompts import BOXED_FIRST
    from training.data import IGNORE, tokenize
    from training.modeling import load_tokenizer

    tokenizer = load_tokenizer(str(model_dir))
    model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32).eval()
    total, tokens = 0.0, 0
    for problem in chains.held_out()[:count]:
        response, _ = chains.trace(problem.metadata["start"], problem.metadata["rotate"])
        sample = tokenize(tokenizer, [{"role": "user", "content": BOXED_FIRST.format(question=problem.question)},
                                      {"role": "assistant", "content": response}])
        ids, labels = torch.tensor([sample.input_ids]), torch.tensor([sample.labels[1:] + [IGNORE]])
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0]
        total += torch.nn.functional.cross_entropy(logits, labels[0], ignore_index=IGNORE, reduction="sum").item()
        tokens += int((labels != IGNORE).sum())
    return total / tokens


def score(invocation: dict) -> float:
    return float(invocation["results"][TASK]["avg@n,score"])


def print_comparison(base: Path, trained: Path, console: Console) -> None:
    """`evalkit compare BASE TRAINED`: scores with intervals, Δ with a paired interval and p-value, flips."""
    from evalkit.compare import compare
    from evalkit.compare.render import print_table
    from evalkit.rundir import load_run

    print_table(compare([load_run(base, "base"), load_run(trained, "trained")], [TASK]), console)


def prepare(output: Path, settings: DemoSettings, console: Console) -> tuple[Path, Path]:
    """The untrained model (OUTPUT/base-model) and the demonstrations (OUTPUT/train.jsonl)."""
    from evalkit.demo.model import build_demo_model

    prepare_output(output)
    (output / MARKER).write_text(json.dumps({"settings": asdict(settings)}, indent=1) + "\n")
    base_model = build_demo_model(output / "base-model", seed=settings.seed, hidden=settings.hidden,
                                  layers=settings.layers)
    data = write_demonstrations(output / "train.jsonl", rows(settings), settings.seed)
    return base_model, data


def run_demo(output: Path, settings: DemoSettings, console: Console | None = None) -> dict:
    """Run every stage into `output` (base-model/, train.jsonl, base/, train/, trained/); returns scores and times."""
    import torch

    console = console or Console()
    torch.set_num_threads(settings.threads)
    times: dict[str, float] = {}
    began = time.perf_counter()

    def stage(key: str, what: str, t0: float) -> None:
        times[key] = round(time.perf_counter() - t0, 1)
        console.print(f"[green]✓[/] {what} ({times[key]:.0f} s)")

    t0 = time.perf_counter()
    base_model, data = prepare(output, settings, console)
    stage("build", f"built a random Qwen2 (hidden {settings.hidden}, {settings.layers} layers) and "
          f"{rows(settings)} demonstrations", t0)
    t0 = time.perf_counter()
    base = evaluate(base_model, output / "base", settings)
    stage("eval_base", f"evaluated the base model: avg@n {100 * score(base):.1f}%", t0)
    t0 = time.perf_counter()
    trained_model = train(base_model, data, output / "train", settings, console)
    stage("train", f"trained {settings.steps} steps (full fine-tuning, recipe {RECIPE})", t0)
    t0 = time.perf_counter()
    trained = evaluate(trained_model, output / "trained", settings)
    stage("eval_trained", f"evaluated the trained model: avg@n {100 * score(trained):.1f}%", t0)
    times["total"] = round(time.perf_counter() - began, 1)
    print_comparison(output / "base", output / "trained", console)
    losses = {"base": heldout_loss(base_model), "trained": heldout_loss(trained_model)}
    console.print(f"loss per target token on held-out demonstrations: base {losses['base']:.3f}, "
                  f"trained {losses['trained']:.3f}", highlight=False)
    summary = {"base": score(base), "trained": score(trained), "heldout_loss": losses, "wall_times_s": times,
               "settings": asdict(settings)}
    (output / MARKER).write_text(json.dumps(summary, indent=1) + "\n")
    return summary
