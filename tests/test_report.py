"""`evalkit report`: one self-contained HTML file, checked for its data and in a real (headless) Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lmeval_fixture import make_run, problems

from evalkit.report.browser import Browser, find_chromium
from evalkit.report.page import unpack

DOCS = problems(6)
A = [[True, True], [True, False], [False, False], [True, True], [False, True], [False, False]]
B = [[True, True], [False, False], [True, True], [True, True], [False, True], [False, False]]


def _edit_sample(run: Path, doc_id: int, sample: int, **changes) -> None:
    """Rewrite one sample's verdict in a run's samples file (an extraction failure, per-test verdicts)."""
    (path,) = run.rglob("samples_*.jsonl")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    for row in rows:
        if row["doc_id"] == doc_id:
            verdict = json.loads(row["filtered_resps"][0][sample])
            verdict.update(changes)
            row["filtered_resps"][0][sample] = json.dumps(verdict)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.fixture(scope="module")
def report(cli, tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("report")
    a = make_run(tmp / "base", DOCS, A)
    b = make_run(tmp / "new", DOCS, B, model="org/model-b")
    _edit_sample(a, 2, 0, extracted=None, reason="no answer found")
    _edit_sample(b, 1, 0, tests=["AC", {"verdict": "WA", "detail": "expected 3, got 4"}])
    out = tmp / "report.html"
    result = cli("report", str(a), str(b), "-o", str(out), "--title", "two runs")
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stderr and "6 problems" in result.stderr
    return out


def _data(path: Path) -> dict:
    html = path.read_text(encoding="utf-8")
    blob = {key: unpack(re.search(rf'<script id="{key}" type="application/octet-stream">([^<]*)</script>', html).group(1))
            for key in ("data", "details")}
    return {**blob["data"], "details": blob["details"]}


def test_report_is_one_offline_file_with_every_sample(report):
    html = report.read_text(encoding="utf-8")
    assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', html), "the report must not load anything from the network"
    assert "<link" not in html
    data = _data(report)
    assert [r["label"] for r in data["runs"]] == ["base", "new"]
    (task,) = data["tasks"]
    assert len(task["problems"]) == 6
    cells = [p["cells"] for p in task["problems"]]
    assert cells[2][0]["v"] == [2, 0]  # extraction failure, then wrong
    samples, strings = data["details"]["samples"][0], data["details"]["strings"]
    assert samples[1][1][0]["tests"][1] == {"verdict": "WA", "detail": "expected 3, got 4"}
    assert samples[2][0][0]["x"] is None and samples[2][0][0]["r"] == "no answer found"
    assert all(len(run) == 2 and strings[run[0]["o"]].startswith("...") for row in samples for run in row)
    assert strings[cells[0][0]["p"]].endswith("What is 0 + 0?")
    base, new = task["scores"]
    assert base["score"] == pytest.approx(0.5) and base["n"] == 2 and base["problems"] == 6
    assert new["diff"] is not None and new["test"] == "sign-flip permutation" and new["p"] is not None
    assert task["length"]["edges"] and len(task["length"]["runs"]) == 2


def test_bad_output_path_is_a_one_sentence_error(cli, report, tmp_path):
    run = report.parent / "base"
    (tmp_path / "plain").write_text("a file where a folder must go")
    for target, words in ((tmp_path / "r.txt", "must end in .html"), (tmp_path / "plain" / "r.html", "cannot be created")):
        result = cli("report", str(run), "-o", str(target))
        assert result.returncode != 0 and words in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "r.txt").exists()


@pytest.mark.skipif(find_chromium() is None, reason="chromium and chromedriver are not installed (Debian packages "
                    "chromium, chromium-driver); .ci/run installs them")
def test_report_in_headless_chromium_click_shows_detail(report):
    with Browser(width=1400, height=900) as browser:
        browser.open(report)
        assert browser.wait_for("return document.body.dataset.ready") == "1"
        assert "base" in browser.js("return document.getElementById('scores').innerText")
        assert browser.js("return document.querySelectorAll('#grid tr.row').length") == 6
        assert browser.js("return document.querySelectorAll('#grid tr.row .cells i').length") == 6 * 2 * 2
        browser.click('#grid tr.row[data-problem="1"]')
        assert browser.wait_for("return document.getElementById('detail').dataset.problem") == "1"
        detail = browser.js("return document.getElementById('detail').innerText")
        assert "What is 1 + 1?" in detail  # the prompt
        assert "base" in detail and "new" in detail and detail.count("sample 1") == 2  # side by side
        assert "WA" in detail and "extracted" in detail
        # filters: flipped keeps the problems whose solved status differs (docs 1 and 2), wrong those with a miss
        browser.js("const f = document.getElementById('filter'); f.value = 'flipped'; f.onchange();")
        shown = browser.js("return [...document.querySelectorAll('#grid tr.row')].map(r => r.dataset.problem)")
        assert shown == ["1", "2"]
        browser.js("const f = document.getElementById('filter'); f.value = 'noanswer'; f.onchange();")
        assert browser.js("return [...document.querySelectorAll('#grid tr.row')].map(r => r.dataset.problem)") == ["2"]
