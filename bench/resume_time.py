"""Time to resume `evalkit eval` after a SIGKILL at 50% of the generations.

Runs the same command three times on a tiny random Qwen2: uninterrupted; killed (SIGKILL) as soon as
half of the generations are stored; then resumed. Prints wall times, generation-phase times and how
many generations each run made. The resumed run should only generate the missing half.

Usage: python bench/resume_time.py [--backend vllm|hf] [--problems 64] [--max-tokens 128]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOKENIZER = Path(os.environ.get("EVALKIT_SHARED_DIR", REPO.parent / "shared")) / "data/qwen_tokenizer/qwen2_bpe_github"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", default="vllm")
    ap.add_argument("--problems", type=int, default=64)
    ap.add_argument("--max-tokens", type=int, default=128)
    args = ap.parse_args()
    env = os.environ | {"PYTHONPATH": str(REPO), "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", "1")}
    tmp = Path(tempfile.mkdtemp(prefix="evalkit-resume-"))
    sys.path.insert(0, str(REPO))
    from evalkit.tiny_model import build_tiny_eval_model

    model = build_tiny_eval_model(tmp / "model", TOKENIZER)
    chunk = max(1, args.problems // 8)

    def cmd(out: Path) -> list[str]:
        return [sys.executable, "-m", "evalkit", "eval", "--model", str(model), "--tasks", "evalkit_math500",
                "--backend", args.backend, "--preset", "greedy", "--max-tokens", str(args.max_tokens),
                "--max-model-len", "2048", "--limit", str(args.problems), "--chunk-size", str(chunk),
                "--output", str(out), "--quiet"]

    def stats(out: Path) -> dict:
        inv = json.loads((out / "manifest.json").read_text())["invocations"][-1]
        return inv["generation"] | {"wall": inv["wall_times_s"]}

    t0 = time.perf_counter()
    subprocess.run(cmd(tmp / "full"), cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    full_s = time.perf_counter() - t0

    out = tmp / "killed"
    store = out / "generations.jsonl"
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd(out), cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while proc.poll() is None:
        if store.exists() and store.read_text().count("\n") >= args.problems // 2:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait()
    killed_s = time.perf_counter() - t0
    done = store.read_text().count("\n")

    t0 = time.perf_counter()
    subprocess.run(cmd(out), cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    resume_s = time.perf_counter() - t0
    full, resumed = stats(tmp / "full"), stats(out)
    def resps(run: Path) -> list:
        (path,) = run.glob("samples_*.jsonl")
        return [json.loads(x)["resps"] for x in path.read_text().splitlines()]

    same = resps(tmp / "full") == resps(out)
    print(f"backend {args.backend}, {args.problems} problems x {args.max_tokens} tokens, chunk {chunk}; "
          f"cpus {os.cpu_count()} (shared), load avg {os.getloadavg()[0]:.1f}")
    print(f"uninterrupted: {full_s:6.1f} s wall, generation {full['generation_s']:6.1f} s, generated {full['generated']}")
    print(f"killed at {done}/{args.problems} stored after {killed_s:6.1f} s")
    print(f"resumed:       {resume_s:6.1f} s wall, generation {resumed['generation_s']:6.1f} s, generated "
          f"{resumed['generated']}, reused {resumed['reused']}")
    print(f"resume / uninterrupted: wall {resume_s / full_s:.2f}, generation {resumed['generation_s'] / full['generation_s']:.2f}; "
          f"identical samples: {same}")


if __name__ == "__main__":
    main()
