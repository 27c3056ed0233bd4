"""`evalkit train` / `evalkit merge` from the command line, single process and under torchrun (FSDP2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Shared flags: the tiny CPU recipe on 8 Minerva traces, 2 steps."""
    return ["--set", "max_steps=2", "--set", "data.limit=8", "--set", "data.system_prompt=null",
            "--set", "max_length=256", "--set", "save_every=0", "--set", "lr=2e-3"]


def losses(out: Path) -> list[float]:
    return [json.loads(line)["loss"] for line in (out / "metrics.jsonl").read_text().splitlines()]


def test_train_and_merge_from_the_command_line(cli, small, tmp_path):
    out = tmp_path / "run"
    result = cli("train", "tiny-cpu", "--output", out, *small)
    assert result.returncode == 0, (result.stdout + result.stderr)[-2000:]
    assert "truncated" in result.stdout and (out / "adapter" / "adapter_config.json").is_file()
    assert result.stdout.index("memory plan per GPU") < result.stdout.index("loss ")  # printed before step 1
    assert len(losses(out)) == 2
    again = cli("train", "tiny-cpu", "-o", out, *small)
    assert again.returncode == 2 and "--resume" in again.stderr  # never overwrites
    merged = cli("merge", out / "adapter", "-o", tmp_path / "m")
    assert merged.returncode == 0, (merged.stdout + merged.stderr)[-2000:]
    assert (tmp_path / "m" / "config.json").is_file() and (tmp_path / "m" / "tokenizer_config.json").is_file()
    # FSDP2 over two processes (gloo on CPU) computes the same losses from the same base model.
    fsdp = tmp_path / "fsdp"
    proc = cli.process("train", "tiny-cpu", "--output", fsdp, *small, "--set", f"model={out / 'tiny-base'}",
                       "--set", "distributed=fsdp", nproc=2)
    assert proc.returncode == 0, proc.stderr[-3000:]
    first, second = losses(fsdp), losses(out)
    assert first[0] == pytest.approx(second[0], rel=1e-5)  # same weights, same global batch: same loss
    # After one update only float rounding differs, but Adam's first step is ~lr*sign(grad), which turns
    # rounding noise on near-zero gradient entries into full-size updates: close, not bit-equal.
    assert first[1] == pytest.approx(second[1], rel=1e-2) and first[1] < first[0]


@pytest.mark.parametrize(("args", "message"), [
    (["train", "tiny-cpu", "--set", "lora.rnak=8"], "unknown recipe key lora.'rnak'"),
    (["train", "tiny-cpu", "--set", "lr=fast"], "recipe key 'lr' must be a number"),
    (["train", "no-such-recipe"], "recipe no-such-recipe not found"),
    (["train", "tiny-cpu", "--data", "{tmp}/missing.jsonl", "--output", "{tmp}/o"], "missing.jsonl does not exist"),
    (["merge", "{tmp}", "--out", "{tmp}/m"], "no adapter_config.json"),
    (["train", "tiny-cpu", "--set", "gpu_memory_gb=0.5", "--output", "{tmp}/o"], "per GPU but each has 0.5 GiB"),
    (["train", "tiny-cpu", "--set", "method=full", "--set", "precision=bf16"], "precision: bf16-mixed"),
])
def test_bad_input_is_one_sentence(cli, args, message, tmp_path):
    """The CLI's main() prints these EvalkitErrors as one red line and exits 2."""
    result = cli(*[a.format(tmp=tmp_path) for a in args])
    last = result.stderr.splitlines()[-1]  # after any progress the model build printed
    assert result.returncode == 2 and last.startswith("error: ") and message in last, result.stderr


def test_full_fsdp_exports_sharded_bf16_and_resumes_on_another_world_size(cli, small, tmp_path):
    """Full fine-tuning under FSDP2 on 2 ranks: sharded checkpoints every step, the final model streamed
    into several bf16 safetensors files; then the step-2 checkpoint resumed by one process continues
    the same run (DCP reshards; data order depends on the step only)."""
    import shutil

    import torch
    from transformers import AutoModelForCausalLM

    from training.tiny import build_tiny_model

    base = build_tiny_model(tmp_path / "base")
    flags = [*small, "--set", f"model={base}", "--set", "method=full", "--set", "precision=fp32", "--set", "max_steps=3",
             "--set", "save_every=1", "--set", "keep_checkpoints=3", "--set", "export_shard_gb=0.0001", "--set", "lr=1e-3"]
    two = tmp_path / "two"
    proc = cli.process("train", "tiny-cpu", "--output", two, *flags, "--set", "distributed=fsdp", nproc=2)
    assert proc.returncode == 0, proc.stderr[-3000:]
    model_dir = two / "model"
    files = sorted(p.name for p in model_dir.glob("*.safetensors"))
    assert len(files) > 1 and (model_dir / "model.safetensors.index.json").is_file(), files
    config = json.loads((model_dir / "config.json").read_text())
    assert config["dtype"] == "bfloat16" and config["architectures"] == ["Qwen2ForCausalLM"]
    exported = AutoModelForCausalLM.from_pretrained(str(model_dir))
    assert next(exported.parameters()).dtype == torch.bfloat16

    one = tmp_path / "one"
    shutil.copytree(two, one, ignore=shutil.ignore_patterns("checkpoint-3", "model"))
    with pytest.warns(UserWarning, match="processes, resuming on 1"):  # in this process: one rank
        result = cli("train", "tiny-cpu", "--output", one, *flags, "--resume")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "resumed from" in result.stdout
    assert losses(one)[:2] == losses(two)[:2] and losses(one)[2] == pytest.approx(losses(two)[2], rel=1e-4)
    resumed = AutoModelForCausalLM.from_pretrained(str(one / "model"))
    for (name, a), b in zip(exported.state_dict().items(), resumed.state_dict().values(), strict=True):
        torch.testing.assert_close(a.float(), b.float(), rtol=2e-2, atol=2e-3, msg=name)
