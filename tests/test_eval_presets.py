"""Presets resolve per task as documented; the generation store and its keys behave for resume."""

from __future__ import annotations

import hashlib
import json

import pytest

from evalkit.errors import EvalkitError
from evalkit.generate import presets
from evalkit.generate.resume import GenerationStore, request_key


@pytest.mark.parametrize(
    ("preset", "task", "overrides", "expected"),
    [
        ("sky-t1", "evalkit_aime24", {}, (8, 0.7, 32768)),
        ("sky-t1", "evalkit_aime25_sky_t1", {}, (8, 0.7, 32768)),
        ("sky-t1", "evalkit_math500", {}, (1, 0.0, 32768)),
        ("sky-t1", "evalkit_olympiadbench", {}, (1, 0.0, 32768)),
        ("sky-t1", "evalkit_aime24", {"n": 4, "max_tokens": 1024}, (4, 0.7, 1024)),
        ("greedy", "evalkit_aime24", {}, (1, 0.0, 32768)),
        ("sampling", "evalkit_math500", {"temperature": 1.0}, (8, 1.0, 32768)),
    ],
)
def test_resolve(preset, task, overrides, expected):
    s = presets.resolve(presets.load(preset), task, overrides)
    assert (s.n, s.temperature, s.max_tokens) == expected


def test_greedy_never_sends_a_temperature_with_do_sample_false():
    greedy = presets.resolve(presets.load("greedy"), "t", {}).generation_kwargs()
    assert greedy["do_sample"] is False and greedy["temperature"] == 0.0
    sampled = presets.resolve(presets.load("greedy"), "t", {"temperature": 0.6}).generation_kwargs()
    assert sampled["do_sample"] is True and sampled["temperature"] == 0.6


# sha256 of SkyThought's Sky-T1 system prompt as its YAML parses (model_configs.yaml): '\n\n' are two real
# newlines, and it says "necessary step needed". A changed byte anywhere changes what the model is asked.
SKY_T1_SYSTEM_PROMPT_SHA256 = "c5ae4aa0b0d6fcadd6fa8977f5e55b1f2dccb7582bd05b80385e2f22650a9f8d"


def test_sky_t1_system_prompt_is_skythoughts_byte_for_byte():
    p = presets.load("sky-t1")
    assert p["apply_chat_template"] is True
    prompt = p["system_prompt"]
    assert "separated with '\n\n'}" in prompt and "\\n" not in prompt
    assert "necessary step needed" in prompt
    assert hashlib.sha256(prompt.encode()).hexdigest() == SKY_T1_SYSTEM_PROMPT_SHA256


def test_training_uses_the_evaluation_presets_sky_t1_prompt():
    from training.data import SKYT1_SYSTEM_PROMPT

    assert SKYT1_SYSTEM_PROMPT is not None and SKYT1_SYSTEM_PROMPT == presets.system_prompt("sky-t1")


def test_applied_preset_resolves_each_task_once_and_keeps_flag_choices():
    applied = presets.apply("sky-t1", {"n": 2, "temperature": None}, system_prompt="", chat_template=False)
    assert applied.system_prompt is None and applied.apply_chat_template is False
    assert applied.overrides == {"n": 2}
    assert applied.settings("evalkit_aime24") is applied.settings("evalkit_aime24")
    assert (applied.settings("evalkit_aime24").n, applied.settings("evalkit_aime24").temperature) == (2, 0.7)
    kept = presets.apply("sky-t1", {})
    assert kept.system_prompt == presets.system_prompt("sky-t1") and kept.apply_chat_template is True


def test_bad_preset_and_settings_are_user_errors():
    with pytest.raises(EvalkitError, match="unknown --preset"):
        presets.load("nope")
    with pytest.raises(EvalkitError, match="invalid settings"):
        presets.resolve(presets.load("greedy"), "t", {"n": 0})


def test_list_presets_cli(cli):
    result = cli("eval", "--list-presets")
    assert result.returncode == 0
    for name in ("sky-t1", "greedy", "sampling"):
        assert name in result.stdout


def test_key_changes_with_every_input():
    ident = {"model": "m", "revision": None, "dtype": "auto", "seed": 1}
    base = request_key(ident, "prompt", {"temperature": 0.0}, "d1", 0)
    assert base == request_key(dict(ident), "prompt", {"temperature": 0.0}, "d1", 0)
    variants = [
        request_key(ident | {"model": "m2"}, "prompt", {"temperature": 0.0}, "d1", 0),
        request_key(ident | {"revision": "abc"}, "prompt", {"temperature": 0.0}, "d1", 0),
        request_key(ident, "prompt2", {"temperature": 0.0}, "d1", 0),
        request_key(ident, "prompt", {"temperature": 0.7}, "d1", 0),
        request_key(ident, "prompt", {"temperature": 0.0}, "d2", 0),
        request_key(ident, "prompt", {"temperature": 0.0}, "d1", 1),
    ]
    assert base not in variants and len(set(variants)) == len(variants)


def test_store_drops_a_half_written_line(tmp_path):
    path = tmp_path / "generations.jsonl"
    store = GenerationStore(path)
    store.append([{"key": "a", "output": "x"}, {"key": "b", "output": "y"}])
    with open(path, "a") as fh:
        fh.write('{"key": "c", "outp')  # the process died mid-write
    store = GenerationStore(path)
    assert set(store.entries) == {"a", "b"}
    store.append([{"key": "c", "output": "z"}])
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert [r["key"] for r in lines] == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("extra", "flag"),
    [([], "--model"), (["--top-p", "0"], "--top-p"), (["--preset", "nope"], "--preset")],
)
def test_bad_model_or_flag_is_one_sentence_and_creates_no_run_dir(cli, tmp_path, monkeypatch, extra, flag):
    monkeypatch.chdir(tmp_path)
    result = cli("eval", "--model", "/nonexistent", "--tasks", "evalkit_amc23", "--quiet", *extra)
    assert result.returncode == 2, result.stderr[-2000:]
    assert flag in result.stderr + result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "runs").exists()
