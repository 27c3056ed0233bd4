"""What one test may use, and what one run of a test measured (shared by the warm and the unsafe runner)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Per-test limits. `timeout_s` is CPU time summed over every process and thread of the test;
    `wall_factor` bounds its wall-clock time (a backstop for programs that sleep or block).
    `memory_mb` covers resident memory (PSS over all processes) plus the test's tmpfs pages;
    `tmp_mb` and `tmp_inodes` cap each of its tmpfs mounts (/tmp, /dev/shm)."""

    timeout_s: float = 6.0
    memory_mb: int = 1024
    output_mb: int = 32
    stderr_kb: int = 64
    processes: int = 64
    open_files: int = 256
    file_mb: int = 64
    tmp_mb: int = 64
    tmp_inodes: int = 4096
    wall_factor: float = 3.0
    unsafe_no_sandbox: bool = False

    @property
    def hard_wall_s(self) -> float:
        return self.timeout_s * self.wall_factor + 2.0

    def rlimit_spec(self) -> str:
        cpu = int(self.timeout_s * 2) + 2
        data = self.memory_mb << 20
        return f"{cpu},{data},{self.processes},{self.open_files},{self.file_mb << 20}"


@dataclass
class RunResult:
    started: bool = False
    exit_code: int | None = None
    signal: int | None = None
    stdout: bytes = b""
    stderr: bytes = b""
    status: bytes = b""
    killed: str | None = None  # "time" | "memory" | "output" | "died"
    time_s: float = 0.0  # the time the limit is judged on: CPU seconds over all processes of the test
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss: int = 0  # peak memory as the limit counts it (PSS + tmpfs), bytes
    bwrap_error: str = ""
