"""AIME 2025 (I and II): 30 problems, integer answers 0-999.

Hub: math-ai/aime25. Local: `aime25/test.jsonl` (`id` "0".."29", `problem`, `answer` as int).
"""

from evalkit.data.benchmark import Benchmark, Fields, HubSource

BENCHMARK = Benchmark(
    name="aime25",
    title="AIME 2025",
    suite="math",
    hub=HubSource("math-ai/aime25", split="test"),
    hub_fields=Fields(question="problem", answer="answer", id="id"),
    local_file="aime25/test.jsonl",
    local_fields=Fields(question="problem", answer="answer", id="id"),
    expected_count=30,
    description="AIME 2025 I+II, integer answers.",
)
