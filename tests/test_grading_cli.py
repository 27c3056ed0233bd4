"""`evalkit grade`: pair mode, file mode, and clear errors for bad input."""

from __future__ import annotations

import json


def test_pair_mode_prints_verdict_and_reason(cli):
    equal = cli("grade", r"\frac12", "0.5")
    assert equal.returncode == 0 and "equal" in equal.stdout and "numbers" in equal.stdout
    different = cli("grade", "1331 and 1728", "1728")
    assert different.returncode == 0 and "not equal" in different.stdout


def test_file_mode_writes_rows_with_verdicts(cli, tmp_path):
    rows = [
        {"gold": "1/2", "pred": "0.5", "id": "a"},
        {"gold": ["1", "2"], "output": r"So \boxed{2} and \boxed{1}."},
        {"gold": "3", "output": "<think>still thinking about 3"},
        {"gold": r"2\sqrt{3}", "pred": r"\sqrt{13}"},
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out.jsonl"
    proc = cli("grade", "--input", str(src), "--output", str(out), "--workers", "1", "--timeout", "5")
    assert proc.returncode == 0, proc.stderr
    got = [json.loads(line) for line in out.read_text().splitlines()]
    assert [g["equal"] for g in got] == [True, True, None, False]
    assert got[0]["id"] == "a" and "extracted" not in got[0]  # input repeated; no extraction for `pred`
    assert got[1]["extracted"] == "2, 1"
    assert got[2]["extracted"] is None and got[2]["reason"] == "no answer"
    assert all(g["reason"] for g in got)
    assert "verdicts/s" in proc.stderr


def test_malformed_line_names_file_and_line(cli, tmp_path):
    src = tmp_path / "bad.jsonl"
    src.write_text('{"gold": "1", "pred": "1"}\n{not json}\n')
    out = tmp_path / "out.jsonl"
    proc = cli("grade", "--input", str(src), "--output", str(out))
    assert proc.returncode == 2
    assert f"{src}:2" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()  # no half-written output


def test_row_without_pred_or_output_is_an_error(cli, tmp_path):
    src = tmp_path / "bad.jsonl"
    src.write_text('{"gold": "1"}\n')
    proc = cli("grade", "--input", str(src))
    assert proc.returncode == 2 and f"{src}:1" in proc.stderr


def test_pair_and_file_mode_are_exclusive(cli, tmp_path):
    proc = cli("grade", "1", "1", "--input", str(tmp_path / "x.jsonl"))
    assert proc.returncode == 2 and "not both" in proc.stderr
    assert cli("grade", "1").returncode == 2


def test_rounding_is_strict_without_a_question_and_lenient_on_request(cli, tmp_path):
    assert "not equal" in cli("grade", r"\frac{2}{3}", "0.667").stdout  # no question: strict
    asked = cli("grade", r"\frac{2}{3}", "0.667", "--question", "Round your answer to the nearest thousandth.")
    assert asked.returncode == 0 and "not equal" not in asked.stdout and "equal" in asked.stdout
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"gold": r"40\pi", "pred": "125.663"}) + "\n"  # ../shared/grader row eq0365
                   + json.dumps({"gold": r"40\pi", "pred": "125.5"}) + "\n")
    out = tmp_path / "out.jsonl"
    assert cli("grade", "--input", str(src), "--output", str(out), "--workers", "1", "--numeric-tolerance", "1e-4").returncode == 0
    rows = [json.loads(r) for r in out.read_text().splitlines()]
    assert [r["equal"] for r in rows] == [True, False] and all(r["numeric_tolerance"] == 1e-4 for r in rows)
