"""Presets resolve per task as documented; the generation store and its keys behave for resume."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evalkit.cli import app
from evalkit.errors import EvalkitError
from evalkit.generate import presets
from evalkit.generate.cache import GenerationStore, request_key

REPO = Path(__file__).resolve().parents[1]


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


def test_sky_t1_preset_carries_the_system_prompt():
    p = presets.load("sky-t1")
    assert p["apply_chat_template"] is True
    assert "<|begin_of_thought|>" in p["system_prompt"] and "<|end_of_solution|>" in p["system_prompt"]


def test_bad_preset_and_settings_are_user_errors():
    with pytest.raises(EvalkitError, match="unknown --preset"):
        presets.load("nope")
    with pytest.raises(EvalkitError, match="invalid settings"):
        presets.resolve(presets.load("greedy"), "t", {"n": 0})


def test_list_presets_cli():
    result = CliRunner().invoke(app, ["eval", "--list-presets"], terminal_width=200)
    assert result.exit_code == 0
    for name in ("sky-t1", "greedy", "sampling"):
        assert name in result.output


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
    [([], "--model"), (["--top-p", "0"], "--top-p")],
)
def test_bad_model_or_flag_is_one_sentence_and_creates_no_run_dir(tmp_path, extra, flag):
    env = os.environ | {"PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-m", "evalkit", "eval", "--model", "/nonexistent", "--tasks",
                             "evalkit_amc23", "--quiet", *extra], check=False, cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr[-2000:]
    assert flag in result.stderr + result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "runs").exists()
