"""Consistent flags: every command that writes a file or directory takes it as --output/-o."""

from __future__ import annotations

import re

import pytest

WRITERS = [["eval"], ["grade"], ["compare"], ["demo"], ["train"], ["merge"], ["leaderboard", "import-outputs"]]


@pytest.mark.parametrize("command", WRITERS, ids=" ".join)
def test_writing_commands_take_output_and_o(cli, command):
    result = cli(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert re.search(r"--output\b", result.stdout) and re.search(r"(?<![\w-])-o\b", result.stdout), result.stdout


def test_old_out_spelling_still_works_where_it_existed(cli):
    for command in (["merge"], ["leaderboard", "import-outputs"]):
        assert re.search(r"--out\b", cli(*command, "--help").stdout)
