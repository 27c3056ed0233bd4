"""MATH-500: the 500-problem test subset of MATH chosen for PRM800K (Lightman et al., 2023).

Hub: HuggingFaceH4/MATH-500. Local: `math500/test.jsonl` (byte-identical to openai/prm800k's
math_splits/test.jsonl): `unique_id`, `problem`, `answer`, `subject`, `level`.
"""

from evalkit.data.benchmark import Benchmark, Fields, HubSource

_FIELDS = Fields(question="problem", answer="answer", id="unique_id", metadata=("subject", "level"))

BENCHMARK = Benchmark(
    name="math500",
    title="MATH-500",
    suite="math",
    hub=HubSource("HuggingFaceH4/MATH-500", split="test"),
    hub_fields=_FIELDS,
    local_file="math500/test.jsonl",
    local_fields=_FIELDS,
    expected_count=500,
    description="MATH-500 (PRM800K split), five levels, seven subjects.",
)
