"""AMC 2023 (12A/12B): the 40-problem set used by Qwen2.5-Math and SkyThought.

Hub: math-ai/amc23. Local: `amc23/test.jsonl` (`id` 0..39, `problem`, `answer` stored as a float
such as 27.0, turned into "27").
"""

from evalkit.data.benchmark import Benchmark, Fields, HubSource

BENCHMARK = Benchmark(
    name="amc23",
    title="AMC 2023",
    suite="math",
    hub=HubSource("math-ai/amc23", split="test"),
    hub_fields=Fields(question="question", answer="answer", id="id", metadata=("url",)),
    local_file="amc23/test.jsonl",
    local_fields=Fields(question="problem", answer="answer", id="id", metadata=("url",)),
    expected_count=40,
    description="AMC 2023, 40 problems with numeric answers.",
)
