"""The offline demo: a dozen small problems written for evalkit, run end to end on a tiny local model.

Nothing is downloaded: `evalkit demo` builds a random Qwen2 and trains its tokenizer on the spot, then
runs the `evalkit_demo` lm-eval task (same prompts, grading and metrics as the real math suite).
"""

from __future__ import annotations

from pathlib import Path

from evalkit.data.benchmark import Benchmark, Fields, HubSource

PROBLEMS = Path(__file__).with_name("problems.jsonl")

DEMO = Benchmark(
    name="demo",
    title="evalkit demo (12 arithmetic problems)",
    suite="math",
    hub=HubSource("(embedded in evalkit)", split="test"),
    hub_fields=Fields(question="problem", answer="answer", id="id"),
    local_file=PROBLEMS.name,
    local_fields=Fields(question="problem", answer="answer", id="id"),
    expected_count=12,
)


def load_demo_dataset(**_):
    import datasets

    from evalkit.lmeval.math_task import problems_to_dataset

    return datasets.DatasetDict({"test": problems_to_dataset(DEMO.load_local(PROBLEMS.parent))})
