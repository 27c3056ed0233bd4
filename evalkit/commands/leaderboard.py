"""`evalkit leaderboard add|render|check|import-outputs`: records in leaderboards/, README generated from them."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from evalkit import stats
from evalkit.errors import EvalkitError
from evalkit.io import atomic_write
from evalkit.leaderboard import records as rec
from evalkit.leaderboard import render as rnd
from evalkit.output_flags import OUTPUT, check_output_dir, output_option
from evalkit.rundir import load_run

BOARD_HELP = "Leaderboard folder (records/, references.yaml, README.md)."
WRITE_HELP = BOARD_HELP + " Records and README.md are written into it; --dir is the older spelling."
DEFAULT_BOARD = Path("leaderboards")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Leaderboards: add runs as JSON records, render README.md, check both in CI.",
                        no_args_is_help=True)
    group.command("add")(add)
    group.command("render")(render)
    group.command("check")(check)
    group.command("import-outputs")(import_outputs)
    app.add_typer(group, name="leaderboard")


def _render_text(board: Path) -> tuple[str, list[str]]:
    records, problems = rec.load_records(board)
    references, ref_problems = rnd.load_references(board)
    return rnd.render(board, records, references), problems + ref_problems


def add(
    run_dir: Path = typer.Argument(..., help="An `evalkit eval` run dir or `lm_eval --output_path` dir (with --log_samples)."),
    board: Path = typer.Option(DEFAULT_BOARD, *OUTPUT, "--dir", help=WRITE_HELP),
    preset: str = typer.Option(None, "--preset", help="Preset name for the record. Default: the run manifest's, else 'lm-eval'."),
    suite: str = typer.Option(None, "--suite", help="Suite for every task. Default: each task's benchmark suite from the registry."),
    note: str = typer.Option("", "--note", help="Text shown under the table, e.g. where the outputs came from."),
    do_render: bool = typer.Option(True, "--render/--no-render", help="Regenerate README.md afterwards."),
    iters: int = typer.Option(stats.DEFAULT_ITERS, "--iters", min=200, help="Unused: record intervals are the score intervals of `evalkit compare` (Wilson; docs/compare.md). Kept so existing scripts run."),
    allow_partial: bool = typer.Option(False, "--allow-partial", help="Accept a run that scored fewer problems than "
                                       "the benchmark has (--limit, a subset); the board shows its coverage, e.g. 200/500."),
) -> None:
    """Write one validated JSON record per (model, suite, preset) of RUN_DIR: scores, 95% intervals, n,
    model id and revision, date, grader version, manifest hash and samples-file hashes. Replaces an existing
    record for the same key. A `--limit` or subset run is refused unless --allow-partial."""
    rnd.require_board(board)
    check_output_dir("--output", board)
    run = load_run(run_dir)
    console = Console()
    for record in rec.build_records(run, preset=preset, suite=suite, note=note, allow_partial=allow_partial):
        path = rec.record_path(board, record)
        existed = path.exists()
        atomic_write(path, rec.dump(record))
        scores = ", ".join(f"{k} {100 * t['score']:.1f}" for k, t in record["tasks"].items())
        console.print(f"{'updated' if existed else 'wrote'} {path} ({scores})", highlight=False)
    if do_render:
        render(board)


def render(board: Path = typer.Option(DEFAULT_BOARD, *OUTPUT, "--dir", help=WRITE_HELP)) -> None:
    """Regenerate README.md from records/ and references.yaml (deterministic: same files, same bytes)."""
    rnd.require_board(board)
    check_output_dir("--output", board)
    text, problems = _render_text(board)
    if problems:
        raise EvalkitError(f"{board}: {len(problems)} invalid file(s), fix them first: " + "; ".join(problems))
    atomic_write(board / rnd.README, text)
    Console().print(f"rendered {board / rnd.README}", highlight=False)


def check(board: Path = typer.Option(DEFAULT_BOARD, "--dir", help=BOARD_HELP)) -> None:
    """Fail (exit 2) when a record is invalid, references.yaml is malformed, or README.md is not what
    `render` would write. CI runs this."""
    rnd.require_board(board)
    text, problems = _render_text(board)
    stale = rnd.check_current(board, text)
    problems += [stale] if stale else []
    if problems:
        raise EvalkitError(f"leaderboard check failed ({len(problems)} problem(s)): " + "; ".join(problems))
    count = len(rec.load_records(board)[0])
    Console().print(f"leaderboard ok: {count} record(s) valid, README.md current.", highlight=False)


def import_outputs(
    jsonl: Path = typer.Argument(..., help="Published outputs: JSONL rows with problem_id, problem, gold, output "
                                 "(and published_correct for --verdicts published)."),
    out: Path = output_option("New run directory to write (lm-eval layout + manifest.json); --out is the older spelling.",
                              "--out", default=...),
    model: str = typer.Option(..., "--model", help="Model id that produced the outputs, e.g. Qwen/Qwen2.5-7B-Instruct."),
    task: str = typer.Option(..., "--task", help="Task name to file them under, e.g. math500."),
    verdicts: str = typer.Option("checker", "--verdicts", help="checker: grade with evalkit.grading; published: keep the file's verdicts."),
    tokenizer: Path = typer.Option(None, "--tokenizer", help="Tokenizer folder to count output tokens (enables length plots)."),
    workers: int = typer.Option(None, "--workers", min=1, help="Grading worker processes (default: CPU count)."),
    note: str = typer.Option("", "--note", help="Free text stored in the manifest."),
) -> None:
    """Turn published outputs into a run directory in lm-eval's results/samples layout, so that
    `evalkit compare` and `evalkit leaderboard add` can use them. The prompt is not known for such outputs."""
    from evalkit.leaderboard.importer import import_outputs as run_import

    check_output_dir("--output", out)
    run_import(jsonl, out, model, task, verdicts=verdicts, tokenizer=tokenizer, workers=workers, note=note)
    Console().print(f"wrote {out}", highlight=False)
