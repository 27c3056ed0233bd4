"""Run one program on one input inside the sandbox, watching it from outside.

The supervisor streams stdin in, reads stdout and stderr as they arrive (stdout up to a cap, then
OLE; stderr keeps a small tail), and every 50 ms reads the sandbox's processes in /proc: resident
memory (sum over processes, which also catches shared mappings RLIMIT_DATA cannot see) and each
thread's run-queue delay. Time is "wall clock minus the longest time a thread sat runnable waiting for
a CPU", so a correct program on a loaded machine is not judged TLE while a program that sleeps or
blocks is. A hard wall limit backs it up. Any kill takes the sandbox's PID 1, which makes the kernel
kill every process in the namespace: nothing outlives a run.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sandbox.isolation import ENV_ALLOW

POLL_S = 0.05
FIRST_POLL_S = 0.05
GRACE_S = 0.5
PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Limits:
    """Per-test limits. `timeout_s` is contention-adjusted time; `wall_factor` bounds raw wall time."""

    timeout_s: float = 6.0
    memory_mb: int = 1024
    output_mb: int = 32
    stderr_kb: int = 64
    processes: int = 64
    open_files: int = 256
    file_mb: int = 64
    tmp_mb: int = 64
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
    killed: str | None = None  # "time" | "memory" | "output"
    time_s: float = 0.0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss: int = 0
    bwrap_error: str = ""


@cache
def launcher_source() -> bytes:
    return (Path(__file__).with_name("launcher.py")).read_bytes()


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def _tree(root: int) -> list[int]:
    """PIDs of `root` and its descendants (through /proc/PID/task/TID/children)."""
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            kids = _read(f"/proc/{pid}/task/{tid}/children")
            if kids:
                todo.extend(int(k) for k in kids.split())
    return out


def _sample(root: int, skip_root: bool = False) -> tuple[int, float, float]:
    """(resident bytes summed over the sandbox's processes, longest run-queue delay of any thread,
    CPU seconds of the live processes)."""
    rss, delay, ticks = 0, 0, 0
    pids = _tree(root)
    if skip_root:  # the warm sandbox's own PID 1 is ours, not the program's
        pids = pids[1:]
    for pid in pids:
        if len(pids) == 1:
            statm = _read(f"/proc/{pid}/statm")
            rss += int(statm.split()[1]) * PAGE if statm else 0
        else:  # forked children share pages: count proportionally (PSS), not once per process
            rollup = _read(f"/proc/{pid}/smaps_rollup") or ""
            for line in rollup.splitlines():
                if line.startswith("Pss:"):
                    rss += int(line.split()[1]) * 1024
                    break
        stat = _read(f"/proc/{pid}/stat")
        if stat:
            fields = stat.rsplit(")", 1)[-1].split()
            ticks += int(fields[11]) + int(fields[12])
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            stat = _read(f"/proc/{pid}/task/{tid}/schedstat")
            if stat:
                delay = max(delay, int(stat.split()[1]))
    return rss, delay / 1e9, ticks / TICKS


class _Watch:
    """The supervisor side of one run: pipes, caps, the /proc watch, and the kill."""

    def __init__(self, limits: Limits, stdin: bytes):
        self.limits = limits
        self.result = RunResult()
        self.stdin = memoryview(stdin)
        self.stdout: list[bytes] = []
        self.out_len = 0
        self.stderr = bytearray()
        self.status = bytearray()
        self.child_pid: int | None = None
        self.status_json = bytearray()
        self.delay = 0.0
        self.wait: tuple[int, object] | None = None  # (wait status, rusage) once the process is reaped

    def reap(self, proc: subprocess.Popen, block: bool = False) -> bool:
        if self.wait is None:
            pid, status, usage = os.wait4(proc.pid, 0 if block else os.WNOHANG)
            if pid:
                self.wait = (status, usage)
                proc.returncode = os.waitstatus_to_exitcode(status)
        return self.wait is not None

    def kill(self, proc: subprocess.Popen, reason: str) -> None:
        if self.result.killed is None:
            self.result.killed = reason
        if self.child_pid:
            try:
                os.kill(self.child_pid, signal.SIGKILL)  # PID 1 of the sandbox: the kernel kills the rest
            except OSError:
                pass
        try:
            if self.limits.unsafe_no_sandbox:
                os.killpg(proc.pid, signal.SIGKILL)
            elif self.wait is None:
                os.kill(proc.pid, signal.SIGKILL)
        except OSError:
            pass

    def loop(self, proc: subprocess.Popen, status_r: int, json_r: int | None) -> None:
        sel = selectors.DefaultSelector()
        if self.stdin:
            os.set_blocking(proc.stdin.fileno(), False)
            sel.register(proc.stdin.fileno(), selectors.EVENT_WRITE, "in")
        else:
            proc.stdin.close()
        sel.register(proc.stdout.fileno(), selectors.EVENT_READ, "out")
        sel.register(proc.stderr.fileno(), selectors.EVENT_READ, "err")
        sel.register(status_r, selectors.EVENT_READ, "status")
        if json_r is not None:
            sel.register(json_r, selectors.EVENT_READ, "json")
        lim = self.limits
        start = time.monotonic()
        next_poll = start + FIRST_POLL_S
        exited_at = None
        out_cap = lim.output_mb << 20
        try:  # readable when the process has exited: no busy polling for the exit
            pidfd = os.pidfd_open(proc.pid)
            sel.register(pidfd, selectors.EVENT_READ, "exit")
        except (AttributeError, OSError):
            pidfd = None
        try:
            while True:
                now = time.monotonic()
                if exited_at is None and self.reap(proc):
                    exited_at = now
                    if pidfd is not None:
                        sel.unregister(pidfd)
                        os.close(pidfd)
                        pidfd = None
                if exited_at is not None and (not sel.get_map() or now - exited_at > GRACE_S):
                    break
                wait = max(0.0, next_poll - now) if exited_at is None else 0.05
                if pidfd is None and exited_at is None:
                    wait = min(wait, 0.005)
                for key, _ in sel.select(wait):
                    self._event(proc, sel, key.fd, key.data, out_cap)
                now = time.monotonic()
                if exited_at is None and now >= next_poll:
                    next_poll = now + POLL_S
                    self._poll(proc, now - start)
        finally:
            if pidfd is not None:
                os.close(pidfd)
        self.result.wall_s = time.monotonic() - start
        if self.stdin is not None and proc.stdin and not proc.stdin.closed:
            proc.stdin.close()

    def _event(self, proc: subprocess.Popen, sel: selectors.BaseSelector, fd: int, tag: str, out_cap: int) -> None:
        if tag == "exit":
            return
        if tag == "in":
            try:
                n = os.write(fd, self.stdin[:65536])
                self.stdin = self.stdin[n:]
            except OSError:  # the program closed its stdin: fine
                self.stdin = memoryview(b"")
            if not self.stdin:
                sel.unregister(fd)
                proc.stdin.close()
            return
        chunk = b""
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:
            pass
        if not chunk:
            sel.unregister(fd)
            return
        if tag == "out":
            self.out_len += len(chunk)
            if self.out_len > out_cap:
                self.kill(proc, "output")
                sel.unregister(fd)
            else:
                self.stdout.append(chunk)
        elif tag == "err":
            keep = self.limits.stderr_kb << 10
            if len(self.stderr) < keep:
                self.stderr += chunk[: keep - len(self.stderr)]
        elif tag == "status":
            if len(self.status) <= out_cap:
                self.status += chunk
            else:
                self.kill(proc, "output")
        else:
            self.status_json += chunk
            self._parse_child_pid()

    def _parse_child_pid(self) -> None:
        if self.child_pid is None and b"\n" in self.status_json or b"}" in self.status_json:
            for line in bytes(self.status_json).replace(b"}", b"}\n").splitlines():
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                if isinstance(msg, dict) and "child-pid" in msg and self.child_pid is None:
                    self.child_pid = int(msg["child-pid"])

    def _poll(self, proc: subprocess.Popen, wall: float) -> None:
        lim = self.limits
        root = self.child_pid or (proc.pid if lim.unsafe_no_sandbox else None)
        if root:
            rss, delay, cpu = _sample(root)
            self.result.cpu_s = max(self.result.cpu_s, cpu)
            self.result.peak_rss = max(self.result.peak_rss, rss)
            self.delay = max(self.delay, delay)
            if rss > lim.memory_mb << 20:
                self.kill(proc, "memory")
                return
        if wall - self.delay > lim.timeout_s or wall > lim.hard_wall_s:
            self.kill(proc, "time")


def run(program: str, stdin: bytes, inner: list[str], limits: Limits, slot: int = 0) -> RunResult:
    """UNSANDBOXED run (only with `Limits.unsafe_no_sandbox`): the launcher in a temp dir with rlimits and
    the same outside watch. Sandboxed runs use `sandbox.session.Session`."""
    watch = _Watch(limits, stdin)
    status_r, status_w = os.pipe()
    owned = [status_r, status_w]
    json_r = None
    tmpdir = None
    try:
        inner = [inner[0], str(status_w), limits.rlimit_spec(), *inner[1:]]
        if limits.unsafe_no_sandbox:
            tmpdir = tempfile.mkdtemp(prefix="evalkit-unsafe-")
            Path(tmpdir, "prog.py").write_text(program)
            Path(tmpdir, "launch.py").write_bytes(launcher_source())
            env = dict(ENV_ALLOW, HOME=tmpdir, EVALKIT_PROGRAM=str(Path(tmpdir, "prog.py")))
            argv = [os.environ.get("EVALKIT_SANDBOX_PYTHON", "python3"), "-I", "-X", "int_max_str_digits=50000",
                    str(Path(tmpdir, "launch.py")), *inner]
            kwargs: dict = {"env": env, "cwd": tmpdir, "start_new_session": True, "pass_fds": (status_w,)}
        else:
            raise ValueError("runner.run is the unsandboxed path; sandboxed runs go through sandbox.session")
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                **kwargs)
        for fd in owned[1:]:
            if fd != json_r:
                os.close(fd)
        owned = [status_r] + ([json_r] if json_r is not None else [])
        try:
            watch.loop(proc, status_r, json_r)
        finally:
            if not watch.reap(proc):  # only after an exception in the loop: the runner's fault
                watch.kill(proc, watch.result.killed or "runner")
                watch.reap(proc, block=True)
            for stream in (proc.stdout, proc.stderr):
                stream.close()
        res = watch.result
        code = proc.returncode
        usage = watch.wait[1]
        if usage is not None:
            res.cpu_s = max(res.cpu_s, usage.ru_utime + usage.ru_stime)
            # not ru_maxrss: it inherits the high-water mark of the (large) process that forked bwrap
        if code is not None and code < 0:
            res.signal = -code
        elif code is not None and code > 128 and not limits.unsafe_no_sandbox:
            res.signal = code - 128  # bwrap reports a signalled child as 128+N
        res.exit_code = code
        res.status = bytes(watch.status)
        res.started = res.status.startswith(b"R")
        res.stdout = b"".join(watch.stdout)
        res.stderr = bytes(watch.stderr)
        res.time_s = max(0.0, min(res.wall_s, res.wall_s - watch.delay))
        if not res.started and res.killed is None:
            res.bwrap_error = res.stderr.decode(errors="replace").strip()[-500:] or f"exit status {code}"
        return res
    finally:
        for fd in owned:
            try:
                os.close(fd)
            except OSError:
                pass
        if tmpdir:
            import shutil

            shutil.rmtree(tmpdir, ignore_errors=True)
