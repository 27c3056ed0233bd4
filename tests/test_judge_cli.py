"""`evalkit judge` prints one JSON verdict and exits 0 whenever a verdict was produced."""

from __future__ import annotations

import json


def test_judge_prints_overall_and_per_test_verdicts(cli, tmp_path):
    program = tmp_path / "sum.py"
    program.write_text("print(sum(map(int, open(0).read().split()[1:])))\n")
    tests = tmp_path / "tests.json"
    tests.write_text(json.dumps([{"input": "3\n1 2 3\n", "output": "6\n"}, {"input": "1\n5\n", "output": "4\n"}]))
    done = cli("judge", str(program), "--tests", str(tests), "--timeout", "3", "--memory-mb", "256")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["verdict"] == "WA" and [t["verdict"] for t in result["tests"]] == ["AC", "WA"]
    assert {"time_s", "memory_mb"} <= set(result["tests"][0])
    assert result["tests"][1]["detail"] == "line 1: expected '4', got '5'"  # where the wrong answer departs
    assert "test 2: WA, line 1: expected '4', got '5'" in done.stderr


def test_judge_call_based_with_fn_name(cli, tmp_path):
    program = tmp_path / "sol.py"
    program.write_text("class Solution:\n    def addTwo(self, a: int, b: int) -> int:\n        return a + b\n")
    tests = tmp_path / "tests.json"
    tests.write_text(json.dumps([{"input": "1\n2", "output": "3"}, {"input": "5\n6", "output": "11"}]))
    done = cli("judge", str(program), "--tests", str(tests), "--fn-name", "addTwo", "--mode", "tolerant")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verdict"] == "AC"


def test_judge_bad_input_is_one_sentence_and_exit_2(cli, tmp_path):
    program = tmp_path / "p.py"
    program.write_text("print(1)\n")
    bad = tmp_path / "bad.json"
    bad.write_text('{"input": "1"}')
    done = cli("judge", str(program), "--tests", str(bad))
    assert done.returncode == 2 and "must hold a JSON list" in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr
    bad.write_text("[1]")
    done = cli("judge", str(program), "--tests", str(bad), "--mode", "lcb")
    assert done.returncode == 2 and "test 0" in done.stderr


def test_unsafe_opt_in_is_loud_and_still_judges(cli, tmp_path):
    program = tmp_path / "mine.py"  # our own harmless code: the only kind the opt-in is for
    program.write_text("print(sum(map(int, open(0).read().split()[1:])))\n")
    tests = tmp_path / "tests.json"
    tests.write_text(json.dumps([{"input": "3\n1 2 3\n", "output": "6\n"}]))
    done = cli("judge", str(program), "--tests", str(tests), "--unsafe-no-sandbox-i-trust-this-code")
    assert done.returncode == 0 and json.loads(done.stdout)["verdict"] == "AC"
    assert "WARNING" in done.stderr and "YOUR uid" in done.stderr
