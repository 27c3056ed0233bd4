"""Test-wide set-up: offline Hugging Face, the shared benchmark data beside the checkout, and `cli`,
the one way tests run the `evalkit` command."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import REPO, SHARED

os.environ.setdefault("EVALKIT_DATA_DIR", str(SHARED / "data"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

WIDTH = "200"  # wide enough that rich tables never wrap a name the tests look for
# Environment keys a library writes for itself on first use (not settings of ours): torch's inductor memoises
# its cache folder there when a model is first compiled or checkpointed.
LIBRARY_MEMOS = frozenset({"TORCHINDUCTOR_CACHE_DIR"})


@dataclass
class CliResult:
    """What a run of `evalkit` left: the same fields as subprocess.CompletedProcess."""

    returncode: int
    stdout: str
    stderr: str


class Cli:
    """`cli("data", "list")` runs `evalkit data list` in this process through typer's CliRunner, the way
    `evalkit.cli.main` does: a user error (EvalkitError) is one "error: ..." line on stderr and exit code 2,
    and any other exception propagates, because a traceback is a bug the test must show. A command that
    changes os.environ fails the test: settings travel as arguments, and a leak would reach later tests.

    `cli.process(...)` runs a real `python -m evalkit` for what needs one: signals, a fresh interpreter,
    the entry point itself, several ranks (`nproc=2` launches it under torchrun); `cli.spawn(...)` starts
    one without waiting (to kill it mid-run).
    """

    def __call__(self, *args: str | Path, env: dict[str, str] | None = None, input: str | None = None,
                 width: int = int(WIDTH)) -> CliResult:
        from typer.testing import CliRunner

        from evalkit.cli import app
        from evalkit.errors import EvalkitError

        saved = dict(os.environ)
        try:
            result = CliRunner().invoke(app, [str(a) for a in args], input=input,
                                        env={"COLUMNS": str(width), **(env or {})}, terminal_width=width,
                                        catch_exceptions=True)
        finally:
            leaked = sorted(k for k in (saved.keys() | os.environ.keys()) - LIBRARY_MEMOS
                            if saved.get(k) != os.environ.get(k))
            os.environ.clear()
            os.environ.update(saved)
        if leaked:
            raise AssertionError(f"`evalkit {' '.join(map(str, args[:2]))}` changed os.environ: {leaked}")
        stderr = result.stderr
        if isinstance(result.exception, EvalkitError):
            return CliResult(2, result.stdout, stderr + f"error: {result.exception}\n")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliResult(result.exit_code, result.stdout, stderr)

    def process(self, *args: str | Path, env: dict[str, str] | None = None, timeout: float = 300,
                cwd: Path = REPO, nproc: int | None = None) -> CliResult:
        proc = self.spawn(*args, env=env, cwd=cwd, nproc=nproc, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
        return CliResult(proc.returncode, stdout, stderr)

    def spawn(self, *args: str | Path, env: dict[str, str] | None = None, cwd: Path = REPO,
              nproc: int | None = None, **popen: object) -> subprocess.Popen:
        full_env = os.environ | {"PYTHONPATH": str(REPO), "COLUMNS": WIDTH} | (env or {})
        launcher = [sys.executable] if nproc is None else [sys.executable, "-m", "torch.distributed.run",
                                                           "--nproc-per-node", str(nproc)]
        return subprocess.Popen([*launcher, "-m", "evalkit", *map(str, args)], cwd=cwd, env=full_env, **popen)


@pytest.fixture(scope="session")
def cli() -> Cli:
    return Cli()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"shared data not found at {SHARED}; set EVALKIT_SHARED_DIR")
    return SHARED


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return Path(os.environ["EVALKIT_DATA_DIR"])


@pytest.fixture(scope="session")
def qwen_tokenizer_dir(shared_dir: Path) -> Path:
    return shared_dir / "data" / "qwen_tokenizer" / "qwen2_bpe_github"
