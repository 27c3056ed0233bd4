"""AIME 2024 (I and II): 30 problems, integer answers 0-999.

Hub: HuggingFaceH4/aime_2024. Local: `aime24/test.jsonl` as in Qwen2.5-Math's evaluation data
(`id` 60..89, `problem`, `answer`). Scored by answer equivalence; Sky-T1 reports avg@8 at T=0.7.
"""

from evalkit.data.benchmark import Benchmark, Fields, HubSource

BENCHMARK = Benchmark(
    name="aime24",
    title="AIME 2024",
    suite="math",
    hub=HubSource("HuggingFaceH4/aime_2024", split="train"),
    hub_fields=Fields(question="problem", answer="answer", id="id", metadata=("url",)),
    local_file="aime24/test.jsonl",
    local_fields=Fields(question="problem", answer="answer", id="id", metadata=("url",)),
    expected_count=30,
    description="AIME 2024 I+II, integer answers.",
)
