"""How a program gets its walls: the bubblewrap command line, the uid it runs as, and a preflight.

bubblewrap (Debian/Ubuntu package `bubblewrap`) gives each worker's sandbox new user, PID, network,
IPC, UTS, cgroup and mount namespaces, a read-only view of /usr (plus the interpreter's prefix),
only /dev/null, /dev/zero and /dev/urandom, a cleared environment plus an allow-list. Inside it,
the server gives every test fresh PID and mount namespaces with its own tmpfs /tmp and /dev/shm and a
network namespace as a new one is, then drops all capabilities and applies our seccomp filters
(sandbox/server.py). When the runner is root it
first drops to a dedicated unprivileged host uid per worker slot, so even the sandbox's mapped uid is
nobody on the host. Isolation that cannot be had is refused with the reason; running without it is a
separate, explicit opt-in (`Limits.unsafe_no_sandbox`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sandbox.seccomp import SeccompUnavailable, sandbox_bpf, world_bpf

SANDBOX_UID = 65534  # uid/gid inside the sandbox
SLOT_UID_BASE = 1_990_000_000  # host uid of worker slot i when the runner is root (unused range)
ENV_PYTHON = "EVALKIT_SANDBOX_PYTHON"
ENV_ALLOW = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": "/tmp",
             "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1"}
TOP_LEVEL = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


class IsolationUnavailable(RuntimeError):
    """The sandbox cannot be built here; the message says what is missing and how to get it."""


def sandbox_python() -> str:
    """The interpreter programs run under: $EVALKIT_SANDBOX_PYTHON, else the system python3."""
    chosen = os.environ.get(ENV_PYTHON) or shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")
    if not chosen:
        raise IsolationUnavailable(f"no python3 found for sandboxed programs; set {ENV_PYTHON}.")
    return os.path.realpath(chosen)


def _interpreter_binds(python: str) -> list[str]:
    """Bind the interpreter's prefix when it lives outside /usr (pyenv, conda, /opt)."""
    if python.startswith("/usr/"):
        return []
    prefix = str(Path(python).parent.parent)
    return ["--ro-bind", prefix, prefix]


