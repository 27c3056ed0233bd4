"""`evalkit perturb`: write a perturbed copy of a long-CoT demonstration set and say what changed."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from evalkit.errors import EvalkitError
from evalkit.output_flags import check_output_file, one_output, output_option
from training.perturb.kinds import DEFAULT_KEYWORDS

KIND_HELP = (
    "wrong-answer: every \\boxed{} answer becomes another sample's answer (in round(p·rows) rows); "
    "digits: each digit replaced by a different one with probability p; "
    "keywords: each reasoning keyword removed with probability p; "
    "shuffle: round(p·n) thought steps permuted; delete: round(p·n) steps removed; "
    "insert: round(p·n) steps of other samples inserted at random positions; "
    "replace: round(p·n) steps replaced in place by steps of other samples; "
    "none: a plain copy (the unperturbed baseline, e.g. with --only-correct)."
)


def register(app: typer.Typer) -> None:
    app.command("perturb")(perturb)


def perturb(
    src: Path = typer.Argument(..., metavar="IN.jsonl", help="Demonstrations (JSONL)."),
    dst: Path = typer.Argument(None, metavar="OUT.jsonl", help="Where to write the perturbed rows (or give -o).",
                               show_default=False),
    kind: str = typer.Option(..., "--kind", help=KIND_HELP),
    ratio: float = typer.Option(
        ..., "--ratio", help="Perturbation strength p in [0, 1]; 0 copies the input."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed; the same seed gives the same output."),
    field: str = typer.Option(
        None,
        "--field",
        help="Where the reasoning is, e.g. 'code[0]', 'reasoning', 'messages' (last assistant turn) or "
        "'messages[-1].content'. Default: auto-detected from the first row (code[0], reasoning, response, "
        "output, completion, generation, messages, conversations).",
    ),
    answer_field: str = typer.Option(
        None,
        "--answer-field",
        help="Gold answer field for wrong-answer (default: gt, answer, gold or final_answer; else the "
        "trace's last \\boxed{}).",
    ),
    only_correct: bool = typer.Option(
        False, "--only-correct", help="Keep only rows whose 'score' (first element if a list) is true."
    ),
    trace_format: str = typer.Option(
        "auto", "--format", help="Trace format: auto, sky-t1, r1 (<think>…</think>) or plain."
    ),
    keywords: str = typer.Option(
        None,
        "--keywords",
        help="Comma-separated keywords for --kind keywords (case-insensitive, whole words; default: "
        + ", ".join(DEFAULT_KEYWORDS)
        + ").",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    output: Path = output_option("Where to write the perturbed rows (JSONL, whole or not at all): the same as "
                                 "the positional OUT.jsonl, give one of the two."),
) -> None:
    """Perturb the reasoning of every row of IN.jsonl and write OUT.jsonl (or -o FILE), then print a summary.

    Thought steps are the paragraphs of the thought (Sky-T1 <|begin_of_thought|>, R1 <think>, or the whole
    text); the solution is kept apart and only content kinds touch it. Each output row gets a
    'perturbation' object (kind, ratio, seed, steps_touched, tokens_changed).
    """
    from training.perturb import perturb_file

    words = DEFAULT_KEYWORDS
    if keywords is not None:
        words = tuple(w.strip() for w in keywords.split(",") if w.strip())
        if not words:
            raise EvalkitError("--keywords is empty.")
    dst = one_output(dst, output, "OUT.jsonl")
    flag = "OUT.jsonl" if output is None else "--output"
    if src.resolve() == dst.resolve():
        raise EvalkitError(f"{flag} must differ from IN.jsonl ({src}).")
    check_output_file(flag, dst)
    summary = perturb_file(
        src, dst, kind, ratio, seed, field, answer_field, only_correct, trace_format, words
    )
    if as_json:
        print(json.dumps(summary.to_dict()))
        return
    table = Table()
    table.add_column("")
    table.add_column("count", justify="right")
    table.add_column("of", justify="right")
    share = lambda a, b: f"{100 * a / b:.1f}%" if b else "-"
    table.add_row(
        "rows changed", f"{summary.rows_changed}", f"{summary.rows} kept / {summary.rows_read} read"
    )
    table.add_row(
        "steps touched",
        f"{summary.steps_touched}",
        f"{summary.steps} ({share(summary.steps_touched, summary.steps)})",
    )
    table.add_row("solutions touched", f"{summary.solutions_touched}", f"{summary.rows}")
    table.add_row(
        "tokens changed",
        f"{summary.tokens_changed}",
        f"{summary.tokens} ({share(summary.tokens_changed, summary.tokens)})",
    )
    if kind == "wrong-answer":
        table.add_row("answers not found", f"{summary.answers_missing}", f"{summary.rows}")
    console = Console()
    console.print(f"[bold]perturb[/] --kind {kind} --ratio {ratio:g} --seed {seed} → {dst}", highlight=False)
    console.print(table)
    console.print(f"reasoning field: {summary.field}; tokens = digits, letter runs and punctuation marks.",
                  style="dim")  # fmt: skip
