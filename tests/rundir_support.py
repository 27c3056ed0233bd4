"""Real run directories for the run-directory tests, written by the code users run (no hand-made rows):
plain `lm_eval run --log_samples` output (lm-eval's simple_evaluate + EvaluationTracker with a scripted
LM in-process, exactly what its CLI does) and `evalkit leaderboard import-outputs` output."""

from __future__ import annotations

import json
from pathlib import Path

from lm_eval.api.model import LM

from tests.support import REPO

TASKS_DIR = REPO / "tasks"


class ScriptedLM(LM):
    """Answers every prompt with `reply(prompt, repeat)`: deterministic, instant, no weights."""

    def __init__(self, reply):
        super().__init__()
        self.reply = reply
        self.seen: dict[str, int] = {}

    def generate_until(self, requests, disable_tqdm: bool = False) -> list[str]:
        out = []
        for req in requests:
            prompt = req.args[0]
            out.append(self.reply(prompt, self.seen.get(prompt, 0)))
            self.seen[prompt] = self.seen.get(prompt, 0) + 1
        return out

    def loglikelihood(self, requests):
        raise NotImplementedError

    def loglikelihood_rolling(self, requests):
        raise NotImplementedError


def lm_eval_run(out: Path, reply, task: str = "evalkit_math500", limit: int = 3, repeats: int | None = None,
                model_args: str = "pretrained=org/scripted") -> Path:
    """What `lm_eval run --include_path tasks --tasks TASK --limit N --output_path OUT --log_samples` writes;
    returns OUT (lm-eval nests the files one folder down, under the model's name)."""
    import lm_eval
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    tm = TaskManager(include_path=[str(TASKS_DIR)], include_defaults=False)
    if repeats:
        loaded = tm.load([task])["tasks"]
        loaded[task].set_config("repeats", repeats)
        tasks = list(loaded.values())
    else:
        tasks = [task]
    results = lm_eval.simple_evaluate(model=ScriptedLM(reply), tasks=tasks, task_manager=tm, limit=limit,
                                      log_samples=True)
    tracker = EvaluationTracker(output_path=str(out))
    tracker.general_config_tracker.log_experiment_args(model_source="hf", model_args=model_args,
                                                       system_instruction=None, chat_template=None,
                                                       fewshot_as_multiturn=False)
    samples = results.pop("samples")
    tracker.save_results_aggregated(results=results, samples=samples)
    for name, rows in samples.items():
        tracker.save_results_samples(task_name=name, samples=rows)
    return out


def published_outputs(path: Path, rows: list[tuple[str, str, str, str, bool]]) -> Path:
    """A published-outputs JSONL (problem_id, problem, gold, output, published_correct)."""
    path.write_text("".join(json.dumps({"problem_id": pid, "problem": q, "gold": g, "output": o,
                                        "published_correct": ok}) + "\n" for pid, q, g, o, ok in rows))
    return path