@dataclass(frozen=True)
class Walls:
    """Everything fixed per process: the bwrap binary, the interpreter, the seccomp programs (sandbox, world)."""

    bwrap: str
    python: str
    seccomp: tuple[bytes, bytes]
    drop_to_slot_uid: bool
    setpriv: str = "setpriv"

    def argv(self, *, tmp_bytes: int, files: dict[str, int], status_fd: int, command: list[str]) -> list[str]:
        """bwrap command line; `files` maps sandbox paths to fds whose content is copied there.
        The command keeps capabilities inside the sandbox's user namespace (only there do they mean
        anything): the server needs them to build each test's namespaces and drops them all in the
        test's processes, which also get the seccomp filter from it (see sandbox/server.py)."""
        args = [self.bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
                "--as-pid-1", "--cap-add", "ALL",
                "--hostname", "sandbox", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--clearenv"]
        for key, value in ENV_ALLOW.items():
            args += ["--setenv", key, value]
        args += ["--ro-bind", "/usr", "/usr"]
        for top in TOP_LEVEL:
            if os.path.islink(top):
                args += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                args += ["--ro-bind", top, top]
        args += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
        args += _interpreter_binds(self.python)
        args += ["--proc", "/proc", "--size", str(1 << 20), "--tmpfs", "/dev"]
        for dev in ("null", "zero", "urandom"):
            args += ["--dev-bind", f"/dev/{dev}", f"/dev/{dev}"]
        for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                             ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
            args += ["--symlink", target, f"/dev/{name}"]
        args += ["--size", str(tmp_bytes), "--tmpfs", "/dev/shm", "--size", str(tmp_bytes), "--tmpfs", "/tmp"]
        for dest, fd in files.items():
            args += ["--perms", "0444", "--ro-bind-data", str(fd), dest]
        args += ["--remount-ro", "/", "--chdir", "/", "--json-status-fd", str(status_fd), "--"]
        return args + command

    def drop_privileges(self, slot: int) -> list[str]:
        """`setpriv` prefix that runs bwrap as the slot's unprivileged uid when we are root. (Not
        Popen(user=...): that forces fork() of a possibly huge parent instead of vfork().)"""
        if not self.drop_to_slot_uid:
            return []
        uid = str(SLOT_UID_BASE + slot)
        return [self.setpriv, "--reuid", uid, "--regid", uid, "--clear-groups", "--"]


@cache
def walls() -> Walls:
    """Check once per process that the sandbox can be built; raise IsolationUnavailable if not."""
    if not sys.platform.startswith("linux"):
        raise IsolationUnavailable("the sandbox needs Linux namespaces; this is " + sys.platform + ".")
    bwrap = shutil.which("bwrap")
    if not bwrap:
        raise IsolationUnavailable(
            "bubblewrap (`bwrap`) is not installed; install it with `apt-get install bubblewrap` "
            "(Fedora: `dnf install bubblewrap`)."
        )
    try:
        seccomp = (sandbox_bpf(), world_bpf())
    except SeccompUnavailable as err:
        raise IsolationUnavailable(str(err)) from None
    root = os.geteuid() == 0
    setpriv = shutil.which("setpriv") or ""
    if root and not setpriv:
        raise IsolationUnavailable("running as root needs `setpriv` (util-linux) to drop to an unprivileged uid.")
    candidate = Walls(bwrap, sandbox_python(), seccomp, root, setpriv)
    _probe(candidate)
    return candidate


# What the server does (sandbox/server.py), tried once: a mount and a PID namespace of its own, and per
# test new PID (unshare, then setns back), network and mount namespaces and a tmpfs mount, with the
# capabilities bwrap leaves inside the sandbox.
_PROBE_SCRIPT = (
    "import ctypes, os\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "def need(ret, what):\n"
    "    if ret != 0:\n"
    "        raise SystemExit(what + ': ' + os.strerror(ctypes.get_errno()))\n"
    "need(libc.unshare(0x20000), 'unshare(CLONE_NEWNS)')\n"
    "need(libc.mount(b'none', b'/', None, ctypes.c_ulong(16384 | (1 << 18)), None), 'mount --make-rprivate /')\n"
    "need(libc.unshare(0x20000000), 'unshare(CLONE_NEWPID)')\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    home = os.open('/proc/self/ns/pid', os.O_RDONLY)\n"
    "    need(libc.unshare(0x20000000), 'unshare(CLONE_NEWPID) in a PID namespace of our own')\n"
    "    need(libc.setns(home, 0x20000000), 'setns(CLONE_NEWPID) back to our own PID namespace')\n"
    "    need(libc.unshare(0x20000 | 0x40000000), 'unshare(CLONE_NEWNS|CLONE_NEWNET)')\n"
    "    need(libc.mount(b'tmpfs', b'/tmp', b'tmpfs', ctypes.c_ulong(6), b'size=1m,nr_inodes=64'), 'mount tmpfs')\n"
    "    os._exit(0)\n"
    "raise SystemExit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))\n"
)


def _probe(w: Walls) -> None:
    """Build the same namespaces (and, inside, a test's) to turn kernel refusals into one clear sentence."""
    cmd = w.drop_privileges(0) + [w.bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
                                  "--cap-add", "ALL", "--uid", str(SANDBOX_UID), "--ro-bind", "/usr", "/usr",
                                  "--tmpfs", "/tmp", "--proc", "/proc"]
    for top in TOP_LEVEL:
        if os.path.islink(top):
            cmd += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            cmd += ["--ro-bind", top, top]
    cmd += _interpreter_binds(w.python) + [w.python, "-I", "-c", _PROBE_SCRIPT]
    try:
        done = subprocess.run(cmd, check=False, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as err:
        raise IsolationUnavailable(f"bubblewrap could not start ({err}).") from None
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        raise IsolationUnavailable(
            "bubblewrap cannot create the sandbox here: "
            + (detail[-1] if detail else f"exit status {done.returncode}")
            + ". It needs unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 and "
            "user.max_user_namespaces > 0; on Ubuntu 24.04+ an AppArmor profile allowing userns for bwrap; "
            "inside a container, one that lets the sandbox make PID, network, IPC and mount namespaces), "
            f"and {w.python} readable by an unprivileged user (set {ENV_PYTHON} to choose another)."
        )
