"""Collect a perturbation study's results into the paper's table (Markdown) and an accuracy-vs-ratio plot.

Each run directory says what it is through its `study.json` manifest (written by `evalkit study plan`)
or, failing that, its name (`correct`, `base`, `digits-p0.7`). Scores come from the lm-eval
`results_*.json` files anywhere below it (lm-eval writes `<output>/<model>/results_<date>.json`): for
each task, the metric `<metric>,<filter>` (default `avg@n` under the filter `score`; `@n` also matches
`@8` and other sample counts), as a percentage. Groups (e.g. `evalkit_math`) are left out: the average is ours.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from evalkit.errors import EvalkitError
from evalkit.io import atomic_writer
from evalkit.rundir import task_metrics
from evalkit.study.plan import MANIFEST, parse_run_name
from training.perturb.kinds import KINDS

# Li et al. 2025, Qwen2.5-32B-Instruct fine-tuned on 4,618 correct math traces: average over benchmarks.
# Their last structural row replaced every step by steps of other traces: our `replace` at p = 1.
PAPER = {
    ("correct", 0.0): 66.3,
    ("wrong-answer", 1.0): 63.1,
    ("digits", 0.7): 62.0,
    ("keywords", 1.0): 63.0,
    ("shuffle", 1.0): 56.1,
    ("delete", 1.0): 49.5,
    ("replace", 1.0): 44.5,
    ("base", None): 56.7,
}
LABELS = {"correct": "correct (unperturbed)", "base": "base model (no training)", "wrong-answer": "wrong answers",
          "digits": "digits corrupted", "keywords": "keywords removed", "shuffle": "steps shuffled",
          "delete": "steps deleted", "insert": "foreign steps inserted",
          "replace": "steps replaced by foreign steps"}  # fmt: skip


@dataclass
class ArmResult:
    name: str
    kind: str
    ratio: float | None
    scores: dict[str, float] = field(default_factory=dict)  # task -> percent
    tasks: list[str] = field(default_factory=list)  # declared in the manifest, if any
    warnings: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        text = LABELS.get(self.kind, self.kind)
        return text if self.kind in ("correct", "base") else f"{text}, p={self.ratio:g}"


def _metric_value(entry: dict, metric: str, filter_name: str) -> float | None:
    """The value of `<metric>,<filter>` in one task entry; `avg@n` matches avg@n (our tasks) and avg@1, avg@8, ..."""
    pattern = re.compile(re.escape(metric).replace("@n", r"@(?:n|\d+)") + r"$")
    found = {}
    for key, value in entry.items():
        name, _, filt = key.partition(",")
        if "_stderr" in name or not pattern.match(name) or isinstance(value, bool):
            continue
        if isinstance(value, int | float) and math.isfinite(value):
            found[filt] = float(value)
    if filter_name in found:
        return found[filter_name]
    return next(iter(found.values())) if len(found) == 1 else None


def read_run(run_dir: str | Path, metric: str = "avg@n", filter_name: str = "score") -> ArmResult:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise EvalkitError(f"{run_dir}: not a directory.")
    manifest = run_dir / MANIFEST
    tasks: list[str] = []
    if manifest.is_file():
        try:
            meta = json.loads(manifest.read_text(encoding="utf-8"))
            kind, ratio, tasks = meta["kind"], meta["ratio"], list(meta.get("tasks") or [])
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise EvalkitError(f"{manifest}: not a study manifest ({err}).") from None
        if kind not in (*KINDS, "correct", "base"):
            raise EvalkitError(f"{manifest}: unknown kind {kind!r}.")
    elif parsed := parse_run_name(run_dir.name):
        kind, ratio = parsed
    else:
        raise EvalkitError(f"{run_dir}: no {MANIFEST} and the name does not say the run "
                           "(expected correct, base or <kind>-p<ratio> such as digits-p0.7).")  # fmt: skip
    result = ArmResult(run_dir.name, kind, None if ratio is None else float(ratio), tasks=tasks)
    result.scores, result.warnings = read_scores(run_dir, metric, filter_name)
    return result


def read_scores(run_dir: Path, metric: str, filter_name: str) -> tuple[dict[str, float], list[str]]:
    """Task -> score in percent from the lm-eval results below `run_dir`, and warnings.

    The study's only reader of run directories, through evalkit.rundir.task_metrics."""
    scores: dict[str, float] = {}
    warnings: list[str] = []
    found, files = task_metrics(run_dir)  # evalkit.rundir reads the results files
    if not files:
        warnings.append(f"{run_dir}: no lm-eval results_*.json yet.")
    for task, (path, entry) in found.items():
        value = _metric_value(entry, metric, filter_name)
        if value is None:
            warnings.append(f"{path}: task {task} has no {metric},{filter_name} metric.")
            continue
        scores[task] = 100.0 * value
    return scores, warnings


