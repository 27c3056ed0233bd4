"""LiveCodeBench (Jain et al., 2024): contest problems released after a date, judged on hidden tests.

Hub: livecodebench/code_generation_lite (`release_v1` ... `release_v6`, cumulative). Local: the Hub's
test*.jsonl files under `livecodebench/`, or, for release_v1, `livecodebench_release_v1_public/lcb.jsonl`
(public tests only). Scored by running programs in the sandbox (`sandbox/`), with LCB's rules.
Other releases, date windows, platforms and difficulties: `LiveCodeBench(...).select(...)`.
"""

from evalkit.data.livecodebench import LiveCodeBench

BENCHMARK = LiveCodeBench(release="release_v1")
