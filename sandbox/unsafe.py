"""The UNSANDBOXED runner, for `Limits.unsafe_no_sandbox` only: the program runs as this user, on this
host, with nothing but rlimits and the outside watch (time, memory, output). It exists for machines
where bubblewrap cannot run and for people who accept that risk explicitly; sandboxed runs go
through `sandbox.session.Session`.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import tempfile
import time
from functools import cache
from pathlib import Path

from sandbox.isolation import ENV_ALLOW
from sandbox.limits import Limits, RunResult
from sandbox.procfs import sample

POLL_S = 0.05
GRACE_S = 0.5


@cache
def launcher_source() -> bytes:
    return Path(__file__).with_name("launcher.py").read_bytes()


def remove_tree(path: str) -> None:
    """Delete a directory however deep the program made it (shutil.rmtree recurses in Python)."""
    subprocess.run(["rm", "-rf", "--one-file-system", "--", path], check=False, capture_output=True)


def run(program: str, stdin: bytes, inner: list[str], limits: Limits, slot: int = 0) -> RunResult:
    """Run the launcher (`inner` = mode and its arguments) on `program` with one test's input."""
    if not limits.unsafe_no_sandbox:
        raise ValueError("sandbox.unsafe.run is the unsandboxed path; sandboxed runs go through sandbox.session")
    res = RunResult()
    tmpdir = tempfile.mkdtemp(prefix="evalkit-unsafe-")
    status_r, status_w = os.pipe()
    try:
        Path(tmpdir, "prog.py").write_text(program)
        Path(tmpdir, "launch.py").write_bytes(launcher_source())
        env = dict(ENV_ALLOW, HOME=tmpdir, EVALKIT_PROGRAM=str(Path(tmpdir, "prog.py")))
        argv = [os.environ.get("EVALKIT_SANDBOX_PYTHON", "python3"), "-I", "-X", "int_max_str_digits=50000",
                str(Path(tmpdir, "launch.py")), inner[0], str(status_w), limits.rlimit_spec(), *inner[1:]]
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, cwd=tmpdir, start_new_session=True, pass_fds=(status_w,))
        os.close(status_w)
        status_w = -1
        try:
            _watch(proc, stdin, status_r, limits, res)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            _, wait_status, usage = os.wait4(proc.pid, 0)  # exited (seen without reaping) or just killed
            proc.returncode = os.waitstatus_to_exitcode(wait_status)
            res.cpu_s = max(res.cpu_s, usage.ru_utime + usage.ru_stime)
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream and not stream.closed:
                    stream.close()
        code = proc.returncode
        res.exit_code, res.signal = code, (-code if code is not None and code < 0 else None)
        res.started = res.status.startswith(b"R")
        res.time_s = res.cpu_s
        if not res.started and res.killed is None:
            res.bwrap_error = res.stderr.decode(errors="replace").strip()[-500:] or f"exit status {code}"
        return res
    finally:
        for fd in (status_r, status_w):
            if fd >= 0:
                os.close(fd)
        remove_tree(tmpdir)


def _watch(proc: subprocess.Popen, stdin: bytes, status_r: int, lim: Limits, res: RunResult) -> None:
    sel = selectors.DefaultSelector()
    data = memoryview(stdin)
    if data:
        os.set_blocking(proc.stdin.fileno(), False)
        sel.register(proc.stdin.fileno(), selectors.EVENT_WRITE, "in")
    else:
        proc.stdin.close()
    for stream, tag in ((proc.stdout, "out"), (proc.stderr, "err")):
        sel.register(stream.fileno(), selectors.EVENT_READ, tag)
    sel.register(status_r, selectors.EVENT_READ, "status")
    out, err, status = bytearray(), bytearray(), bytearray()
    out_cap, err_cap = lim.output_mb << 20, lim.stderr_kb << 10
    start = time.monotonic()
    exited_at = None
    while True:
        now = time.monotonic()
        if exited_at is None and os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
            exited_at = now
        if exited_at is not None and (not sel.get_map() or now - exited_at > GRACE_S):
            break
        for key, _ in sel.select(POLL_S if exited_at is None else 0.05):
            if key.data == "in":
                try:
                    n = os.write(key.fd, data[:65536])
                    data = data[n:]
                except OSError:
                    data = memoryview(b"")
                if not data:
                    sel.unregister(key.fd)
                    proc.stdin.close()
                continue
            chunk = os.read(key.fd, 1 << 16)
            if not chunk:
                sel.unregister(key.fd)
            elif key.data == "out":
                out += chunk
                if len(out) > out_cap:
                    res.killed = res.killed or "output"
            elif key.data == "err":
                err += chunk[: max(0, err_cap - len(err))]
            else:
                status += chunk
                if len(status) > out_cap:
                    res.killed = res.killed or "output"
        if exited_at is None:
            seen = sample(proc.pid)
            res.peak_rss = max(res.peak_rss, seen.memory)
            res.cpu_s = max(res.cpu_s, seen.cpu_s)
            if seen.memory > lim.memory_mb << 20:
                res.killed = res.killed or "memory"
            elif res.cpu_s > lim.timeout_s or time.monotonic() - start > lim.hard_wall_s:
                res.killed = res.killed or "time"
        if res.killed:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            if exited_at is None:
                exited_at = time.monotonic()
    sel.close()
    res.wall_s = time.monotonic() - start
    res.stdout, res.stderr, res.status = bytes(out[:out_cap]), bytes(err), bytes(status)
