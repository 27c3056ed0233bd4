"""What a test's processes use, read from outside in /proc: memory, CPU time, and its tmpfs pages.

Memory is PSS summed over the processes (forked children share pages), read through any live
thread so that a process whose main thread has exited is still seen, plus the bytes held on the
test's own tmpfs mounts (files there, open or deleted, are memory too). CPU time is
utime+stime+cutime+cstime of every live process: a process that has been reaped is counted in its
reaper's cutime, so the sum covers every process and thread the test ever ran.
Files are read as bytes: process names are the program's and need not be UTF-8.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")
SCRATCH = ("tmp", "dev/shm")


def read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def tasks(pid: int) -> list[str]:
    try:
        return os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []


def tree(root: int) -> list[tuple[int, int]]:
    """(pid, depth) of `root` and its descendants, through /proc/PID/task/TID/children."""
    out, todo = [], [(root, 0)]
    while todo:
        pid, depth = todo.pop()
        out.append((pid, depth))
        for tid in tasks(pid):
            kids = read(f"/proc/{pid}/task/{tid}/children")
            if kids:
                todo.extend((int(k), depth + 1) for k in kids.split())
    return out


def _field(text: bytes, name: bytes) -> int | None:
    for line in text.splitlines():
        if line.startswith(name):
            return int(line.split()[1]) * 1024
    return None


def memory_of(pid: int, proportional: bool) -> int:
    """PSS (or RSS for a lone process) of `pid`, from the first of its threads that still has an
    address space: the leader's files read empty once the main thread has exited."""
    bases = [f"/proc/{pid}"] + [f"/proc/{pid}/task/{tid}" for tid in tasks(pid) if tid != str(pid)]
    for base in bases:
        if proportional:
            text = read(base + "/smaps_rollup")
            value = _field(text, b"Pss:") if text else None
        else:
            text = read(base + "/statm")
            value = int(text.split()[1]) * PAGE if text and text.split()[1:2] != [b"0"] else None
        if value:
            return value
    return 0


def children(pid: int) -> list[int]:
    kids = read(f"/proc/{pid}/task/{pid}/children")
    return [int(k) for k in kids.split()] if kids else []


def cpu_of(pid: int) -> float:
    stat = read(f"/proc/{pid}/stat")
    if not stat:
        return 0.0
    fields = stat.rsplit(b")", 1)[-1].split()  # the name in (...) may hold spaces, ')' or any byte
    try:
        return sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICKS
    except (IndexError, ValueError):
        return 0.0


def scratch_bytes(pid: int) -> int:
    """Bytes used on the tmpfs mounts seen by `pid` (the test's own /tmp and /dev/shm)."""
    used = 0
    for mount in SCRATCH:
        try:
            st = os.statvfs(f"/proc/{pid}/root/{mount}")
        except OSError:
            continue
        used += (st.f_blocks - st.f_bfree) * st.f_frsize
    return used


def host_pid(root: int, inner: int) -> int | None:
    """The host PID of the descendant of `root` whose PID is `inner` in the namespace of `root`'s
    child (the sandbox's server serves from PID 1 of a PID namespace below `root`'s: NSpid's third)."""
    for pid, depth in tree(root):
        if depth == 0:
            continue
        for line in (read(f"/proc/{pid}/status") or b"").splitlines():
            if line.startswith(b"NSpid:"):
                ids = line.split()[1:]
                if len(ids) > 2 and int(ids[2]) == inner:
                    return pid
                break
    return None


@dataclass
class Sample:
    memory: int = 0
    cpu_s: float = 0.0
    processes: int = 0


def sample(root: int, *, scratch: bool = False) -> Sample:
    """Memory and CPU of `root` and its descendants; with `scratch`, the bytes on `root`'s tmpfs
    mounts (the test's init: its /tmp and /dev/shm are the test's) count as memory too."""
    procs = tree(root)
    out = Sample(processes=len(procs))
    proportional = len(procs) > 1
    for pid, _ in procs:
        out.memory += memory_of(pid, proportional)
        out.cpu_s += cpu_of(pid)
    if scratch:
        out.memory += scratch_bytes(root)
    return out
