"""The benchmark data layer: every benchmark loads with its asserted count; corruption is reported
with the file and line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evalkit import data
from evalkit.errors import DataError, EvalkitError

COUNTS = {"aime24": 30, "aime25": 30, "amc23": 40, "math500": 500, "olympiadbench": 675}


@pytest.mark.parametrize("name,count", sorted(COUNTS.items()))
def test_every_benchmark_loads_from_shared_data(name, count, data_dir):
    problems = data.load(name, data_dir)
    assert len(problems) == count == data.get(name).expected_count
    assert len({p.id for p in problems}) == count
    assert all(p.question.strip() and p.answers and all(a for a in p.answers) for p in problems)


def test_record_fields_are_normalised(data_dir):
    amc = {p.id: p for p in data.load("amc23", data_dir)}
    assert amc["0"].answers == ["27"]  # stored as the float 27.0
    aime25 = data.load("aime25", data_dir)
    assert aime25[0].answers == ["70"]  # stored as an int
    math500 = data.load("math500", data_dir)
    assert math500[0].id.startswith("test/") and {"subject", "level"} <= set(math500[0].metadata)
    olympiad = data.load("olympiadbench", data_dir)
    multi = [p for p in olympiad if p.metadata["is_multiple_answer"]]
    # this copy keeps several answers inside one list element, e.g. ['$69$,$84$']
    assert len(multi) == 94 and all(isinstance(p.answers, list) for p in olympiad)
    assert any("," in p.answer for p in multi)


def _copy(data_dir: Path, tmp_path: Path, name: str) -> Path:
    rel = data.get(name).local_file
    target = tmp_path / rel
    target.parent.mkdir(parents=True)
    shutil.copy(data_dir / rel, target)
    return target


def test_bad_json_line_names_file_and_line(data_dir, tmp_path):
    path = _copy(data_dir, tmp_path, "aime24")
    lines = path.read_text().splitlines()
    lines[6] = lines[6][:40]  # truncated JSON on line 7
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=rf"{path}:7: not valid JSON"):
        data.load("aime24", tmp_path)


def test_missing_answer_field_names_file_and_line(data_dir, tmp_path):
    path = _copy(data_dir, tmp_path, "math500")
    lines = path.read_text().splitlines()
    row = json.loads(lines[41])
    del row["answer"]
    lines[41] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=rf"{path}:42: missing field\(s\) 'answer'"):
        data.load("math500", tmp_path)


def test_removed_row_is_a_count_error(data_dir, tmp_path):
    path = _copy(data_dir, tmp_path, "amc23")
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(DataError, match=rf"{path}: expected 40 amc23 problems, found 39 \(last line read: 39\)"):
        data.load("amc23", tmp_path)


def test_duplicate_id_is_an_error(data_dir, tmp_path):
    path = _copy(data_dir, tmp_path, "aime25")
    lines = path.read_text().splitlines()
    lines[1] = lines[0]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="duplicate problem id '0'"):
        data.load("aime25", tmp_path)


def test_unknown_benchmark_and_missing_directory(tmp_path):
    with pytest.raises(EvalkitError, match="unknown benchmark 'aime23'"):
        data.get("aime23")
    with pytest.raises(EvalkitError, match="--data-dir points at .*nope, which is not a directory"):
        data.load("aime24", tmp_path / "nope")
    with pytest.raises(DataError, match="aime24/test.jsonl not found"):
        data.load("aime24", tmp_path)


def test_hub_failure_is_one_clear_error(monkeypatch):
    monkeypatch.delenv("EVALKIT_DATA_DIR")
    with pytest.raises(EvalkitError, match="could not load HuggingFaceH4/aime_2024 from the Hugging Face Hub"):
        data.load("aime24")
