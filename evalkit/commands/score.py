"""`evalkit score RUN_DIR`: re-score saved generations with the current checker; nothing is generated."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from evalkit.scoring_flags import numeric_tolerance_option, second_opinion_option


def register(app: typer.Typer) -> None:
    app.command("score")(score_command)


def score_command(
    target: Path = typer.Argument(..., help="A run directory (`evalkit eval`, `lm_eval --log_samples`, "
                                  "`leaderboard import-outputs`), or one samples_<task>_<ts>.jsonl file."),
    include_path: list[Path] = typer.Option([], "--include-path", help="Extra lm-eval task directory (repeatable); tasks/ is always included."),
    task: str = typer.Option(None, "--task", help="Score with this task's config instead of the one in the file name."),
    workers: int = typer.Option(None, "--workers", min=1, help="Grading worker processes (default: one per CPU)."),
    data_dir: Path = typer.Option(None, "--data-dir", help="Local benchmark directory (layout of shared/data). Default: "
                                  "$EVALKIT_DATA_DIR, else the one the run was evaluated on, else the Hub."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output; print only the summary."),
    second_opinion: str = second_opinion_option(),
    numeric_tolerance: float = numeric_tolerance_option(),
) -> None:
    """Re-score an existing run in parallel with the current grader; nothing is generated.

    TARGET is an `evalkit eval` run, a plain `lm_eval run ... --log_samples` output directory, one
    samples_<task>_<ts>.jsonl file, or a run written by `evalkit leaderboard import-outputs` (its task, e.g.
    math500, is scored by evalkit_math500).

    Writes samples_<task>_<ts>.jsonl and results_<ts>.json (marked "rescored") beside the old files,
    plus rescore_<ts>.json summarising what changed: metric deltas, documents whose metrics changed and
    samples whose verdict flipped.
    """
    from evalkit.errors import EvalkitError
    from evalkit.lmeval.task_manager import ScoringOptions

    if data_dir is not None and not data_dir.is_dir():
        raise EvalkitError(f"--data-dir {data_dir} is not a directory.")
    if second_opinion:
        from evalkit.second_opinion import require

        require(second_opinion)  # a missing extra fails before any work
    written = rescore_files(target, ScoringOptions(workers=workers, numeric_tolerance=numeric_tolerance), list(include_path), task, data_dir, quiet)
    _print(written)
    if second_opinion:
        from evalkit.second_opinion import audit_rescored

        audit_rescored(written["tasks"], Path(written["path"]).parent, second_opinion, workers, quiet)


def rescore_files(target: Path, options, include_path: list[Path], task: str | None = None,
                  data_dir: Path | None = None, quiet: bool = False) -> dict:
    """Re-score every samples file of `target`; write the new samples, results and summary beside them."""
    import contextlib

    from lm_eval.tasks import TaskManager

    from evalkit import data
    from evalkit.errors import EvalkitError
    from evalkit.io import atomic_write
    from evalkit.lmeval import rescore as rs
    from evalkit.lmeval import scoring_progress
    from evalkit.lmeval.task_manager import (
        bind_filter_options,
        include_paths,
        ours_then_builtin,
        task_metadata,
    )
    from evalkit.progress import StageProgress
    from evalkit.rundir import (
        find_samples,
        manifest,
        results_beside,
        run_root,
        timestamp,
        write_samples,
    )

    if quiet:
        import logging

        logging.getLogger("lm_eval").setLevel(logging.ERROR)  # as `evalkit eval --quiet` does
    files = find_samples(target)
    if task and len(files) > 1:
        raise EvalkitError("--task needs a single samples file, not a directory with several tasks.")
    folders = {path.parent for path in files.values()}
    if len(folders) > 1:
        raise EvalkitError(f"{target} holds samples in several folders ({', '.join(sorted(map(str, folders)))}); "
                           "pass one of them.")
    (out_dir,) = folders
    recorded = manifest.read(run_root(out_dir))
    if data_dir is None and data.resolve_data_dir(None) is None:
        data_dir = manifest.recorded_data_dir(recorded)  # the problems (and golds) the run was evaluated on
    if options.tokenizer is None:  # only for responses whose token count the run did not record
        options = replace(options, tokenizer=_loadable(manifest.recorded_tokenizer(recorded) or _results_tokenizer(files)))
    paths = include_paths(include_path)
    metadata = task_metadata(data_dir)
    tm = ours_then_builtin(lambda builtin: TaskManager(include_path=paths, include_defaults=builtin, metadata=metadata),
                           lambda tm: any(_task_name(task or t, tm.all_tasks) not in tm.all_tasks for t in files))
    names = {t: _task_name(task or t, tm.all_tasks) for t in files}
    console = Console(stderr=True, quiet=quiet)
    stamp = timestamp()
    summary, results = {"source": str(target), "tasks": {}}, {"results": {}, "rescored_from": {}}
    with contextlib.nullcontext(None) if quiet else StageProgress(console) as bars:
        for file_task, path in files.items():
            name = names[file_task]
            if name not in tm.all_tasks:
                raise EvalkitError(f"{path}: task {name!r} is not known to lm-eval or tasks/; pass --task or --include-path.")
            task_obj = tm.load([name])["tasks"][name]
            bind_filter_options(task_obj, options)
            opener = (lambda label, total, t=file_task: bars.open_scoring(f"{t}: {label}", total)) if bars \
                else scoring_progress.silent
            with scoring_progress.listening(opener):
                res = rs.rescore_task(task_obj, name, path)
            source = results_beside(path)
            res.old_metrics = rs.old_metrics(source, file_task)
            out_path = out_dir / f"samples_{file_task}_{stamp}.jsonl"
            write_samples(out_path, res.rows)
            results["results"][file_task] = {"alias": file_task, **res.new_metrics}
            results["rescored_from"][file_task] = path.name
            rs.carry_run_description(results, source, file_task)
            deltas = {k: {"old": res.old_metrics.get(k), "new": v,
                          "delta": (v - res.old_metrics[k]) if isinstance(res.old_metrics.get(k), int | float) else None}
                      for k, v in res.new_metrics.items()}
            summary["tasks"][file_task] = {"samples_file": out_path.name, "scored_with": name,
                                           "documents": len(res.rows), "samples": res.samples,
                                           "documents_changed": res.docs_changed, "samples_flipped": res.samples_flipped,
                                           "metrics": deltas}
    results["rescored"] = True
    results["grader"] = _graders(names)
    results["grading"] = options.recorded()
    atomic_write(out_dir / f"results_{stamp}.json", json.dumps(results, indent=2, default=str))
    summary_path = out_dir / f"rescore_{stamp}.json"
    atomic_write(summary_path, json.dumps(summary, indent=2, default=str))
    summary["path"] = str(summary_path)
    return summary


def _task_name(name: str, known) -> str:
    """The task to score a file's samples with: its own name, else the evalkit task of its benchmark
    (an imported run filed under `math500` is scored by `evalkit_math500`)."""
    if name in known:
        return name
    from evalkit.data import benchmark_of

    mapped = benchmark_of(name).task
    return mapped if mapped in known else name


def _graders(names: dict[str, str]) -> dict[str, str]:
    """task -> the version string of the grader that just scored it (what the leaderboard shows)."""
    from evalkit.data import benchmark_of
    from evalkit.grading.version import grader_version

    return {t: grader_version(benchmark_of(name).suite or "math") for t, name in names.items()}


def _results_tokenizer(files: dict[str, Path]) -> str | None:
    """The model lm-eval's results config names (`pretrained=...`/`tokenizer=...`), for plain lm-eval runs."""
    from evalkit.rundir import model_args, results_beside

    for path in files.values():
        args = model_args(results_beside(path).get("config") or {})
        name = args.get("tokenizer") or args.get("pretrained") or args.get("model")
        if name:
            return str(name)
    return None


def _loadable(name: str | None) -> str | None:
    """`name` when a tokenizer loads from it here (offline, a missing model is common), else None."""
    from evalkit.generate.generation import load_tokenizer

    if not name:
        return None
    try:
        load_tokenizer(name)
    except (OSError, ValueError):
        return None
    return name


def _print(summary: dict) -> None:
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
    console.print(f"summary: {summary['path']}")
