"""The seccomp denylists every sandboxed program runs under, compiled to BPF by libseccomp (pyseccomp).

Two filters, stacked. The sandbox filter is installed once by the sandbox's server, before it
forks any test, so every test's process inherits it for free. The namespace and mount calls that
build a test's world are refused by the world filter, which each test's process installs itself
once its world is built, before any untrusted code runs (sandbox/server.py). Splitting them keeps
the per-test one small: the kernel's cost of installing a filter grows with its length.

A denylist, not an allowlist: Python and its C extensions use many syscalls, and the namespaces and
the unprivileged uid already take away what root would have. What is denied here is what could
still reach outside the sandbox or attack the kernel: tracing and reading other processes, mounting,
keyrings, BPF, perf, userfaultfd, io_uring (which bypasses seccomp), kernel modules, sockets other
than unix ones, and making new namespaces (clone/unshare with CLONE_NEW*; clone3 answers ENOSYS so libc falls back to clone, whose
flags we can inspect).
"""

from __future__ import annotations

import errno
import os
import socket
from functools import cache

# Refused from the moment a test's world is built (the world filter).
WORLD_BUILDING = ("mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig",
                  "fsmount", "fspick", "mount_setattr", "unshare", "setns")
# Refused for the whole sandbox (the sandbox filter).
DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
    "swapon", "swapoff", "acct", "quotactl", "open_by_handle_at", "name_to_handle_at",
    "syslog", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "vhangup",
    "iopl", "ioperm", "fanotify_init", "lookup_dcookie", "uselib", "nfsservctl",
    # Memory the limit could not see: System V segments and memfds live on without being mapped by
    # anyone (POSIX shm lives in the test's own /dev/shm, whose pages the memory limit counts).
    "shmget", "semget", "msgget", "memfd_create", "memfd_secret",
    # POSIX message queues: with these refused, and System V IPC above, nothing a test could make
    # lives in the IPC namespace, so tests need no IPC namespace of their own.
    "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
)
# Limits, priority and scheduling of *another* process (the argument naming it is not 0 = self):
# refused, so that a program cannot make the sandbox's own processes crash (a tiny stack limit) or starve. Its
# own are still its to change (setrlimit, nice, sched_setaffinity(0, ...)).
OTHER_PROCESS_ARG = {"prlimit64": 0, "setpriority": 1, "sched_setaffinity": 0, "sched_setscheduler": 0,
                     "sched_setparam": 0, "sched_setattr": 0, "ioprio_set": 1}
# Sockets of any family but AF_UNIX (IP, netlink, packet, crypto, ...) answer EAFNOSUPPORT, as on a
# kernel without them: a program has no network at all, not even loopback, and a network namespace
# can then differ from a new one only in its unix sockets, which /proc/net/sockstat counts (the check
# before each test's reuse of one is one small file, sandbox/server.py), and none of the kernel's IP
# code is reachable. Programs that run processes or event loops still work: pipes, socketpair(AF_UNIX).
SOCKET_CALLS = ("socket", "socketpair")
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET
CLONE_NEW_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)


class SeccompUnavailable(RuntimeError):
    """pyseccomp or libseccomp is missing; the message says which."""


def _filter():
    try:
        import pyseccomp as sc
    except ImportError as err:  # missing wheel or missing libseccomp.so.2
        raise SeccompUnavailable(
            f"the seccomp filter needs pyseccomp and libseccomp2 ({err}); "
            "install them with `pip install pyseccomp` and `apt-get install libseccomp2`"
        ) from None
    return sc, sc.SyscallFilter(sc.ALLOW), sc.ERRNO(errno.EPERM)


def _deny(flt, action, names) -> None:
    for name in names:
        try:
            flt.add_rule(action, name)
        except (ValueError, RuntimeError, OSError):
            pass  # a syscall this architecture does not have


def _bpf(flt) -> bytes:
    read_fd, write_fd = os.pipe()
    try:
        with os.fdopen(write_fd, "wb") as sink:
            flt.export_bpf(sink)
        chunks = []
        while chunk := os.read(read_fd, 65536):
            chunks.append(chunk)
    finally:
        os.close(read_fd)
    return b"".join(chunks)


@cache
def sandbox_bpf() -> bytes:
    """The sandbox filter (struct sock_filter[]): installed once by the server."""
    sc, flt, deny = _filter()
    _deny(flt, deny, DENIED)
    for name, arg in OTHER_PROCESS_ARG.items():
        try:
            flt.add_rule(deny, name, sc.Arg(arg, sc.NE, 0))
        except (ValueError, RuntimeError, OSError):
            pass
    _deny(flt, sc.ERRNO(errno.ENOSYS), ["clone3"])
    return _bpf(flt)


@cache
def world_bpf() -> bytes:
    """The world filter: installed by each test's process once its namespaces and mounts are made."""
    sc, flt, deny = _filter()
    _deny(flt, deny, WORLD_BUILDING)
    for flag in CLONE_NEW_FLAGS:
        flt.add_rule(deny, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    for name in SOCKET_CALLS:
        flt.add_rule(sc.ERRNO(errno.EAFNOSUPPORT), name, sc.Arg(0, sc.NE, socket.AF_UNIX))
    return _bpf(flt)
