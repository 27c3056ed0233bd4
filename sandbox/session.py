"""A warm sandbox per worker: the bubblewrap walls built once, fresh namespaces for every test.

Starting bwrap and an interpreter costs more than a test, so one bwrap runs our server as PID 1
(sandbox/boot.py starts sandbox/server.py) and, per test, we hand it the test's pipes and the
program (a sealed, immutable memfd); it forks the test's process from its already started
interpreter into new PID and mount namespaces with their own tmpfs and a network namespace exactly
as a new one is (see sandbox/server.py), so a verdict depends on the program and the test alone.
Limits are enforced from here, by watching /proc: CPU time summed over every process of the test
(with a wall-clock backstop), memory as PSS plus the test's tmpfs pages, output bytes. Any kill
takes the whole sandbox down and the next test gets a fresh one.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import socket
import subprocess
import time
from functools import cache
from pathlib import Path

from sandbox.isolation import ENV_ALLOW, SLOT_UID_BASE, walls
from sandbox.limits import Limits, RunResult
from sandbox.prelude import PRELOADED
from sandbox.procfs import cpu_of, host_pid, sample, tree
from sandbox.unsafe import launcher_source

START_TIMEOUT_S = 30.0
MESSAGE_MAX = 1 << 16  # bytes: the largest message either way on the control socket (a test's request is
# under 13 KiB: argv, its prelude names and the function's name; a longer result comes on a pipe)
POLL_S = 0.05
FIRST_POLL_S = 0.05
GRACE_S = 0.5
_closing: list[subprocess.Popen] = []  # sandboxes told to stop; reaped later instead of waited for


def reap_closed(block: bool = False) -> None:
    """Collect exited sandboxes (their PID 1 is already gone or going: nothing inside survives)."""
    for proc in list(_closing):
        try:
            if block:
                proc.wait(timeout=5)
            if proc.poll() is not None:
                _closing.remove(proc)
                if proc.stderr:
                    proc.stderr.close()
        except (subprocess.TimeoutExpired, ValueError):
            pass


@cache
def server_source() -> bytes:
    return Path(__file__).with_name("server.py").read_bytes()


@cache
def boot_source() -> bytes:
    return Path(__file__).with_name("boot.py").read_bytes()


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name)  # close-on-exec: only the bwrap it is passed to gets it
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


class Watch:
    """The descriptors of one test, by tag, waited on with poll(2): no descriptor of its own to make
    and close per test, as an epoll selector has."""

    def __init__(self) -> None:
        self.poller, self.tags = select.poll(), {}

    def register(self, fd: int, tag: str, write: bool = False) -> None:
        self.poller.register(fd, select.POLLOUT if write else select.POLLIN)
        self.tags[fd] = tag

    def unregister(self, fd: int) -> None:
        if self.tags.pop(fd, None) is not None:
            self.poller.unregister(fd)

    def __contains__(self, fd: int) -> bool:
        return fd in self.tags

    def __len__(self) -> int:
        return len(self.tags)

    def wait(self, timeout_s: float) -> list[tuple[int, str]]:
        return [(fd, self.tags[fd]) for fd, _ in self.poller.poll(max(0.0, timeout_s) * 1000) if fd in self.tags]


def sealed_program(source: str) -> int:
    """The program as a memfd nobody can change any more (so one test cannot rewrite it for the next)."""
    fd = os.memfd_create("prog", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.write(fd, source.encode("utf-8", errors="surrogateescape"))
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE)
    return fd


class Session:
    """One warm sandbox; `run(program_fd, stdin, inner)` per test; `close()` at the end."""

    def __init__(self, limits: Limits, slot: int = 0):
        self.limits = limits
        self.pid1: int | None = None
        self.proc: subprocess.Popen | None = None
        self.ctl: socket.socket | None = None
        self.slot = slot

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.pid1 is not None

    def _start(self) -> None:
        w = walls()
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        json_r, json_w = os.pipe()
        files = {"/box/boot.py": _memfd("boot", boot_source()), "/box/server.py": _memfd("server", server_source()),
                 "/box/launch.py": _memfd("launch", launcher_source()),
                 "/box/seccomp.bpf": _memfd("seccomp", w.seccomp[0]), "/box/world.bpf": _memfd("world", w.seccomp[1])}
        child_fds = [*files.values(), json_w, theirs.fileno()]
        try:
            command = [w.python, "-I", "/box/boot.py", str(theirs.fileno()), ",".join(PRELOADED), str(MESSAGE_MAX)]
            argv = w.drop_privileges(self.slot) + w.argv(tmp_bytes=1 << 20, files=files, status_fd=json_w,
                                                         command=command)
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE, pass_fds=child_fds,
                                         env={"PATH": ENV_ALLOW["PATH"]})
        finally:
            for fd in child_fds[:-1]:
                os.close(fd)
            theirs.close()
        self.ctl = mine
        self.pid1 = self._child_pid(json_r)
        os.close(json_r)
        if self.pid1 is None:
            err = self.proc.stderr.read().decode(errors="replace").strip() if self.proc.stderr else ""
            self.close()
            raise RuntimeError(f"sandbox did not start: {err[-300:] or 'no status from bwrap'}")

    def _child_pid(self, fd: int) -> int | None:
        buf, deadline = b"", time.monotonic() + START_TIMEOUT_S
        watch = Watch()
        watch.register(fd, "status")
        while time.monotonic() < deadline:
            if not watch.wait(deadline - time.monotonic()):
                break
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            buf += chunk
            for piece in buf.replace(b"}", b"}\n").splitlines():
                try:
                    msg = json.loads(piece)
                except ValueError:
                    continue
                if isinstance(msg, dict) and "child-pid" in msg:
                    return int(msg["child-pid"])
        return None

    def kill(self) -> None:
        if self.pid1:
            try:
                os.kill(self.pid1, signal.SIGKILL)  # PID 1: the kernel kills the whole namespace
            except OSError:
                pass
        self.close()

    def close(self) -> None:
        if self.ctl is not None:
            self.ctl.close()
            self.ctl = None
        if self.proc is not None:
            _closing.append(self.proc)  # the server exits on EOF; do not wait for bwrap here
            self.proc = None
        self.pid1 = None
        reap_closed()

    def own_processes(self) -> list[int]:
        """The sandbox's own processes, above every test's (sandbox/server.py: bwrap's PID 1, the
        serving process and, below it, the zygote each test's process is forked from and reaped by)."""
        return [pid for pid, depth in tree(self.pid1) if depth <= 2] if self.pid1 else []

    def _server_cpu(self) -> float:
        return sum(cpu_of(pid) for pid in self.own_processes())

    def _pipes(self) -> list[tuple[int, int]]:
        """stdin, stdout and stderr pipes. When we are root the sandbox runs as the slot's uid: the
        pipes become its, so that `open('/dev/stdin')` works as for any process's own stdin."""
        pipes = [os.pipe() for _ in range(3)]
        if walls().drop_to_slot_uid:
            uid = SLOT_UID_BASE + self.slot
            try:
                for fd in (pipes[0][0], pipes[1][1], pipes[2][1]):
                    os.fchown(fd, uid, uid)
            except OSError:
                for fd in (fd for pipe in pipes for fd in pipe):
                    os.close(fd)
                raise
        return pipes

    def _report(self, out_cap: int) -> tuple[dict | None, bytes | None]:
        """The server's report on a test (sandbox/server.py `report`): its fields, and the judge's
        message (None if longer than the output cap allows), inline or on a pipe sent with it."""
        msg, fds, _, _ = socket.recv_fds(self.ctl, MESSAGE_MAX, 1, socket.MSG_CMSG_CLOEXEC)
        head, _, status = msg.partition(b"\0")
        for fd in fds:  # a long message: read it whole (the test is over; the server writes it at once)
            chunks, size = [], 0
            try:
                while chunk := os.read(fd, 1 << 16):
                    size += len(chunk)
                    if size > out_cap + 4096:
                        status = None
                        break
                    chunks.append(chunk)
            finally:
                os.close(fd)
            status = b"".join(chunks) if status is not None else None
        if status is not None and len(status) > out_cap + 4096:
            status = None
        return (json.loads(head) if head else None), status

    def run(self, program_fd: int, stdin: bytes, inner: list[str]) -> RunResult:
        """Run the launcher (`inner` = mode and its arguments) on the program (`sealed_program`) and
        one test input."""
        if not self.alive:
            self._start()
        lim = self.limits
        res = RunResult()
        out_cap, err_cap = lim.output_mb << 20, lim.stderr_kb << 10
        request = json.dumps({"argv": [inner[0], "3", lim.rlimit_spec(), *inner[1:]], "tmp_bytes": lim.tmp_mb << 20,
                              "tmp_inodes": lim.tmp_inodes, "result_cap": out_cap, "timeout_s": lim.timeout_s}).encode()
        if len(request) > MESSAGE_MAX:  # the runner's own limit, never the program's fault
            raise ValueError(f"sandbox request of {len(request)} bytes is over {MESSAGE_MAX}")
        pipes = self._pipes()
        their = [pipes[0][0], pipes[1][1], pipes[2][1]]
        in_w, out_r, err_r = pipes[0][1], pipes[1][0], pipes[2][0]
        data = memoryview(stdin)
        if data:  # what fits in the pipe goes in now (most inputs do): no wait for it to be writable
            os.set_blocking(in_w, False)
            try:
                data = data[os.write(in_w, data[:65536]):]
            except BlockingIOError:
                pass
            except OSError:
                data = memoryview(b"")
        start = time.monotonic()
        try:
            try:
                socket.send_fds(self.ctl, [request], [*their, program_fd])
            except OSError:  # the previous sandbox is gone: build a new one, once
                self.kill()
                self._start()
                socket.send_fds(self.ctl, [request], [*their, program_fd])
        except BaseException:
            for fd in (in_w, out_r, err_r):
                os.close(fd)
            raise
        finally:
            for fd in their:
                os.close(fd)
        sel = Watch()
        mine = {in_w, out_r, err_r}  # closed exactly once: a double close could hit another thread's fd

        def close(fd: int) -> None:
            if fd in mine:
                mine.discard(fd)
                os.close(fd)

        if data:
            sel.register(in_w, "in", write=True)
        else:
            close(in_w)
        for fd, tag in ((out_r, "out"), (err_r, "err"), (self.ctl.fileno(), "report")):
            sel.register(fd, tag)
        out, err, status = bytearray(), bytearray(), b""
        report, done_at, init, inner = None, None, None, None
        server_cpu = None  # the server's own CPU, read at the first poll that needs it
        next_poll = start + FIRST_POLL_S
        ctl_fd = self.ctl.fileno()

        def stop(reason: str) -> None:  # kill the whole sandbox; its pipes then reach EOF
            nonlocal done_at
            res.killed = res.killed or reason
            sel.unregister(ctl_fd)
            self.kill()
            done_at = done_at or time.monotonic()

        try:
            while True:
                now = time.monotonic()
                if done_at is not None and (len(sel) == 0 or now - done_at > GRACE_S):
                    break
                wait = 0.05 if done_at is not None else max(0.0, next_poll - now)
                for fd, tag in sel.wait(wait):
                    if fd not in sel:  # unregistered by an earlier event of this wake-up (a kill)
                        continue
                    if tag == "in":
                        try:
                            n = os.write(fd, data[:65536])
                            data = data[n:]
                        except OSError:
                            data = memoryview(b"")
                        if not data:
                            sel.unregister(fd)
                            close(fd)
                        continue
                    if tag == "report":
                        try:
                            report, message = self._report(out_cap)
                        except (OSError, ValueError):
                            report, message = None, b""
                        if isinstance(report, dict) and "init" in report:  # the test's init: watch it
                            inner = report["init"]
                            report = None
                            continue
                        sel.unregister(fd)
                        done_at = time.monotonic()
                        if report is None:
                            res.killed = res.killed or "died"
                        elif message is None:
                            stop("output")
                        else:
                            status = message
                        continue
                    chunk = os.read(fd, 1 << 16)
                    if not chunk:
                        sel.unregister(fd)
                        continue
                    if tag == "out":
                        if len(out) + len(chunk) > out_cap:
                            sel.unregister(fd)
                            stop("output")
                        else:
                            out += chunk
                    else:
                        err += chunk[: max(0, err_cap - len(err))]
                now = time.monotonic()
                if done_at is None and now >= next_poll:
                    next_poll = now + POLL_S
                    if init is None and inner is not None:
                        init = host_pid(self.pid1, inner)
                    if init is None:  # not found (yet): everything in the sandbox but its server
                        if server_cpu is None:
                            server_cpu = self._server_cpu()
                        seen = sample(self.pid1)
                        seen.memory, seen.cpu_s = max(0, seen.memory), max(0.0, seen.cpu_s - server_cpu)
                    else:
                        seen = sample(init, scratch=True)
                    res.peak_rss = max(res.peak_rss, seen.memory)
                    res.cpu_s = max(res.cpu_s, seen.cpu_s)
                    if seen.memory > lim.memory_mb << 20:
                        stop("memory")
                    elif res.cpu_s > lim.timeout_s or now - start > lim.hard_wall_s:
                        stop("time")
        finally:
            for fd in sorted(mine):  # a copy: close() shrinks the set
                close(fd)
        res.stdout, res.stderr, res.status = bytes(out), bytes(err), status
        del out
        res.started = res.status.startswith(b"R")
        if report is not None:
            code = os.waitstatus_to_exitcode(int(report["status"]))
            res.exit_code, res.signal = code, (-code if code < 0 else None)
            res.wall_s = float(report["wall"])
            res.cpu_s = max(res.cpu_s, float(report["cpu"]))
            res.peak_rss = max(res.peak_rss, int(report["maxrss_kb"]) * 1024)
        else:
            res.wall_s = time.monotonic() - start
            res.exit_code, res.signal = -signal.SIGKILL, signal.SIGKILL
            if not res.killed:
                self.kill()
        res.time_s = res.cpu_s
        if not res.started and not res.killed:
            res.bwrap_error = res.stderr.decode(errors="replace").strip()[-500:] or f"exit status {res.exit_code}"
        return res
