"""Raw baseline for bench/eval_overhead.py: vllm.LLM.generate on given prompts, nothing else.

Usage: python bench/_raw_vllm.py PROMPTS.json OUT.json   (prompts + settings written by the bench)
"""

import json
import sys
import time
from pathlib import Path

if __name__ == "__main__":
    t_start = time.perf_counter()
    from evalkit.generate import vllm_compat

    vllm_compat.install()
    from vllm import LLM, SamplingParams

    job = json.loads(Path(sys.argv[1]).read_text())
    llm = LLM(model=job["model"], seed=job["seed"], max_model_len=job["max_model_len"], enforce_eager=True)
    t_gen = time.perf_counter()
    params = [SamplingParams(temperature=0.0, max_tokens=job["max_tokens"], stop=job["stop"]) for _ in job["prompts"]]
    outs = llm.generate(job["prompts"], params, use_tqdm=False)
    t_end = time.perf_counter()
    Path(sys.argv[2]).write_text(json.dumps({"outputs": [o.outputs[0].text for o in outs],
                                             "generate_s": t_end - t_gen, "total_s": t_end - t_start}))
