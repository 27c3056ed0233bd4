# ruff: noqa: S110, BLE001, PTH
"""Trusted code that runs INSIDE a warm sandbox as its PID 1 (stdlib only): one fresh process per test.

Started as `python3 -I /box/server.py CTL_FD PYTHON`. It loads /box/launch.py once. For each request
on CTL_FD (a unix seqpacket socket: JSON launcher arguments plus the test's stdin, stdout, stderr,
status and program fds) it forks a child that puts those fds on 0-4, closes every other fd (the
control socket first of all) and runs the launcher's `forked_main`: a new process that has run no
untrusted code before, without the 10-20 ms of starting an interpreter. It waits for the child, then
kills every other process left in the namespace (as PID 1, kill(-1) reaches them all; orphans are reparented to
it), empties /tmp and /dev/shm, and reports {"status", "wall", "cpu", "maxrss_kb", "clean"}. So no
state survives from one test to the next (nor from one program to the next), while the namespaces
are built once per worker.

The program cannot reach this process: PID 1 ignores signals sent from inside its namespace, ptrace
and process_vm_* are refused by seccomp, and it makes itself non-dumpable so /proc/1/mem and
/proc/1/fd stay closed to the same uid.
"""

import ctypes
import json
import os
import shutil
import signal
import socket
import sys
import time

SCRATCH = ("/tmp", "/dev/shm")
PR_SET_DUMPABLE = 4
launcher = prctl = None  # set by main()


def kill_leftovers():
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def wipe():
    def fix(func, path, _exc):
        try:
            os.chmod(os.path.dirname(path), 0o700)
            func(path)
        except OSError:
            pass

    for top in SCRATCH:
        for name in os.listdir(top):
            path = os.path.join(top, name)
            try:
                if os.path.isdir(path) and not os.path.islink(path):
                    os.chmod(path, 0o700)
                    shutil.rmtree(path, onerror=fix)
                else:
                    os.unlink(path)
            except OSError:
                pass
    return not any(os.listdir(top) for top in SCRATCH)


def close_from(lowest):
    for name in os.listdir("/proc/self/fd"):
        if int(name) >= lowest:
            try:
                os.close(int(name))
            except OSError:
                pass  # the directory's own fd, already closed by listdir


def load_launcher():
    """The launcher's functions, compiled once here; each test's child calls `forked_main`."""
    namespace = {"__name__": "evalkit_launcher"}
    with open("/box/launch.py", "rb") as f:
        exec(compile(f.read(), "/box/launch.py", "exec"), namespace)
    return namespace


def main():
    global launcher, prctl
    ctl = socket.socket(fileno=int(sys.argv[1]))
    os.set_inheritable(ctl.fileno(), False)
    prctl = ctypes.CDLL(None).prctl
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    launcher = load_launcher()
    os.chdir("/tmp")
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(ctl, 1 << 20, 5, socket.MSG_CMSG_CLOEXEC)
        except OSError:
            return
        if not msg:
            return
        argv = json.loads(msg)
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:
            try:
                high = [os.dup(fd) for fd in fds]
                for target, fd in enumerate(high):
                    os.dup2(fd, target)
                close_from(5)  # the control socket and every other fd of ours: out of reach
                prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # as after exec: the supervisor reads its /proc files
                launcher["forked_main"](argv)
            finally:
                os._exit(127)
        for fd in fds:
            os.close(fd)
        _, status, usage = os.wait4(pid, 0)
        wall = time.monotonic() - start
        kill_leftovers()
        clean = wipe()
        ctl.send(json.dumps({"status": status, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                             "maxrss_kb": usage.ru_maxrss, "clean": clean}).encode())


main()
