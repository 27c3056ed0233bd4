"""Peak memory per rank: full fine-tuning under FSDP2 on N CPU ranks vs the same run in one process.

    python bench/train_memory.py                  # 189M-parameter Qwen2, fp32 AdamW, accumulation 2, 2 ranks
    python bench/train_memory.py --layers 2 --hidden 128 --steps 1    # seconds (CI smoke)

Both arms run `training.loop.train` on the same random model (written once as safetensors under
--workdir), the same data (Sky-T1 Minerva traces, truncated) and the same global batch, so each rank
of the FSDP arm runs half the micro-batches of the single process (gradient accumulation over 2 of
them). The figure is the peak resident set size of each process (`ru_maxrss`: weights, gradients,
AdamW state, activations, the Python/torch runtime itself) at the end of the last optimizer step, and
again after the final checkpoint and export. Both arms run with a fixed glibc mmap threshold, so that
freed tensors go back to the system and RSS follows live memory (as the CUDA allocator's peak would). Target (issue 12): FSDP2 per-rank peak <= 0.65 x single.
Memory-sensitive to nothing but the model; the wall times printed are load-sensitive (shared cores).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = "long_cot_traces_skyt1_minerva/test_Sky-T1_-1_seed0_t0.0_s0_e-1.jsonl"


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def build_model(out: Path, hidden: int, layers: int, vocab: int) -> Path:
    """A random Qwen2 of the requested shape with the trainer's tiny tokenizer (idempotent)."""
    if (out / "model.safetensors").is_file() or (out / "model.safetensors.index.json").is_file():
        return out
    import torch
    from transformers import AutoModelForCausalLM, Qwen2Config

    from training.tiny import build_tokenizer

    tokenizer = build_tokenizer(out)
    config = Qwen2Config(vocab_size=max(vocab, len(tokenizer)), hidden_size=hidden, intermediate_size=hidden * 11 // 4,
                         num_hidden_layers=layers, num_attention_heads=max(1, hidden // 64),
                         num_key_value_heads=max(1, hidden // 256), max_position_embeddings=4096,
                         tie_word_embeddings=True, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.save_pretrained(str(out))
    print(f"built {sum(p.numel() for p in model.parameters()) / 1e6:.0f}M-parameter Qwen2 in {out}", flush=True)
    return out


def worker(args) -> None:
    """One process (or one torchrun rank): train, record peak RSS after the last step and at the end."""
    from rich.console import Console

    from training.config import load_recipe
    from training.loop import train

    sets = {"method": "full", "precision": "fp32", "max_length": args.seq, "length_policy": "truncate",
            "global_batch_size": args.batch, "max_steps": args.steps, "gradient_checkpointing": True,
            "lr": 1e-5, "save_every": 0, "data.limit": 32, "data.system_prompt": None,
            "distributed": "fsdp", "loss_chunk_tokens": 256}
    recipe = load_recipe("tiny-cpu", [], {"model": args.model, "output_dir": args.out,
                                          "data.path": str(Path(args.data_dir) / DATA), **sets})
    after_steps = {}

    def on_step(step, record):
        if step == args.steps:
            after_steps["gib"] = peak_gib()

    began = time.perf_counter()
    train(recipe, console=Console(quiet=int(os.environ.get("RANK", "0")) != 0), on_step=on_step)
    record = {"rank": int(os.environ.get("RANK", "0")), "world": int(os.environ.get("WORLD_SIZE", "1")),
              "peak_after_steps_gib": after_steps["gib"], "peak_total_gib": peak_gib(),
              "seconds": time.perf_counter() - began}
    Path(args.report).with_suffix(f".rank{record['rank']}.json").write_text(json.dumps(record))


def run_arm(args, world: int) -> list[dict]:
    out = Path(args.workdir) / f"run-world{world}"
    subprocess.run(["rm", "-rf", str(out)], check=True)
    report = Path(args.workdir) / f"report-world{world}"
    for old in report.parent.glob(report.name + ".rank*.json"):
        old.unlink()
    script = [str(Path(__file__).resolve()), "--worker", "--model", str(args.model), "--out", str(out),
              "--report", str(report), "--seq", str(args.seq), "--batch", str(args.batch), "--steps", str(args.steps),
              "--data-dir", args.data_dir]
    if world == 1:
        cmd = [sys.executable, *script]
    else:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(world), "--master-port",
               str(args.port), *script]
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 2) // world)),
           # glibc otherwise raises its mmap threshold after the first large free and serves later tensors
           # from a heap it never returns: RSS would measure fragmentation, not what the trainer holds.
           "MALLOC_MMAP_THRESHOLD_": "131072"}
    subprocess.run(cmd, check=True, env=env)
    return [json.loads(p.read_text()) for p in sorted(report.parent.glob(report.name + ".rank*.json"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", default="runs/bench-train-memory")
    parser.add_argument("--hidden", type=int, default=1024)
    # 189M parameters with an 8k vocabulary: embeddings are 4% of the weights, near Qwen2.5-7B/32B's 7%/2%
    # (a 32k vocabulary makes them 17%, and the root's unsharded embedding then weighs on every rank).
    parser.add_argument("--layers", type=int, default=16)
    parser.add_argument("--vocab", type=int, default=8192)
    parser.add_argument("--world", type=int, default=2)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--batch", type=int, default=4, help="samples per optimizer step (2 micro-batches per rank)")
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--port", type=int, default=29561)
    parser.add_argument("--data-dir", default=os.environ.get("EVALKIT_DATA_DIR", str(REPO / "../shared/data")))
    parser.add_argument("--json", help="also write the result here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--report", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    args.model = build_model(Path(args.workdir) / f"qwen2-h{args.hidden}-l{args.layers}-v{args.vocab}",
                             args.hidden, args.layers, args.vocab)
    single = run_arm(args, 1)[0]
    ranks = run_arm(args, args.world)
    worst = max(r["peak_after_steps_gib"] for r in ranks)
    result = {"model": str(args.model), "world": args.world, "seq": args.seq, "global_batch": args.batch,
              "single_peak_gib": round(single["peak_after_steps_gib"], 3),
              "fsdp_peak_per_rank_gib": [round(r["peak_after_steps_gib"], 3) for r in ranks],
              "ratio": round(worst / single["peak_after_steps_gib"], 3),
              "single_peak_with_export_gib": round(single["peak_total_gib"], 3),
              "fsdp_peak_with_export_gib": [round(r["peak_total_gib"], 3) for r in ranks],
              "uptime": subprocess.run(["uptime"], check=False, capture_output=True, text=True).stdout.strip()}
    print(json.dumps(result, indent=1))
    print(f"FSDP2 on {args.world} ranks: {worst:.2f} GiB per rank vs {single['peak_after_steps_gib']:.2f} GiB in one "
          f"process = {result['ratio']:.2f}x (target <= 0.65x)")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