def order(results: list[ArmResult]) -> list[ArmResult]:
    rank = {k: i for i, k in enumerate(("correct", *KINDS, "base"))}
    return sorted(
        results, key=lambda r: (rank.get(r.kind, 99), r.ratio if r.ratio is not None else 0.0, r.name)
    )


def benchmarks(results: list[ArmResult]) -> list[str]:
    declared = [t for r in results for t in r.tasks]
    seen = {t for r in results for t in r.scores}
    ordered = list(dict.fromkeys(t for t in declared if t in seen or not seen))
    return ordered + sorted(seen - set(ordered))


def average(result: ArmResult, tasks: list[str]) -> float | None:
    """Mean over `tasks`, None unless every one of them has a score (a partial mean would mislead)."""
    if not tasks or any(t not in result.scores for t in tasks):
        return None
    return sum(result.scores[t] for t in tasks) / len(tasks)


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.1f}" if signed else f"{value:.1f}"


def markdown(results: list[ArmResult], metric: str = "avg@n") -> str:
    """The paper's layout: one row per perturbation, one column per benchmark, ours and the paper's average."""
    results = order(results)
    tasks = benchmarks(results)
    ours_correct = next((average(r, tasks) for r in results if r.kind == "correct"), None)
    head = ["perturbation", *tasks, "avg (ours)", "Δ vs correct", "avg (paper)", "Δ (paper)"]
    lines = [f"| {' | '.join(head)} |", "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    for r in results:
        avg = average(r, tasks)
        paper = PAPER.get((r.kind, r.ratio))
        delta = None if avg is None or ours_correct is None else avg - ours_correct
        paper_delta = None if paper is None else paper - PAPER[("correct", 0.0)]
        cells = [r.label, *(_fmt(r.scores.get(t)) for t in tasks), _fmt(avg), _fmt(delta, True), _fmt(paper),
                 _fmt(paper_delta, True)]  # fmt: skip
        lines.append(f"| {' | '.join(cells)} |")
    notes = [
        "",
        f"Scores: {metric} in percent per benchmark; avg is their mean (– when a benchmark is missing).",
        (
            "Paper: Li et al. 2025, Qwen2.5-32B-Instruct on 4,618 correct traces, average over its benchmarks."
        ),
    ]
    return "\n".join(lines + notes) + "\n"


def plot(results: list[ArmResult], path: str | Path) -> None:
    """Average accuracy against ratio, one line per kind (starting at the correct run), paper as hollow marks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = benchmarks(results)
    avg = {(r.kind, r.ratio): average(r, tasks) for r in results}
    start = avg.get(("correct", 0.0))
    fig, ax = plt.subplots(figsize=(10, 5), dpi=120)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, kind in enumerate(KINDS):
        points = sorted((ratio, v) for (k, ratio), v in avg.items() if k == kind and v is not None)
        paper = [(ratio, v) for (k, ratio), v in PAPER.items() if k == kind]
        if not points and not paper:
            continue
        if points and start is not None:
            points = [(0.0, start), *points]
        color = colors[i % len(colors)]
        if points:
            ax.plot(*zip(*points, strict=True), marker="o", color=color, label=LABELS[kind])
        for j, (ratio, value) in enumerate(paper):
            label = f"{LABELS[kind]} (paper only)" if not points and j == 0 else None  # its colour needs a key too
            ax.plot([ratio], [value], marker="D", markersize=8, markerfacecolor="none", color=color,
                    linestyle="none", label=label)  # fmt: skip
    if avg.get(("base", None)) is not None:
        ax.axhline(avg[("base", None)], color="gray", linestyle="--", label="base model (ours)")
    ax.axhline(PAPER[("base", None)], color="gray", linestyle=":", label="base model (paper)")
    ax.plot([0.0], [PAPER[("correct", 0.0)]], marker="D", markersize=8, markerfacecolor="none", color="black",
            linestyle="none", label="paper (hollow diamonds)")  # fmt: skip
    ax.set_xlabel("perturbation ratio p")
    ax.set_ylabel(f"average accuracy over {len(tasks)} benchmark(s), %")
    ax.set_xlim(-0.03, 1.03)
    ax.set_title("Structure vs content: accuracy after training on perturbed demonstrations")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    try:
        with atomic_writer(path, "wb") as handle:  # a half-written PNG never replaces a good one
            fig.savefig(handle, format="png")
    finally:
        plt.close(fig)
