"""The trainer at scale, checked on CPU: FSDP2 shards from the first byte, the memory plan of the paper's
recipes, precision rules, exact resume after a mid-step Ctrl-C, attention selection."""

from __future__ import annotations

import math
import os
import signal

import pytest
import torch
from training_ranks import on_ranks

from evalkit.errors import EvalkitError
from training import memory_plan
from training.config import DataConfig, LoraConfig, Recipe, load_recipe

# Public config.json values of Qwen/Qwen2.5-7B-Instruct and Qwen/Qwen2.5-32B-Instruct.
QWEN25_7B = memory_plan.Shape(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28,
                              num_attention_heads=28, num_key_value_heads=4, vocab_size=152064)
QWEN25_32B = memory_plan.Shape(hidden_size=5120, intermediate_size=27648, num_hidden_layers=64,
                               num_attention_heads=40, num_key_value_heads=8, vocab_size=152064)
GPU_80GB = 79.1 * 2**30  # what an 80 GB H100 reports as total memory


def recipe_plan(name: str, shape, world: int, gpu=GPU_80GB, **overrides):
    recipe = load_recipe(name, [f"{k}={v}" for k, v in overrides.items()])
    return memory_plan.for_recipe(recipe, shape, world, sharded=recipe.distributed == "fsdp", gpu_bytes=gpu,
                                  attention="flex_attention")


def test_the_plan_counts_the_published_parameter_numbers():
    assert QWEN25_7B.parameters() == pytest.approx(7.62e9, rel=0.01)
    assert QWEN25_32B.parameters() == pytest.approx(32.76e9, rel=0.01)


@pytest.mark.parametrize("name", ["sky-t1-32b-full", "sky-t1-32b-lora"])
def test_both_32b_recipes_fit_eight_80gb_gpus(name):
    p = recipe_plan(name, QWEN25_32B, world=8)
    assert p.fits, p.table()
    memory_plan.check(p, name)
    assert "activations at 16,384 tokens" in p.table()


def test_a_plan_that_does_not_fit_is_a_one_sentence_error():
    p = recipe_plan("sky-t1-32b-full", QWEN25_32B, world=8, offload="none")
    assert not p.fits  # fp32 master weights + AdamW = 16 bytes/param: 61 GiB per GPU before activations
    with pytest.raises(EvalkitError, match="offload=cpu"):
        memory_plan.check(p, "sky-t1-32b-full")
    assert not recipe_plan("sky-t1-32b-lora", QWEN25_32B, world=1).fits  # 61 GiB of bf16 base + 16k activations


def test_7b_lora_r64_at_32k_fits_one_80gb_gpu():
    p = recipe_plan("qwen2.5-7b-lora", QWEN25_7B, world=1, max_length=32768)
    assert p.fits, p.table()


def test_full_fine_tuning_in_pure_bf16_is_refused():
    with pytest.raises(EvalkitError, match="bf16-mixed"):
        load_recipe("sky-t1-32b-full", ["precision=bf16"])
    from training.modeling import master_dtype

    assert master_dtype(load_recipe("sky-t1-32b-full")) == torch.float32  # fp32 master weights
    assert master_dtype(load_recipe("sky-t1-32b-lora")) == torch.bfloat16  # frozen bf16 base


def test_attention_auto_picks_flex_on_gpu_flash_when_importable_sdpa_on_cpu(monkeypatch):
    import importlib.util

    from training.modeling import attention_for

    recipe = load_recipe("sky-t1-32b-lora", ["attn_implementation=auto"])
    assert attention_for(recipe, torch.device("cpu")) == "sdpa"
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "flash_attn" else real(name, *a))
    assert attention_for(recipe, torch.device("cuda")) == "flex_attention"
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object() if name == "flash_attn" else real(name, *a))
    assert attention_for(recipe, torch.device("cuda")) == "flash_attention_2"
    with pytest.warns(UserWarning, match="dense"):
        attention_for(load_recipe("sky-t1-32b-lora", ["attn_implementation=sdpa"]), torch.device("cuda"))


def test_ctrl_c_during_the_optimizer_update_is_held_until_the_step_is_complete():
    from training.loop import step_boundary

    done = []
    # as in a terminal: a test run started in the background inherits SIGINT ignored, and then there is no Ctrl-C to hold
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt), step_boundary():
            os.kill(os.getpid(), signal.SIGINT)
            done.append("rest of the update")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert done == ["rest of the update"]


def test_lora_adapters_see_bf16_inputs_under_autocast(tiny_base):
    """No fp32 copy of each adapter's input (PEFT's default cast) when autocast computes in bf16."""
    from training.modeling import keep_adapter_inputs_bf16, load_model

    recipe = Recipe(model=str(tiny_base), method="lora", precision="bf16", data=DataConfig(path="unused"),
                    lora=LoraConfig(rank=4, alpha=8, dropout=0.0), gradient_checkpointing=False)
    model = load_model(recipe, str(tiny_base), "sdpa")
    keep_adapter_inputs_bf16(model)
    seen = set()
    for name, module in model.named_modules():
        if name.endswith("lora_A.default"):
            module.register_forward_pre_hook(lambda _, args: seen.add(args[0].dtype))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        model(torch.tensor([[1, 2, 3, 4]])).logits.float().sum().backward()
    assert seen == {torch.bfloat16}


def fsdp_checks(rank: int, world: int, model_dir: str) -> dict:
    return {method: fsdp_check(rank, world, model_dir, method) for method in ("full", "lora")}


