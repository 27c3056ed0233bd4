"""Training speed: our trainer vs TRL's SFTTrainer + PEFT at its best configuration, on what users train.

    python bench/train_speed.py                         # GPU: Qwen2.5-7B shape, rows of 8k/16k/32k, both arms
    python bench/train_speed.py --cpu-smoke             # seconds: tiny shape, 256-token rows, one step each

Samples have the token lengths of the shared Sky-T1 traces (../shared/data/long_cot_traces_skyt1_minerva,
question + full response through the Qwen2.5 tokenizer), drawn with replacement until a step holds
`--rows` packed rows of `seq` tokens; the prompt part of each sample carries no loss. Models are built
from the public Qwen2.5 config values with random weights (no download), bf16, LoRA rank 64 / alpha 128
on all linear layers, gradient checkpointing on. Each (arm, shape, seq) runs in its own process.

- ours: samples packed first-fit into rows of `seq` tokens, positions restarting per sample, attention
  `--attn` (default auto: flash-attn varlen if importable, else flex_attention with a document mask),
  chunked lm_head + loss.
- trl (pinned in the `bench` extra): SFTTrainer's best setting for this job: `packing=True` with the
  `bfd` strategy and `padding_free=True` (position_ids, no padding, no cross-sample attention),
  `completion_only_loss`, the same attention kernel, Liger kernels (fused linear cross-entropy) when
  `liger_kernel` is importable, fused AdamW; the same number of rows per optimizer step.

tokens/s counts real tokens. MFU is *useful* FLOPs over the dense bf16 peak: LoRA forward 2N +
input-gradient backward 2N per token on the frozen weights, 6 per adapter weight, plus causal attention
per sample (6 x layers x width x len^2; packed samples do not attend to each other), recomputation not
counted. Peak memory is torch.cuda.max_memory_allocated.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SHAPES = {  # public config.json values of Qwen2.5-{1.5B,7B}
    "1.5b": {"vocab_size": 151936, "hidden_size": 1536, "intermediate_size": 8960, "num_hidden_layers": 28,
                 "num_attention_heads": 12, "num_key_value_heads": 2, "tie_word_embeddings": True},
    "7b": {"vocab_size": 152064, "hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28,
               "num_attention_heads": 28, "num_key_value_heads": 4, "tie_word_embeddings": False},
    "tiny": {"vocab_size": 1024, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "tie_word_embeddings": True},
}


TRACES = "long_cot_traces_skyt1_minerva/test_Sky-T1_-1_seed0_t0.0_s0_e-1.jsonl"
TOKENIZER = "qwen_tokenizer/qwen3_pypi/tokenizer.json"  # the Qwen2.5 BPE (see SOURCES.md there)
TEMPLATE_TOKENS = 30  # chat template and Sky-T1 system prompt around question and response


def build_model(shape: str, seq: int, device, attn: str):
    import torch
    from transformers import AutoModelForCausalLM, Qwen2Config

    config = Qwen2Config(**SHAPES[shape], max_position_embeddings=max(seq, 32768), rope_theta=1e6,
                         rms_norm_eps=1e-6, use_cache=False)
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    torch.manual_seed(0)
    with device:
        return AutoModelForCausalLM.from_config(config, dtype=dtype, attn_implementation=attn)


def trace_lengths(data_dir: str) -> list[tuple[int, int]]:
    """(prompt tokens, response tokens) of each shared Sky-T1 trace."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(data_dir) / TOKENIZER))
    out = []
    with (Path(data_dir) / TRACES).open() as handle:
        for line in handle:
            row = json.loads(line)
            out.append((len(tokenizer.encode(row["question"]).ids) + TEMPLATE_TOKENS,
                        len(tokenizer.encode(row["code"][0]).ids)))
    return out


def make_samples(vocab: int, seq: int, rows: int, lengths: list[tuple[int, int]], seed: int = 1):
    """Samples with Sky-T1 lengths (scaled down where the row is shorter than a trace) until `rows` rows
    of `seq` tokens are full, as first-fit packing fills them."""
    import random

    import torch

    from training.data import IGNORE, Sample
    from training.packing import pack

    rng = random.Random(seed)
    g = torch.Generator().manual_seed(seed)
    scale = min(1.0, seq / max(p + r for p, r in lengths))
    out: list[Sample] = []
    while True:
        prompt, response = rng.choice(lengths)
        prompt, response = max(1, int(prompt * scale)), max(2, int(response * scale))
        ids = torch.randint(0, vocab, (prompt + response,), generator=g).tolist()
        candidate = out + [Sample(ids, [IGNORE] * prompt + ids[prompt:])]
        if len(pack(candidate, seq)) > rows:
            return out
        out = candidate


