"""The `cli` fixture itself: what it promises the other tests must hold, or their checks are hollow."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner


def test_a_command_that_writes_os_environ_fails_the_test(cli, monkeypatch):
    real = CliRunner.invoke

    def leaky(self, *args, **kwargs):
        os.environ["EVALKIT_LEAK"] = "1"  # as a command passing a setting through the environment would
        return real(self, *args, **kwargs)

    monkeypatch.setattr(CliRunner, "invoke", leaky)
    with pytest.raises(AssertionError, match="changed os.environ: \\['EVALKIT_LEAK'\\]"):
        cli("--help")
    assert "EVALKIT_LEAK" not in os.environ  # and the leak is undone for the tests after it


def test_a_user_error_is_one_line_and_exit_2_as_from_the_entry_point(cli, tmp_path):
    result = cli("score", tmp_path / "nowhere")
    assert result.returncode == 2 and result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
