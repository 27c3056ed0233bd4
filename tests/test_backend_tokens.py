"""Output tokens come from the backend: transformers' generated ids, an OpenAI-compatible server's usage,
vLLM's RequestOutput token ids; lm-eval's stop-sequence cut never changes the count."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

import pytest

from evalkit.generate import BackendSpec
from evalkit.generate.backends import build_lm, generate
from evalkit.generate.token_counts import listening


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from evalkit.tiny_model import build_tiny_qwen2

    return build_tiny_qwen2(tmp_path_factory.mktemp("tiny") / "model", seed=0)


def test_hf_counts_are_the_generated_ids_within_max_tokens(tiny_model):
    lm = build_lm(BackendSpec(backend="hf", model=str(tiny_model), extra={"batch_size": 2}))
    outputs = generate(lm, [("What is 1 + 1?", {"max_gen_toks": 8, "until": ["\n\n\n"], "do_sample": False}),
                            ("Name a prime.", {"max_gen_toks": 5, "until": ["\n\n\n"], "do_sample": False})], "hf")
    assert [type(o).__name__ for o in outputs] == ["Generation", "Generation"]
    assert 0 < outputs[0].output_tokens <= 8 and 0 < outputs[1].output_tokens <= 5
    assert not hasattr(vars(lm), "_model_generate") and "_model_generate" not in vars(lm)  # the hook is gone


class _Completions(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompts = body["prompt"] if isinstance(body["prompt"], list) else [body["prompt"]]
        stop = (body.get("stop") or ["\0"])[0]  # a server stops at the stop sequence, as vLLM's does
        reply = {"choices": [{"index": i, "text": f" answer {i} STOP tail".split(stop)[0]} for i in range(len(prompts))],
                 "usage": {"completion_tokens": 11 * len(prompts)}}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_openai_counts_come_from_usage(qwen_tokenizer_dir):
    server = HTTPServer(("127.0.0.1", 0), _Completions)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        spec = BackendSpec(backend="openai", model="served", base_url=f"http://127.0.0.1:{server.server_port}/v1",
                           tokenizer=str(qwen_tokenizer_dir), concurrency=1, max_retries=1)
        lm = build_lm(spec)
        outputs = generate(lm, [("2+2=", {"max_gen_toks": 16, "until": ["STOP"]})], "openai")
    finally:
        server.shutdown()
    assert outputs == [" answer 0 "] and outputs[0].output_tokens == 11  # the server's count, not a re-tokenising


class _FakeVLLM:
    """The shape of lm-eval's VLLM.generate_until: `_model_generate` returns RequestOutputs in its own
    order, the texts come back stop-cut and reordered."""

    def _model_generate(self, requests, **kwargs):
        return [SimpleNamespace(outputs=[SimpleNamespace(text=f"{r} and more STOP junk", token_ids=[0] * (3 + i))])
                for i, r in enumerate(requests)]

    def generate_until(self, requests):
        outputs = self._model_generate(list(reversed(requests)))
        return list(reversed([o.outputs[0].text.split("STOP")[0] for o in outputs]))


def test_vllm_counts_follow_their_texts_through_reordering():
    lm = _FakeVLLM()
    with listening(lm, "vllm") as listener:
        texts = lm.generate_until(["a", "b", "c"])
    outputs = listener.attach(texts)
    assert outputs == ["a and more ", "b and more ", "c and more "]
    assert [o.output_tokens for o in outputs] == [5, 4, 3]
    assert "_model_generate" not in vars(lm)


def test_an_unknown_backend_gives_no_count():
    with listening(object(), "mystery") as listener:
        pass
    assert listener.attach(["text"])[0].output_tokens is None