def flops_per_step(model, samples, lora: bool = True) -> float:
    from training.modeling import linear_params, step_flops

    base, adapter = linear_params(model)
    return step_flops(model.config, base, adapter, [len(s.input_ids) for s in samples], lora)


def attention(args, device) -> str:
    from training.config import Recipe
    from training.modeling import attention_for

    return attention_for(Recipe(model="bench", attn_implementation=args.attn, packing=True), device)


def run_ours(args, device, samples) -> dict:
    import torch

    from training.config import Recipe
    from training.loop import accumulate, autocast_for
    from training.modeling import CausalLMLoss, prepare_model
    from training.packing import StepPlan, pack

    recipe = Recipe(model="bench", method="lora", precision="bf16" if device.type == "cuda" else "fp32")
    recipe.lora.dropout = 0.0
    model = prepare_model(build_model(args.shape, args.seq, device, attention(args, device)), recipe)
    module = CausalLMLoss(model, recipe.loss_chunk_tokens).to(device)
    params = [p for p in module.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-4, fused=device.type == "cuda")
    plan = StepPlan(pack(samples, args.seq), sum(s.targets for s in samples),
                    sum(len(s.input_ids) for s in samples), [len(s.input_ids) for s in samples])
    autocast = autocast_for(recipe, module, device)
    times = []
    for step in range(args.warmup + args.steps):
        sync(device)
        began = time.perf_counter()
        accumulate(module, plan, 1, device, autocast)
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        sync(device)
        if step >= args.warmup:
            times.append(time.perf_counter() - began)
    return {"seconds_per_step": sum(times) / len(times), "flops": flops_per_step(model, samples),
            "tokens_per_step": plan.tokens}


