"""The perturbation study recipe and its plan: which (perturb -> train -> eval) runs, with which commands.

A study recipe (see `evalkit/study/plans/perturbation-study.yaml`) names a base model, the data, the kinds
and ratios, the baselines and the benchmarks. `plan()` expands it into runs; each run lives in its own
directory `<output_dir>/<run>` (`correct`, `base`, or `<kind>-p<ratio>` such as `digits-p0.7`) holding a
`study.json` manifest (kind, ratio, tasks, commands) that `study report` reads back. Inside it:
`train.jsonl` (perturbed data), `train/` (the `evalkit train` run), `model/` (the LoRA adapter merged into
the base by `evalkit merge`, unless `train.merge: false` for full fine-tuning) and `eval/` (lm-eval output).
"""

from __future__ import annotations

import json
import os
import re
import shlex
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evalkit.errors import EvalkitError
from evalkit.io import atomic_write
from training.perturb.kinds import IDENTITY, KINDS, check_ratio

MANIFEST = "study.json"
BASELINES = ("correct", "base")
RUN_NAME = re.compile(r"^(?:(?P<base>correct|base)|(?P<kind>[a-z-]+)-p(?P<ratio>\d+(?:\.\d+)?))$")


@dataclass
class PlannedRun:
    name: str
    kind: str  # one of KINDS, or "correct" / "base"
    ratio: float | None  # None for base; 0.0 for correct
    tasks: list[str] = field(default_factory=list)
    commands: list[list[str]] = field(default_factory=list)
    study: str = ""
    base_model: str = ""
    seed: int = 0
    dir: str = ""

    def shell(self) -> list[str]:
        return [shlex.join(cmd) for cmd in self.commands]


def run_name(kind: str, ratio: float | None) -> str:
    return kind if kind in BASELINES else f"{kind}-p{ratio:g}"


def parse_run_name(name: str) -> tuple[str, float | None] | None:
    """`digits-p0.7` -> ("digits", 0.7); `correct` -> ("correct", 0.0); `base` -> ("base", None)."""
    match = RUN_NAME.match(name)
    if not match:
        return None
    if match["base"]:
        return match["base"], (0.0 if match["base"] == "correct" else None)
    return (match["kind"], float(match["ratio"])) if match["kind"] in KINDS else None


PLANS_DIR = Path(__file__).parent / "plans"


def find_plan(path: str | Path) -> Path:
    """A path, or the name of a bundled plan in evalkit/study/plans/ (with or without .yaml)."""
    path = Path(path)
    for candidate in (path, PLANS_DIR / path, PLANS_DIR / f"{path}.yaml"):
        if candidate.is_file():
            return candidate
    return path


def load_plan(path: str | Path) -> dict[str, Any]:
    path = find_plan(path)
    if not path.is_file():
        raise EvalkitError(f"{path}: study recipe not found.")
    try:
        recipe = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise EvalkitError(f"{path}: not valid YAML ({err}).") from None
    if not isinstance(recipe, dict):
        raise EvalkitError(f"{path}: a study recipe is a mapping.")
    for key in ("base_model", "data", "perturbations", "train", "eval"):
        if key not in recipe:
            raise EvalkitError(f"{path}: missing key {key!r}.")
    if not recipe["data"].get("path"):
        raise EvalkitError(f"{path}: data.path is missing.")
    data_path = os.path.expandvars(str(recipe["data"]["path"]))
    if "$" in data_path:
        raise EvalkitError(f"{path}: data.path {recipe['data']['path']!r} names an environment variable that is not set.")
    recipe["data"]["path"] = data_path
    if not recipe["train"].get("recipe"):
        raise EvalkitError(f"{path}: train.recipe (the `evalkit train` recipe) is missing.")
    if not recipe["eval"].get("tasks"):
        raise EvalkitError(f"{path}: eval.tasks is empty.")
    for kind, ratios in (recipe["perturbations"] or {}).items():
        if kind not in KINDS:
            raise EvalkitError(f"{path}: unknown perturbation {kind!r} (expected one of {', '.join(KINDS)}).")
        if not isinstance(ratios, list) or not ratios:
            raise EvalkitError(f"{path}: perturbations.{kind} must be a non-empty list of ratios.")
        for ratio in ratios:
            if not isinstance(ratio, int | float):
                raise EvalkitError(
                    f"{path}: perturbations.{kind} has a ratio {ratio!r} that is not a number."
                )
            check_ratio(float(ratio))
    for name in recipe.get("baselines", list(BASELINES)):
        if name not in BASELINES:
            raise EvalkitError(f"{path}: unknown baseline {name!r} (expected correct or base).")
    return recipe


def plan(recipe: dict[str, Any], output_dir: str | Path | None = None) -> list[PlannedRun]:
    """Every run of the study with its commands, baselines first."""
    out = Path(output_dir or recipe.get("output_dir", "runs/perturbation-study"))
    data, train, evaluation = recipe["data"], recipe["train"], recipe["eval"]
    seed, base = int(recipe.get("seed", 0)), str(recipe["base_model"])
    tasks = [str(t) for t in evaluation["tasks"]]
    wanted = [(name, 0.0 if name == "correct" else None) for name in recipe.get("baselines", list(BASELINES))]
    wanted += [(k, float(r)) for k, ratios in (recipe["perturbations"] or {}).items() for r in sorted(ratios)
               if float(r) > 0]  # fmt: skip
    if any(k in KINDS for k, _ in wanted) and "correct" not in {k for k, _ in wanted}:
        wanted.insert(0, ("correct", 0.0))  # ratio 0 of every kind: needed for the curves
    runs = []
    for kind, ratio in wanted:
        name = run_name(kind, ratio)
        run_dir = out / name
        run = PlannedRun(name, kind, ratio, tasks, study=str(recipe.get("name", "perturbation-study")), base_model=base,
                  seed=seed, dir=str(run_dir))  # fmt: skip
        model = base
        if kind != "base":
            train_data, train_dir = run_dir / "train.jsonl", run_dir / "train"
            perturb = ["evalkit", "perturb", "--kind", IDENTITY if kind == "correct" else kind,
                       "--ratio", f"{ratio or 0:g}", "--seed", str(seed)]  # fmt: skip
            if data.get("only_correct"):
                perturb.append("--only-correct")
            if data.get("field"):
                perturb += ["--field", str(data["field"])]
            run.commands.append([*perturb, str(data["path"]), str(train_data)])
            sets = {train.get("model_key", "model"): base, **(train.get("set") or {})}
            train_cmd = ["evalkit", "train", str(train["recipe"])]
            for key, value in sets.items():
                train_cmd += ["--set", f"{key}={_scalar(value)}"]
            run.commands.append([*train_cmd, "--data", str(train_data), "--output", str(train_dir)])
            if train.get("merge", True):  # LoRA: `evalkit train` writes RUN/train/adapter; fold it for eval
                model = run_dir / "model"
                run.commands.append(["evalkit", "merge", str(train_dir / "adapter"), "--output", str(model)])
            else:  # full fine-tuning writes RUN/train/model
                model = train_dir / "model"
        run.commands.append(["evalkit", "eval", "--model", str(model), "--tasks", ",".join(tasks),
                             "--output", str(run_dir / "eval"), *map(str, evaluation.get("args") or [])])  # fmt: skip
        runs.append(run)
    return runs


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def write_manifests(runs: list[PlannedRun]) -> None:
    for run in runs:
        payload = {**asdict(run), "shell": run.shell()}
        atomic_write(Path(run.dir) / MANIFEST, json.dumps(payload, indent=2) + "\n")
