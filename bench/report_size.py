"""Size and speed of `evalkit report` at 675 problems x 8 samples x 3 runs (or --problems/--samples/--runs).

    PYTHONPATH=. python bench/report_size.py [--problems 675] [--samples 8] [--runs 3] [--chars 6000]

Writes synthetic runs in lm-eval's layout (responses cut from the published Qwen2.5-7B MATH-500 outputs
in ../shared/grader when present, lengths log-normal around --chars), builds the report through the
same code as `evalkit report`, and loads it in headless Chromium: time until the page has unpacked its
data and drawn the grid, time to show a problem's detail after a click, and time to apply a filter.
Timings depend on the machine's load: the script prints `uptime` beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from evalkit.report import page, payload, source
from evalkit.report.browser import Browser, find_chromium
from evalkit.rundir import sample_row, write_lmeval_run

PUBLIC = "grader/generations_public_qwen2.5-7b-instruct_math500.jsonl"


def corpus(shared: Path) -> str:
    path = shared / PUBLIC
    if path.is_file():
        return "\n\n".join(json.loads(line)["output"] for line in path.read_text(encoding="utf-8").splitlines())
    rng = np.random.default_rng(0)
    words = ["we", "have", "so", "the", "sum", "is", "let", "then", "\\frac{1}{2}", "x^2", "=", "+", "therefore"]
    return " ".join(rng.choice(words, size=400_000))


def make_runs(root: Path, problems: int, samples: int, runs: int, chars: int, text: str) -> list[Path]:
    rng = np.random.default_rng(1)
    ease = rng.beta(1.5, 1.0, size=problems)
    gen = {"temperature": 0.7, "max_gen_toks": 32768, "do_sample": True}
    paths = []
    for r in range(runs):
        rows = []
        for i in range(problems):
            doc = {"unique_id": f"test/p{i}.json", "problem": f"Problem {i}: " + text[i * 97 % 50000:][:300], "answer": str(i)}
            outs, verdicts = [], []
            for _ in range(samples):
                length = int(min(rng.lognormal(np.log(chars), 0.6), 60_000))
                start = int(rng.integers(0, max(1, len(text) - length)))
                ok = bool(rng.random() < ease[i])
                answer = None if rng.random() < 0.03 else (str(i) if ok else str(i + 1))
                outs.append(text[start:start + length] + f"\n\\boxed{{{answer}}}")
                verdicts.append(json.dumps({"correct": ok and answer is not None, "extracted": answer,
                                            "reason": "normalised strings equal" if ok else "different numbers",
                                            "tokens": length // 4}))
            score = sum(json.loads(v)["correct"] for v in verdicts) / samples
            rows.append(sample_row(i, doc, doc["problem"], doc["answer"], gen, outs, verdicts, "score", {"avg@n": score}))
        results = {"results": {"evalkit_math500": {"alias": "evalkit_math500", "avg@n,score": 0.0}},
                   "configs": {"evalkit_math500": {"task": "evalkit_math500", "repeats": samples, "generation_kwargs": gen}},
                   "versions": {"evalkit_math500": 1.0}, "n-shot": {"evalkit_math500": 0},
                   "config": {"model": "vllm", "model_args": f"pretrained=org/model-{r}"}}
        out = root / f"run{r}"
        write_lmeval_run(out, f"pretrained=org/model-{r}", results, {"evalkit_math500": rows}, model_source="vllm")
        paths.append(out)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=675)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chars", type=int, default=6000, help="median response length in characters")
    parser.add_argument("--max-chars", type=int, default=payload.DEFAULT_MAX_CHARS, help="as `evalkit report --max-chars`")
    parser.add_argument("--keep", type=Path, help="also copy the report here")
    args = parser.parse_args()
    shared = Path(os.environ.get("EVALKIT_SHARED_DIR", Path(__file__).resolve().parents[1] / ".." / "shared"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        paths = make_runs(root, args.problems, args.samples, args.runs, args.chars, corpus(shared))
        raw = sum(f.stat().st_size for p in paths for f in p.rglob("samples_*.jsonl"))
        t1 = time.perf_counter()
        data = payload.build([source.read_run(p) for p in paths], max_chars=args.max_chars)
        out = root / "report.html"
        size = page.write(data, out)
        t2 = time.perf_counter()
        print(f"{args.problems} problems x {args.samples} samples x {args.runs} runs; samples files {raw / 1e6:.1f} MB "
              f"(written in {t1 - t0:.0f} s)")
        print(f"report: {size / 1e6:.1f} MB, built in {t2 - t1:.1f} s (--max-chars {args.max_chars})")
        if args.keep:
            args.keep.write_bytes(out.read_bytes())
        if find_chromium() is None:
            print("chromium/chromedriver not installed: no load time")
            return
        with Browser() as browser:
            start = time.perf_counter()
            browser.open(out)
            browser.wait_for("return document.body.dataset.ready")
            opened = time.perf_counter() - start
            ready_ms = browser.js("return window.__reportReadyMs")
            details_ms = browser.wait_for("return window.__detailsReadyMs")
            start = time.perf_counter()
            browser.click(f'#grid tr.row[data-problem="{args.problems // 2}"]')
            browser.wait_for(f"return document.getElementById('detail').dataset.problem === '{args.problems // 2}'")
            click = time.perf_counter() - start
            start = time.perf_counter()
            browser.js("const f = document.getElementById('filter'); f.value = 'flipped'; f.onchange();")
            rows = browser.js("return document.querySelectorAll('#grid tr.row').length")
            filt = time.perf_counter() - start
        print(f"load: scores and grid drawn {ready_ms / 1000:.2f} s after navigation start, responses unpacked at "
              f"{details_ms / 1000:.2f} s ({opened:.2f} s wall until chromedriver saw the page ready); "
              f"click -> detail {click:.2f} s; filter 'flipped' ({rows} rows) {filt:.2f} s")
    print("uptime:", subprocess.run(["uptime"], check=False, capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
