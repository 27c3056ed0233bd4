"""Packed rows == one sample per forward, for each attention path: loss and every gradient.

    python bench/packed_attention_check.py                       # GPU: flex_attention, sdpa, flash-attn if importable
    python bench/packed_attention_check.py --attn sdpa --device cpu   # the CPU smoke (flex has no CPU backward)

A random Qwen2 (4 layers, width 256, LoRA off, every weight trainable) computes the summed token loss of
samples of Sky-T1-like uneven lengths twice: packed into one row (positions restarting per sample, no
attention mask: the kernel must find the document boundaries) and one sample per forward. If samples
attended to each other, the packed loss and gradients would differ by far more than rounding.
Prints one JSON line per attention path: the relative loss difference and the worst relative gradient
difference (fp32 for sdpa/flex; bf16 for flash-attn, which has no fp32 kernel).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

LENGTHS = [700, 90, 1500, 333, 1024, 57]


def check(attn: str, device, lengths: list[int]) -> dict:
    import torch
    from transformers import AutoModelForCausalLM, Qwen2Config

    from training.data import Sample
    from training.modeling import CausalLMLoss
    from training.packing import pack, pad

    dtype = torch.bfloat16 if attn == "flash_attention_2" else torch.float32
    config = Qwen2Config(vocab_size=4096, hidden_size=256, intermediate_size=688, num_hidden_layers=4,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=8192, use_cache=False)
    torch.manual_seed(0)
    with device:
        model = AutoModelForCausalLM.from_config(config, dtype=dtype, attn_implementation=attn)
    module = CausalLMLoss(model, chunk_tokens=512)
    g = torch.Generator().manual_seed(1)
    samples = []
    for n in lengths:
        ids = torch.randint(3, config.vocab_size, (n,), generator=g).tolist()
        samples.append(Sample(ids, [-100] * (n // 5) + ids[n // 5 :]))
    targets = sum(s.targets for s in samples)

    def run(batches):
        module.zero_grad()
        total = sum(module(b.input_ids.to(device), b.position_ids.to(device), b.targets.to(device),
                           None if b.attention_mask is None else b.attention_mask.to(device), scale=1 / targets)
                    for b in batches)
        total.backward()
        return total.item(), {n: p.grad.float().clone() for n, p in module.named_parameters()}

    packed_rows = pack(samples, sum(lengths))
    loss_p, grads_p = run(packed_rows)
    loss_1, grads_1 = run(pad(samples, 1, pad_id=0))
    worst = max(((grads_p[n] - grads_1[n]).norm() / grads_1[n].norm().clamp_min(1e-12)).item() for n in grads_p)
    tolerance = 2e-2 if dtype == torch.bfloat16 else 1e-4
    rel_loss = abs(loss_p - loss_1) / abs(loss_1)
    return {"check": "packed_vs_per_sample", "attn": attn, "device": str(device), "dtype": str(dtype).removeprefix("torch."),
            "rows": len(packed_rows), "samples": len(samples), "loss_packed": loss_p, "loss_per_sample": loss_1,
            "rel_loss_diff": rel_loss, "worst_rel_grad_diff": worst, "ok": rel_loss < tolerance and worst < tolerance * 10}


def main() -> None:
    import importlib.util

    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attn", nargs="+", default=None, help="default: flex_attention sdpa [flash_attention_2]")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--lengths", nargs="+", type=int, default=LENGTHS)
    args = parser.parse_args()
    device = torch.device(args.device)
    paths = args.attn or (["flex_attention", "sdpa"] + (["flash_attention_2"] if importlib.util.find_spec("flash_attn") else []))
    failed = False
    for attn in paths:
        try:
            result = check(attn, device, args.lengths)
        except Exception as err:  # noqa: BLE001 - one path failing is a result line, not the end of the check
            result = {"check": "packed_vs_per_sample", "attn": attn, "device": str(device), "ok": False,
                      "error": f"{type(err).__name__}: {err}"[:300]}
        failed |= not result["ok"]
        print(json.dumps(result), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