def run_trl(args, device, samples) -> dict:
    import importlib.util

    import datasets
    from peft import LoraConfig
    from transformers import PreTrainedTokenizerFast, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    from training.packing import pack
    from training.tiny import build_tokenizer

    model = build_model(args.shape, args.seq, device, attention(args, device))
    steps = args.warmup + args.steps
    dataset = datasets.Dataset.from_dict({  # the same samples every step, as in our arm
        "input_ids": [s.input_ids for _ in range(steps) for s in samples],
        "completion_mask": [[int(t != -100) for t in s.labels] for _ in range(steps) for s in samples],
    })
    tokenizer_dir = Path(args.workdir) / "tokenizer"
    build_tokenizer(tokenizer_dir)  # TRL wants a processing class; the data is already token ids
    tokenizer = PreTrainedTokenizerFast.from_pretrained(str(tokenizer_dir))
    times: list[float] = []

    class Timer(TrainerCallback):
        def on_step_begin(self, *a, **k):
            sync(device)
            self.began = time.perf_counter()

        def on_step_end(self, state_args, state, *a, **k):
            sync(device)
            if state.global_step > args.warmup:
                times.append(time.perf_counter() - self.began)

    rows = len(pack(samples, args.seq))
    config = SFTConfig(
        output_dir=str(Path(args.workdir) / "trl"), max_length=args.seq, packing=True, packing_strategy="bfd",
        padding_free=True, completion_only_loss=True, per_device_train_batch_size=1,
        gradient_accumulation_steps=rows, max_steps=steps, learning_rate=1e-4, lr_scheduler_type="constant",
        gradient_checkpointing=True, bf16=device.type == "cuda", use_cpu=device.type != "cuda",
        use_liger_kernel=device.type == "cuda" and importlib.util.find_spec("liger_kernel") is not None,
        optim="adamw_torch_fused" if device.type == "cuda" else "adamw_torch", logging_steps=1000,
        save_strategy="no", report_to=[], dataloader_num_workers=0, shuffle_dataset=False,
        dataset_num_proc=None, seed=0,
    )
    lora = LoraConfig(r=64, lora_alpha=128, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM")
    trainer = SFTTrainer(model=model, args=config, train_dataset=dataset, processing_class=tokenizer,
                         peft_config=lora, callbacks=[Timer()])
    trainer.train()
    flops = flops_per_step(trainer.model, samples)
    return {"seconds_per_step": sum(times) / len(times), "flops": flops,
            "tokens_per_step": sum(len(s.input_ids) for s in samples), "liger": config.use_liger_kernel}


def sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def worker(args) -> None:
    import torch

    from training.modeling import PEAK_TFLOPS

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    vocab = SHAPES[args.shape]["vocab_size"]
    samples = make_samples(vocab, args.seq, args.rows, trace_lengths(args.data_dir))
    result = (run_ours if args.arm == "ours" else run_trl)(args, device, samples)
    peak = None
    if device.type == "cuda":
        name = torch.cuda.get_device_name()
        peak = args.peak_tflops or next((v for k, v in PEAK_TFLOPS.items() if k in name), None)
    sps = result["seconds_per_step"]
    print("RESULT " + json.dumps({
        "arm": args.arm, "shape": args.shape, "seq": args.seq, "attn": attention(args, device),
        "samples_per_step": len(samples), "rows_per_step": args.rows, "liger": result.get("liger"),
        "tokens_per_s": result["tokens_per_step"] / sps,
        "peak_memory_gb": torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else None,
        "mfu": result["flops"] / sps / (peak * 1e12) if peak else None,
        "tflops": result["flops"] / sps / 1e12,
        "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
    }), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", nargs="+", default=["7b"], choices=sorted(SHAPES))
    parser.add_argument("--seq", nargs="+", type=int, default=[8192, 16384, 32768], help="packed row length")
    parser.add_argument("--arms", nargs="+", default=["ours", "trl"], choices=["ours", "trl"])
    parser.add_argument("--rows", type=int, default=2, help="packed rows (micro-batches) per optimizer step")
    parser.add_argument("--attn", default="auto", help="attention of both arms: auto | flex_attention | sdpa | flash_attention_2")
    parser.add_argument("--data-dir", default=os.environ.get("EVALKIT_DATA_DIR", str(REPO.parent / "shared" / "data")))
    parser.add_argument("--cpu-smoke", action="store_true", help="tiny shape, 256-token rows, one step per arm (seconds)")
    parser.add_argument("--steps", type=int, default=4, help="measured optimizer steps")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured optimizer steps first")
    parser.add_argument("--peak-tflops", type=float, default=None, help="device dense bf16 peak (default: detected)")
    parser.add_argument("--out", default=None, help="also write the results as JSON lines here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--arm", help=argparse.SUPPRESS)
    parser.add_argument("--shape", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cpu_smoke:
        args.shapes, args.seq, args.steps, args.warmup, args.rows = ["tiny"], [256], 1, 0, 2
    if args.worker:
        args.seq = args.seq[0]
        return worker(args)

    import tempfile

    from rich.console import Console
    from rich.table import Table

    console = Console()
    if "trl" in args.arms:
        try:
            import trl  # noqa: F401
        except ImportError:
            console.print("[yellow]trl is not installed: running our arm only (pip install trl)[/]")
            args.arms = [a for a in args.arms if a != "trl"]
    rows = []
    for shape in args.shapes:
        for seq in args.seq:
            for arm in args.arms:
                with tempfile.TemporaryDirectory() as workdir:
                    cmd = [sys.executable, __file__, "--worker", "--arm", arm, "--shape", shape, "--seq", str(seq),
                           "--rows", str(args.rows), "--steps", str(args.steps), "--warmup", str(args.warmup),
                           "--attn", args.attn, "--data-dir", args.data_dir,
                           "--workdir", workdir] + (["--peak-tflops", str(args.peak_tflops)] if args.peak_tflops else [])
                    console.print(f"[dim]{arm} {shape} seq {seq} ...[/]")
                    proc = subprocess.run(cmd, capture_output=True, text=True, check=False,
                                          env={**os.environ, "PYTHONPATH": str(REPO)})
                found = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
                if found:
                    rows.append(json.loads(found[-1][7:]))
                else:
                    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
                    oom = "OutOfMemory" in proc.stderr or "out of memory" in proc.stderr
                    rows.append({"arm": arm, "shape": shape, "seq": seq, "error": "OOM" if oom else tail[0][:120]})
    table = Table(title="LoRA r64 training speed, packed Sky-T1 lengths (random-init Qwen2.5 shapes, bf16, grad ckpt)")
    for column in ("shape", "seq", "arm", "attn", "tokens/s", "vs TRL", "MFU", "TFLOP/s", "peak GB"):
        table.add_column(column, justify="right")
    for row in rows:
        trl_row = next((r for r in rows if r["arm"] == "trl" and r["shape"] == row["shape"] and r["seq"] == row["seq"]
                        and "tokens_per_s" in r), None)
        if "error" in row:
            table.add_row(row["shape"], str(row["seq"]), row["arm"], "", row["error"], "", "", "", "")
            continue
        ratio = f"{row['tokens_per_s'] / trl_row['tokens_per_s']:.2f}x" if trl_row and row["arm"] == "ours" else ""
        table.add_row(row["shape"], str(row["seq"]), row["arm"], row["attn"], f"{row['tokens_per_s']:,.0f}", ratio,
                      f"{row['mfu']:.1%}" if row["mfu"] is not None else "-", f"{row['tflops']:.1f}",
                      f"{row['peak_memory_gb']:.1f}" if row["peak_memory_gb"] is not None else "-")
    console.print(table)
    if rows and "device" in rows[0]:
        console.print(f"device: {rows[0]['device']}")
    if args.out:
        Path(args.out).write_text("".join(json.dumps(r) + "\n" for r in rows))


if __name__ == "__main__":
    main()
