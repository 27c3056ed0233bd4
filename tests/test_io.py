"""evalkit.io: a write is whole or absent, and a bad JSONL line names its file and line."""

from __future__ import annotations

import hashlib

import pytest

from evalkit.errors import DataError
from evalkit.io import atomic_write, atomic_write_json, atomic_writer, read_jsonl, sha256_file


def test_atomic_write_replaces_whole_text_and_bytes(tmp_path):
    path = tmp_path / "out.json"
    atomic_write(path, "old")
    atomic_write(path, "néw")
    assert path.read_text(encoding="utf-8") == "néw"
    atomic_write(path, b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"
    atomic_write_json(path, {"a": "é"})
    assert path.read_text(encoding="utf-8") == '{\n  "a": "é"\n}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "results.json"
    path.write_text("complete")
    with pytest.raises(RuntimeError), atomic_writer(path) as handle:
        handle.write("half a fi")
        raise RuntimeError("killed mid-write")
    assert path.read_text() == "complete"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_sha256_file_is_the_sha256_of_the_bytes(tmp_path):
    path = tmp_path / "blob"
    data = b"x" * (3 << 20) + b"tail"  # more than one read block
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"a": 1}\n{"a": \n', r"bad\.jsonl:2: not valid JSON"),
        ('{"a": 1}\n\n[1, 2]\n', r"bad\.jsonl:3: expected a JSON object, got list"),
    ],
)
def test_read_jsonl_names_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        list(read_jsonl(path))


def test_read_jsonl_skips_blank_lines_and_numbers_real_ones(tmp_path):
    path = tmp_path / "ok.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2}\n')
    assert list(read_jsonl(path)) == [(1, {"a": 1}), (3, {"a": 2})]
    with pytest.raises(DataError, match="file not found"):
        list(read_jsonl(tmp_path / "missing.jsonl"))
