"""`evalkit score RUN_DIR`: re-score saved generations with the current checker; nothing is generated."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table


def register(app: typer.Typer) -> None:
    app.command("score")(score_command)


def score_command(
    target: Path = typer.Argument(..., help="A run directory of `evalkit eval` / `lm_eval --log_samples`, or one samples_<task>_<ts>.jsonl file."),
    include_path: list[Path] = typer.Option([], "--include-path", help="Extra lm-eval task directory (repeatable); tasks/ is always included."),
    task: str = typer.Option(None, "--task", help="Score with this task's config instead of the one in the file name."),
    workers: int = typer.Option(None, "--workers", min=1, help="Grading worker processes (default: one per CPU)."),
    data_dir: Path = typer.Option(None, "--data-dir", help="Local benchmark directory (layout of shared/data). Default: "
                                  "$EVALKIT_DATA_DIR, else the one the run was evaluated on, else the Hub."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output; print only the summary."),
) -> None:
    """Re-score an existing run (or any lm-eval samples file) in parallel with the current grader.

    Writes samples_<task>_<ts>.jsonl and results_<ts>.json (marked "rescored") beside the old files,
    plus rescore_<ts>.json summarising what changed: metric deltas, documents whose metrics changed and
    samples whose verdict flipped.
    """
    import contextlib
    import os

    from lm_eval.tasks import TaskManager

    from evalkit.errors import EvalkitError
    from evalkit.lmeval import scoring_progress
    from evalkit.lmeval.output_tokens import TOKENIZER_ENV
    from evalkit.lmeval.task_manager import include_paths
    from evalkit.run import rescore as rs
    from evalkit.run.outputs import atomic_write, timestamp
    from evalkit.run.progress import StageProgress

    if workers:
        os.environ["EVALKIT_GRADE_WORKERS"] = str(workers)
    files = rs.find_samples(target)
    if task and len(files) > 1:
        raise EvalkitError("--task needs a single samples file, not a directory with several tasks.")
    paths = include_paths(list(include_path))
    tm = TaskManager(include_path=paths, include_defaults=False)
    names = {t: (task or t) for t in files}
    if any(n not in tm.all_tasks for n in names.values()):
        tm = TaskManager(include_path=paths, include_defaults=True)
    console = Console(stderr=True, quiet=quiet)
    out_dir = target if target.is_dir() else target.parent
    if data_dir is not None:
        if not data_dir.is_dir():
            raise EvalkitError(f"--data-dir {data_dir} is not a directory.")
        os.environ["EVALKIT_DATA_DIR"] = str(data_dir.resolve())
    elif not os.environ.get("EVALKIT_DATA_DIR") and (recorded := rs.run_data_dir(out_dir)):
        os.environ["EVALKIT_DATA_DIR"] = recorded  # the problems (and golds) the run was evaluated on
    if not os.environ.get(TOKENIZER_ENV) and (tokenizer := rs.run_tokenizer(out_dir)):
        os.environ[TOKENIZER_ENV] = tokenizer  # token counts (mean_output_tokens) with the run's tokenizer
    stamp = timestamp()
    summary, results = {"source": str(target), "tasks": {}}, {"results": {}, "rescored_from": {}}
    with contextlib.nullcontext(None) if quiet else StageProgress(console) as bars:
        for file_task, path in files.items():
            name = names[file_task]
            if name not in tm.all_tasks:
                raise EvalkitError(f"{path}: task {name!r} is not known to lm-eval or tasks/; pass --task or --include-path.")
            task_obj = tm.load([name])["tasks"][name]
            opener = (lambda label, total, t=file_task: bars.open_scoring(f"{t}: {label}", total)) if bars \
                else scoring_progress.silent
            with scoring_progress.listening(opener):
                res = rs.rescore_task(task_obj, name, path)
            res.old_metrics = rs.old_results(path, file_task)
            out_path = out_dir / f"samples_{file_task}_{stamp}.jsonl"
            atomic_write(out_path, "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in res.rows))
            results["results"][file_task] = {"alias": file_task, **res.new_metrics}
            results["rescored_from"][file_task] = path.name
            rs.carry_run_description(results, rs.source_results(path), file_task)
            deltas = {k: {"old": res.old_metrics.get(k), "new": v,
                          "delta": (v - res.old_metrics[k]) if isinstance(res.old_metrics.get(k), (int, float)) else None}
                      for k, v in res.new_metrics.items()}
            summary["tasks"][file_task] = {"samples_file": out_path.name, "documents": len(res.rows), "samples": res.samples,
                                           "documents_changed": res.docs_changed, "samples_flipped": res.samples_flipped,
                                           "metrics": deltas}
    results["rescored"] = True
    atomic_write(out_dir / f"results_{stamp}.json", json.dumps(results, indent=2, default=str))
    atomic_write(out_dir / f"rescore_{stamp}.json", json.dumps(summary, indent=2, default=str))
    _print(summary, out_dir / f"rescore_{stamp}.json")


def _print(summary: dict, path: Path) -> None:
    table = Table(title="evalkit score: what changed")
    for col in ("task", "metric", "old", "new", "delta"):
        table.add_column(col, justify="left" if col in ("task", "metric") else "right")
    for task, info in summary["tasks"].items():
        for metric, d in info["metrics"].items():
            if not isinstance(d["new"], (int, float)):
                continue
            old = "-" if d["old"] is None else f"{d['old']:.4f}"
            delta = "-" if d["delta"] is None else f"{d['delta']:+.4f}"
            table.add_row(task, metric, old, f"{d['new']:.4f}", delta)
    console = Console()
    console.print(table)
    for task, info in summary["tasks"].items():
        console.print(f"{task}: {info['documents']} documents, {info['samples']} samples; "
                      f"{info['samples_flipped']} verdicts flipped, {info['documents_changed']} documents changed.")
    console.print(f"summary: {path}")
