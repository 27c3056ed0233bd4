"""OlympiadBench, English text-only open-ended maths competition subset (OE_TO_maths_en_COMP): 675.

Hub: Hothan/OlympiadBench, subset OE_TO_maths_en_COMP. Local: `olympiadbench/test.jsonl` (from
Qwen2.5-Math). `final_answer` is a list (94 multi-answer rows), `context` is prepended when present,
`unit` and `answer_type` are kept as metadata for the grader.
"""

from evalkit.data.benchmark import Benchmark, Fields, HubSource

_FIELDS = Fields(
    question="question",
    answer="final_answer",
    id="id",
    context="context",
    metadata=("subfield", "answer_type", "is_multiple_answer", "unit", "error"),
)

BENCHMARK = Benchmark(
    name="olympiadbench",
    title="OlympiadBench (maths, en, text-only, open-ended)",
    suite="math",
    hub=HubSource("Hothan/OlympiadBench", subset="OE_TO_maths_en_COMP", split="train"),
    hub_fields=_FIELDS,
    local_file="olympiadbench/test.jsonl",
    local_fields=_FIELDS,
    expected_count=675,
    description="OlympiadBench OE_TO_maths_en_COMP; some golds have several parts.",
)