def fsdp_check(rank: int, world: int, model_dir: str, method: str) -> dict:
    """On one rank: build with FSDP2, then report what it holds and how gradients are kept."""
    from safetensors.torch import load_file

    from training.data import Sample
    from training.loop import accumulate
    from training.packing import StepPlan, pack
    from training.sharding import build_fsdp, hf_key

    recipe = Recipe(model=model_dir, method=method, precision="fp32", data=DataConfig(path="unused"),
                    lora=LoraConfig(rank=4, alpha=8, dropout=0.0), loss_chunk_tokens=16, seed=3)
    _, module = build_fsdp(recipe, model_dir, torch.device("cpu"), rank, world, "sdpa")
    local = sum(p.to_local().numel() for p in module.parameters())
    full = sum(p.numel() for p in module.parameters())
    original = load_file(os.path.join(model_dir, "model.safetensors"))
    mismatched = [n for n, p in module.named_parameters()
                  if ".lora_" not in n and not torch.equal(p.full_tensor(), original[hf_key(n)])]
    adapters = {n: p.full_tensor().tolist() for n, p in module.named_parameters() if ".lora_A." in n}

    # Two micro-batches: at the second forward, the first one's gradient must already be reduce-scattered
    # into the sharded .grad (not held whole on every rank until the last micro-batch).
    g = torch.Generator().manual_seed(rank)
    samples = [Sample(ids, [-100] * 4 + ids[4:]) for ids in torch.randint(3, 200, (2, 24), generator=g).tolist()]
    rows = pack(samples, pack_length=24)
    seen = []

    def check_grads(*_):
        if not seen and any(p.grad is not None for p in module.parameters()):
            seen.append([p.grad is not None and p.grad.to_local().shape == p.to_local().shape
                         for p in module.parameters() if p.requires_grad])

    hook = module.register_forward_pre_hook(check_grads, prepend=True)  # before FSDP's own unshard
    plan = StepPlan(rows, targets=sum(s.targets for s in samples) * world, tokens=48 * world, lengths=[24] * 2 * world)
    accumulate(module, plan, world, torch.device("cpu"), torch.autocast("cpu", enabled=False))
    hook.remove()
    optimizer = torch.optim.AdamW([p for p in module.parameters() if p.requires_grad], lr=1e-3)
    optimizer.step()
    state_local = sum(s["exp_avg"].to_local().numel() for s in optimizer.state.values())
    trainable_full = sum(p.numel() for p in module.parameters() if p.requires_grad)
    return {"local": local, "full": full, "mismatched": mismatched, "adapters": adapters,
            "grads_sharded_before_last": seen[0] if seen else None, "state_local": state_local,
            "trainable_full": trainable_full}


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory):
    from training.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "base", seed=0)


@pytest.fixture(scope="module")
def fsdp_results(tiny_base, tmp_path_factory):
    return on_ranks(fsdp_checks, 2, tmp_path_factory.mktemp("ranks"), str(tiny_base))


@pytest.mark.parametrize("method", ["full", "lora"])
def test_fsdp_ranks_hold_only_their_shard_and_reduce_scatter_every_micro_batch(fsdp_results, method):
    results = [r[method] for r in fsdp_results]
    for r in results:
        assert r["local"] <= 0.5 * r["full"] + 64  # no rank materialises the whole model
        assert r["mismatched"] == []  # each shard was read from the right rows of the safetensors file
        assert r["grads_sharded_before_last"] and all(r["grads_sharded_before_last"])
        assert r["state_local"] <= 0.5 * 2 * r["trainable_full"] + 64  # AdamW state (exp_avg) for the shard only
    if method == "lora":
        assert results[0]["adapters"] and results[0]["adapters"] == results[1]["adapters"]
        g = torch.Generator().manual_seed(3)
        for name, value in results[0]["adapters"].items():  # rank 0's draw, PEFT's Kaiming-uniform init
            expected = torch.empty(len(value), len(value[0]))
            torch.nn.init.kaiming_uniform_(expected, a=math.sqrt(5), generator=g)
            torch.testing.assert_close(torch.tensor(value), expected, msg=name)


def interrupted_on_rank0(rank: int, world: int, base: str, out: str) -> dict:
    """Ctrl-C reaches rank 0 only, after step 2: every rank must stop at that boundary and checkpoint."""
    from training.loop import train

    recipe = load_recipe("tiny-cpu", ["max_steps=4", "data.limit=8", "data.system_prompt=null", "max_length=256",
                                      "save_every=0", "distributed=fsdp"], {"model": base, "output_dir": out})

    def on_step(step, record):
        if step == 2 and rank == 0:
            os.kill(os.getpid(), signal.SIGINT)

    try:
        train(recipe, on_step=on_step)
    except KeyboardInterrupt:
        return {"interrupted": True}
    return {"interrupted": False}


def test_ctrl_c_on_one_rank_stops_every_rank_at_the_same_step_boundary(tiny_base, tmp_path):
    out = tmp_path / "run"
    results = on_ranks(interrupted_on_rank0, 2, tmp_path, str(tiny_base), str(out))
    assert results == [{"interrupted": True}, {"interrupted": True}]
    assert [p.name for p in out.glob("checkpoint-*")] == ["checkpoint-2"]
    assert (out / "checkpoint-2" / "trainer_state.json").is_file()
    assert sorted(p.name for p in (out / "checkpoint-2").glob("rng-rank*.pt")) == ["rng-rank0.pt", "rng-rank1.pt"]
