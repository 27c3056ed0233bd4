"""LiveCodeBench: fixtures in the Hub schema load, filter by date/platform/difficulty, decode private
tests without unpickling objects (a malicious pickle is refused), and the lm-eval tasks judge every
sample in the sandbox and report pass@k per difficulty."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit import data
from evalkit.data.livecodebench import LiveCodeBench
from evalkit.data.safe_pickle import UnsafePickle, decode_lcb_private
from evalkit.errors import DataError, EvalkitError
from evalkit.lmeval import scoring_progress
from evalkit.lmeval.code_task import (
    doc_to_text_lcb,
    doc_to_text_sky_t1,
    extract_code,
    judge_responses,
    load_livecodebench,
    process_results,
)
from tests.support import FIXTURES, REPO

V2 = FIXTURES / "livecodebench_v2"
PARTIAL = {"check_count": False}


def test_registered_and_shared_release_v1_loads(data_dir):
    bench = data.get("livecodebench")
    problems = bench.load(data_dir)
    assert len(problems) == bench.expected_count == 400
    assert sum(p.fn_name is not None for p in problems) == 181
    assert all(p.public_tests and not p.private_tests for p in problems)  # that copy has no private column


def test_fixture_release_loads_and_decodes_private_tests():
    problems = LiveCodeBench(release="release_v2", **PARTIAL).load(V2)
    by_id = {p.id: p for p in problems}
    assert list(by_id) == ["abc900_a", "fx1", "1900_C", "fx2"]  # test.jsonl then test2.jsonl
    assert by_id["abc900_a"].private_tests[0] == {"input": "1\n5\n", "output": "5\n", "testtype": "stdin"}
    assert len(by_id["abc900_a"].tests) == 4  # public first, then private
    assert by_id["1900_C"].private_tests[1]["output"] == "5\n"  # plain-JSON private tests work too
    assert by_id["fx1"].fn_name == "addTwo" and by_id["fx1"].starter_code.startswith("class Solution")


def test_release_v1_is_only_the_first_file():
    assert [p.id for p in LiveCodeBench(release="release_v1", **PARTIAL).load(V2)] == ["abc900_a", "fx1"]
    with pytest.raises(DataError, match="test3.jsonl"):
        LiveCodeBench(release="release_v3", **PARTIAL).load(V2)
    with pytest.raises(DataError, match="expected 511"):
        LiveCodeBench(release="release_v2").load(V2)


@pytest.mark.parametrize(("selection", "ids"), [
    ({"start_date": "2024-01-01"}, ["1900_C", "fx2"]),
    ({"end_date": "2023-09-02"}, ["abc900_a", "fx1"]),          # inclusive
    ({"start_date": "2023-07-01", "end_date": "2024-04-30"}, ["fx1", "1900_C"]),
    ({"difficulties": ("easy",)}, ["abc900_a", "fx2"]),
    ({"difficulties": ("hard",)}, ["1900_C"]),
    ({"platforms": ("leetcode",)}, ["fx1", "fx2"]),
    ({"platforms": ("atcoder",), "difficulties": ("medium",)}, []),
])
def test_filters(selection, ids):
    bench = LiveCodeBench(release="release_v2", **PARTIAL, **selection)
    assert [p.id for p in bench.load(V2)] == ids


def test_bad_selection_is_a_clear_error():
    with pytest.raises(EvalkitError, match="release_v9"):
        LiveCodeBench(release="release_v9")
    with pytest.raises(EvalkitError, match="difficulty"):
        LiveCodeBench(difficulties=("trivial",))
    with pytest.raises(EvalkitError, match="date"):
        LiveCodeBench(start_date="last week")


def test_malicious_pickle_is_rejected_and_never_runs(tmp_path):
    marker = Path("/tmp/EVALKIT_LCB_PICKLE_RAN")
    marker.unlink(missing_ok=True)
    with pytest.raises(DataError, match=r"test.jsonl:1: private_test_cases rejected: .*posix.system|os.system"):
        LiveCodeBench(**PARTIAL).load(FIXTURES / "livecodebench_malicious")
    assert not marker.exists()


def test_only_plain_strings_come_out_of_a_pickle():
    import base64
    import pickle
    import zlib

    enc = lambda obj: base64.b64encode(zlib.compress(pickle.dumps(obj))).decode()
    assert decode_lcb_private(enc('[{"input": "1", "output": "2"}]')) == '[{"input": "1", "output": "2"}]'
    with pytest.raises(UnsafePickle, match="only plain strings"):
        decode_lcb_private(enc(["a", "list"]))
    with pytest.raises(UnsafePickle, match="collections.OrderedDict"):
        decode_lcb_private(enc(__import__("collections").OrderedDict()))
    with pytest.raises(UnsafePickle, match="base64"):
        decode_lcb_private("!!not base64!!")


def test_prompts_and_code_extraction():
    doc = {"question": "Add two numbers.", "starter_code": "class Solution:\n    def addTwo(self, a, b):\n        ",
           "fn_name": "addTwo"}
    prompt = doc_to_text_lcb(doc)
    assert prompt.startswith("### Question:\nAdd two numbers.") and "```python\nclass Solution:" in prompt
    assert prompt.endswith("### Answer: (use the provided format with backticks)\n\n")
    assert "# YOUR CODE HERE" in doc_to_text_lcb(dict(doc, starter_code="", fn_name=""))
    assert doc_to_text_sky_t1(doc).startswith("Generate an executable Python function")
    assert "stdin" in doc_to_text_sky_t1(dict(doc, fn_name=""))
    out = "Draft:\n```python\nprint(1)\n```\nFinal:\n```python\nprint(2)\n```\nDone."
    assert extract_code(out) == "print(2)"
    assert extract_code("no code here") is None


def _docs():
    return [dict(row) for row in load_livecodebench("release_v2", str(V2), check_count=False)["test"]]


def test_every_sample_is_judged_and_metrics_per_difficulty():
    docs = _docs()
    good = {
        "abc900_a": "```python\nprint(sum(map(int, open(0).read().split()[1:])))\n```",
        "fx1": "```python\nclass Solution:\n    def addTwo(self, a, b):\n        return a + b\n```",
        "1900_C": "```python\ninput()\nprint(max(map(int, input().split())))\n```",
        "fx2": "```python\nclass Solution:\n    def reverseList(self, nums):\n        return nums[::-1]\n```",
    }
    wrong = "```python\nprint(0)\n```"
    resps = [[good[d["id"]], wrong, "I cannot solve this.", "```\nraise SystemError\n```"] for d in docs]
    reports = []
    with scoring_progress.listening(lambda label, total: lambda n, correct: reports.append((label, total, n, correct))):
        filtered = judge_responses(resps, docs)
    assert [len(f) for f in filtered] == [4, 4, 4, 4]
    # each program with code is reported once, as it is judged; the correct ones (one per doc) as correct
    assert {(label, total) for label, total, _, _ in reports} == {("judging (code)", 12)}
    assert sum(n for *_, n, _ in reports) == 12 and sum(c for *_, c in reports) == 4
    for doc, samples in zip(docs, filtered):
        verdicts = [json.loads(s) for s in samples]
        assert [v["correct"] for v in verdicts] == [True, False, False, False], (doc["id"], verdicts)
        assert verdicts[2]["verdict"] == "NO_CODE" and not verdicts[2]["extracted"]
        # per-test verdicts (shown by `evalkit report`): all AC for the right program, not for the wrong one
        assert verdicts[0]["tests"] and set(verdicts[0]["tests"]) == {"AC"} and verdicts[2]["tests"] == []
        assert len(verdicts[1]["tests"]) == verdicts[1]["tests_run"] and "AC" not in verdicts[1]["tests"][:1]
        m = process_results(doc, [samples])
        assert m["pass@1"] == pytest.approx(1 / 4) and m["pass@2"] == pytest.approx(1 / 2) and m["pass@4"] == 1.0
        assert m[f"pass@1_{doc['difficulty']}"] == m["pass@1"]
        assert m["extraction_failure_rate"] == pytest.approx(1 / 4)


def test_lm_eval_runs_the_tasks_with_sandboxed_judging(tmp_path):
    """End to end through lm-eval (YAML, custom dataset, repeats, custom filter, metrics) with a stand-in
    model that answers every prompt with a correct program for one problem and a wrong one for others."""
    from lm_eval import evaluator
    from lm_eval.api.model import LM
    from lm_eval.tasks import TaskManager

    class Scripted(LM):
        def generate_until(self, requests, disable_tqdm=False):
            out = []
            for req in requests:
                prompt = req.arguments[0]
                ok = "Sum" in prompt or "Maximum" in prompt  # the two stdin problems
                code = "print(sum(map(int, open(0).read().split()[1:])))" if "Sum" in prompt else \
                    "input()\nprint(max(map(int, input().split())))"
                out.append(f"```python\n{code if ok else 'print(0)'}\n```")
            return out

        def loglikelihood(self, requests):
            raise NotImplementedError

        def loglikelihood_rolling(self, requests):
            raise NotImplementedError

    meta = {"data_dir": str(V2), "release": "release_v2", "check_count": False}
    manager = TaskManager(include_path=str(REPO / "tasks" / "livecodebench"), include_defaults=False, metadata=meta)
    results = evaluator.simple_evaluate(
        model=Scripted(), tasks=["evalkit_livecodebench", "evalkit_livecodebench_hard", "evalkit_livecodebench_sky_t1"],
        task_manager=manager, gen_kwargs="max_gen_toks=16", log_samples=True,
    )
    res = results["results"]
    assert res["evalkit_livecodebench"]["pass@1,judge"] == pytest.approx(0.5)  # 2 of 4 problems
    assert res["evalkit_livecodebench"]["pass@1_hard,judge"] == 1.0
    assert res["evalkit_livecodebench"]["pass@1_easy,judge"] == pytest.approx(0.5)
    assert res["evalkit_livecodebench"]["pass@1_medium,judge"] == 0.0
    assert res["evalkit_livecodebench_hard"]["pass@1,judge"] == 1.0
    assert res["evalkit_livecodebench_sky_t1"]["pass@1,judge"] == pytest.approx(0.5)
    sample = results["samples"]["evalkit_livecodebench"][0]
    assert json.loads(sample["filtered_resps"][0][0])["verdict"] in ("AC", "WA")


def test_data_cli_lists_and_shows_livecodebench(cli, data_dir):
    env = {"EVALKIT_DATA_DIR": str(data_dir)}
    listed = {row["name"]: row for row in json.loads(cli("data", "list", "--json", env=env).stdout)}
    assert listed["livecodebench"]["problems"] == 400 and listed["livecodebench"]["hub"].startswith("livecodebench/")
    shown = cli("data", "show", "livecodebench", "--limit", "1", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    first = json.loads(shown.stdout)
    assert first["platform"] and first["public_tests"] and first["private_tests"] == []
