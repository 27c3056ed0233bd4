"""`evalkit eval` end to end on a tiny random Qwen2 with the hf backend: resume after SIGKILL,
fresh generations on a changed setting, and DP=2 equal to DP=1."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from evalkit.data import resolve_data_dir
from evalkit.evaluate import EvalConfig, run_eval
from evalkit.generate import BackendSpec, presets
from evalkit.tiny_model import build_tiny_eval_model
from tests.support import TASKS

TOTAL = 12  # 6 fixture problems x n=2


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    # the small trained tokenizer: sampling over Qwen's 151k vocabulary would dominate these tests' time
    return build_tiny_eval_model(tmp_path_factory.mktemp("tiny") / "model")


def _config(model: Path, out: Path, preset: str = "greedy", dp: int = 1, **kw) -> EvalConfig:
    """What `evalkit eval --backend hf --preset P --n 2 --max-tokens 12 ...` builds (flags in `kw` override)."""
    flags = {"n": 2, "max_tokens": 12} | {k: kw.pop(k) for k in ("n", "temperature", "max_tokens") if k in kw}
    base = {"tasks": "evalkit_selftest", "include_path": [TASKS], "chunk_size": 1, "quiet": True}
    return EvalConfig(spec=BackendSpec(backend="hf", model=str(model), dp=dp), output=out,
                      preset=presets.apply(preset, flags), **(base | kw))


def _cli_args(model: Path, out: Path) -> list[str]:
    return ["eval", "--model", str(model), "--tasks", "evalkit_selftest",
            "--backend", "hf", "--preset", "greedy", "--n", "2", "--max-tokens", "12", "--chunk-size", "1",
            "--include-path", str(TASKS), "--output", str(out), "--quiet"]


def _samples(run_dir: Path) -> list[dict]:
    (path,) = sorted(run_dir.glob("samples_evalkit_selftest_*.jsonl"))
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return [{k: r[k] for k in ("doc_id", "arguments", "resps", "filtered_resps", "contains_answer", "mean_chars")}
            for r in rows]


def _metrics(run_dir: Path) -> dict:
    (path,) = sorted(run_dir.glob("results_*.json"))
    return json.loads(path.read_text())["results"]


def _lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text().splitlines() if x.endswith("}")]


@pytest.fixture(scope="module")
def reference(tiny_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref")
    inv = run_eval(_config(tiny_model, out))
    assert inv["generation"] == inv["generation"] | {"requests": TOTAL, "generated": TOTAL, "reused": 0}
    return out


def test_resume_after_sigkill_generates_only_the_missing(cli, tiny_model, reference, tmp_path):
    out = tmp_path / "run"
    proc = cli.spawn(*_cli_args(tiny_model, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = out / "generations.jsonl"
    deadline = time.time() + 240
    while len(_lines(store)) < 3 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = len(_lines(store))
    assert 3 <= done_before < TOTAL, f"the kill came too late to test resume ({done_before} done)"
    assert not list(out.glob("results_*.json"))

    result = cli(*_cli_args(tiny_model, out))  # only the killed run needs a process of its own
    assert result.returncode == 0, result.stderr[-2000:]
    manifest = json.loads((out / "manifest.json").read_text())
    gen = manifest["invocations"][-1]["generation"]
    # the backend was asked only for what was missing, and nothing was generated twice
    assert gen["reused"] == done_before
    assert gen["generated"] == TOTAL - done_before
    keys = [r["key"] for r in _lines(store)]
    assert len(keys) == len(set(keys)) == TOTAL
    assert manifest["invocations"][0]["status"] == "interrupted"  # the killed one, marked so by the next run
    assert _samples(out) == _samples(reference)
    assert _metrics(out) == _metrics(reference)


def test_changed_setting_generates_fresh_and_manifest_keeps_both(tiny_model, reference, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(reference, out)  # the first invocation: everything generated (the fixture checks it)
    again = run_eval(_config(tiny_model, out, chunk_size=16))
    changed = run_eval(_config(tiny_model, out, chunk_size=16, max_tokens=5))
    assert again["generation"]["generated"] == 0 and again["generation"]["reused"] == TOTAL
    assert changed["generation"]["generated"] == TOTAL and changed["generation"]["reused"] == 0
    manifest = json.loads((out / "manifest.json").read_text())
    recorded = [inv["task_settings"]["evalkit_selftest"]["settings"]["max_tokens"] for inv in manifest["invocations"]]
    assert recorded == [12, 12, 5]
    assert len(list(out.glob("results_*.json"))) == 3


def test_data_parallel_two_replicas_match_one(tiny_model, reference, tmp_path):
    inv = run_eval(_config(tiny_model, tmp_path / "dp2", dp=2, chunk_size=3))
    assert inv["generation"]["backend_calls"] == TOTAL // 3
    assert _samples(tmp_path / "dp2") == _samples(reference)
    assert _metrics(tmp_path / "dp2") == _metrics(reference)
    manifest = json.loads((tmp_path / "dp2" / "manifest.json").read_text())
    assert manifest["dp"] == 2


def test_sampled_hf_outputs_do_not_depend_on_batching(tiny_model, tmp_path):
    """A resumed sampled run must equal an uninterrupted one, so no output may depend on its batch."""
    sampled = {"preset": "sampling", "temperature": 1.0}
    one = run_eval(_config(tiny_model, tmp_path / "one", chunk_size=1, **sampled))
    many = run_eval(_config(tiny_model, tmp_path / "many", chunk_size=TOTAL, **sampled))
    assert one["generation"]["backend_calls"] == TOTAL and many["generation"]["backend_calls"] == 1
    outputs = [r["resps"] for r in _samples(tmp_path / "one")]
    assert outputs == [r["resps"] for r in _samples(tmp_path / "many")]
    repeats = [r[0] for r in outputs]  # lm-eval keeps a document's n repeats together: resps == [[s1, s2]]
    assert all(len(r) == 2 for r in repeats) and any(r[0] != r[1] for r in repeats), outputs[:2]


def _amc23_results(run_dir: Path, rescored: bool = False) -> dict:
    """The evalkit_amc23 metrics of the newest results file written by `eval` (or by `score`)."""
    files = [json.loads(p.read_text()) for p in sorted(run_dir.glob("results_*.json"))]
    return [f for f in files if bool(f.get("rescored")) == rescored][-1]["results"]["evalkit_amc23"]


def test_weights_retrained_in_place_are_generated_afresh_and_tokens_counted(cli, tmp_path, monkeypatch):
    from evalkit.tiny_model import build_tiny_qwen2

    model, out = build_tiny_qwen2(tmp_path / "model", seed=0), tmp_path / "run"
    spec = BackendSpec(backend="hf", model=str(model))
    cfg = EvalConfig(spec=spec, output=out, tasks="evalkit_amc23", preset=presets.apply("greedy", {"max_tokens": 8}),
                     limit=2, data_dir=resolve_data_dir(None), quiet=True)
    first = run_eval(cfg)
    assert first["generation"]["generated"] == 2
    assert 0 < _amc23_results(out)["mean_output_tokens,score"] <= 8  # the backend's count, within --max-tokens
    resumed = run_eval(cfg)
    assert resumed["generation"]["generated"] == 0 and resumed["generation"]["reused"] == 2

    build_tiny_qwen2(model, seed=1)  # same path, different weights
    again = run_eval(cfg)
    assert again["generation"]["generated"] == 2 and again["generation"]["reused"] == 0

    monkeypatch.delenv("EVALKIT_TOKENIZER", raising=False)  # score must find the tokenizer from the run
    result = cli("score", out, "--workers", "1", "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "mean_output_tokens,score" in _amc23_results(out, rescored=True)
