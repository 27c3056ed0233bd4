"""`evalkit data list|show` and the CLI's error contract (one sentence, exit code 2, no traceback)."""

from __future__ import annotations

import json


def test_data_list_shows_every_benchmark(cli, data_dir):
    proc = cli("data", "list", "--json", "--data-dir", str(data_dir))
    assert proc.returncode == 0, proc.stderr
    rows = {row["name"]: row for row in json.loads(proc.stdout)}
    assert {"aime24", "aime25", "amc23", "math500", "olympiadbench"} <= set(rows)
    assert rows["olympiadbench"]["problems"] == 675 and "OE_TO_maths_en_COMP" in rows["olympiadbench"]["hub"]


def test_data_show_limits_and_prints_records(cli, data_dir):
    proc = cli("data", "show", "amc23", "--limit", "2", "--json", env={"EVALKIT_DATA_DIR": str(data_dir)})
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["id"] for r in records] == ["0", "1"] and records[0]["answers"] == ["27"]


def test_errors_are_one_sentence_and_exit_2(cli, tmp_path):
    proc = cli.process("data", "show", "aime23")  # the real entry point: exit code and stderr as users see them
    assert proc.returncode == 2 and "unknown benchmark 'aime23'" in proc.stderr and "Traceback" not in proc.stderr
    bad = tmp_path / "aime24"
    bad.mkdir()
    (bad / "test.jsonl").write_text('{"id": 1, "problem": "x", "answer": "1"}\n{oops\n')
    proc = cli("data", "show", "aime24", "--data-dir", str(tmp_path))
    assert proc.returncode == 2 and f"{bad / 'test.jsonl'}:2: not valid JSON" in proc.stderr.replace("\n", "")
    assert "Traceback" not in proc.stderr
