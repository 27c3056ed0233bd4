# ruff: noqa: S102, S110, BLE001, PTH, PLR2004
"""Trusted code that runs INSIDE a warm sandbox as its PID 1 (stdlib only): fresh namespaces per test.

Started as `python3 -I /box/server.py CTL_FD MODULES` (MODULES: the prelude's, comma-separated), with capabilities in the sandbox's own user namespace
(bwrap --cap-add ALL; they mean nothing outside it). It loads /box/launch.py and /box/seccomp.bpf
once. Each test gets its own world, made from forks of this already started interpreter:

    server ── init (PID 1 of the test's own PID namespace) ── program (always PID 2)

(The server serves from PID 1 of a PID namespace of its own, below bwrap's: only there may it set
its own PID namespace back after unsharing one for a test's init. bwrap's PID 1 just waits for it.)

- init is forked (the server unshares a PID namespace for that one fork, then sets its own back) *before* the test
  arrives, while the previous test runs: on a busy machine a new process waits for a CPU, and this
  keeps that wait off the test's path. It unshares network, IPC and mount namespaces, mounts a fresh
  /tmp and /dev/shm (size= and nr_inodes= capped), remounts /dev read-only, mounts a new /proc and
  waits. Given the test (a JSON request plus the test's stdin, stdout, stderr, status and program
  fds on its socket), it forks the program, drops every capability and makes itself non-dumpable.
  It alone holds the status fd the judge reads: the program reports to it over a pipe, it keeps at
  most `result_cap` bytes and hands on one checked, compact message (so what user code writes never
  reaches the judge's parser; the parsing happens here, under the test's limits). When the program
  has been reaped it reports "status cpu maxrss" to the server and exits, and the kernel kills
  everything left in the namespace.
- program: its own session, no capabilities (bounding and ambient sets cleared), no_new_privs, the
  seccomp denylist, then the launcher.

Files, POSIX queues, sockets (TIME_WAIT, abstract names), PIDs, xattrs or mode bits of /tmp: nothing
a test makes is visible to the next one. The server is outside the test's PID namespace, so
prlimit, setpriority, sched_* and kill cannot name it; init lives for one test only.

The report to the supervisor is {"status", "wall", "cpu", "maxrss_kb"}: the program's wait status
and init's RUSAGE_CHILDREN (every reaped process is counted in its reaper's rusage; what is still
running when the program ends is killed, and was seen by the supervisor's /proc poll).
"""

import ctypes
import fcntl
import gc
import json
import os
import resource
import selectors
import signal
import socket
import struct
import sys
import time

PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, PR_CAP_AMBIENT = 4, 24, 38, 22, 47
SECCOMP_MODE_FILTER, PR_CAP_AMBIENT_CLEAR_ALL = 2, 4
CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWPID = 0x20000, 0x08000000, 0x40000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
    1, 2, 4, 8, 32, 4096, 16384, 1 << 18)
libc = ctypes.CDLL(None, use_errno=True)
launcher = seccomp_bpf = None  # set by main()


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


def check(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def prctl(*args):
    return libc.prctl(*(ctypes.c_ulong(a) if isinstance(a, int) else a for a in args))


def mount(source, target, fstype, flags, data=None):
    check(libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None, ctypes.c_ulong(flags),
                     data.encode() if data else None), f"mount {target}")


def drop_capabilities():
    """No capability left in any set (bounding and ambient included): nothing to regain by exec."""
    for cap in range(64):
        if prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break  # past the last capability this kernel knows
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    data = (ctypes.c_uint32 * 6)()
    check(libc.capset(ctypes.byref(CapHeader(0x20080522, 0)), data), "capset")


def install_seccomp():
    check(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    buf = ctypes.create_string_buffer(seccomp_bpf, len(seccomp_bpf))
    prog = SockFprog(len(seccomp_bpf) // 8, ctypes.addressof(buf))
    check(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0), "seccomp")


def close_from(lowest, keep=()):
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd >= lowest and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass  # the directory's own fd, already closed by listdir


def say(fd, err):
    """One line about our own failure, for the judge's SE detail."""
    try:
        os.write(fd, f"sandbox: {err}\n".encode())
    except OSError:
        pass


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def loopback_up():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        ifr = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(s, 0x8913, ifr))[1]  # SIOCGIFFLAGS
        fcntl.ioctl(s, 0x8914, struct.pack("16sh", b"lo", flags | 1))  # SIOCSIFFLAGS |= IFF_UP
    finally:
        s.close()


def mount_flags(path):
    """The flags `path` is mounted with (a remount must keep the ones locked by the user namespace)."""
    flag = os.statvfs(path).f_flag
    return (flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC | 1024 | 2048)) | ((1 << 21) if flag & 4096 else 0)


def fresh_world(req):
    """In `init`: the test's own network, IPC and mount namespaces and scratch filesystems."""
    check(libc.unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWNS), "unshare")
    mount("none", "/", None, MS_REC | MS_PRIVATE)
    opts = f"size={int(req['tmp_bytes'])},nr_inodes={int(req['tmp_inodes'])},mode=1777"
    for target in ("/tmp", "/dev/shm"):
        mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, opts)
    mount("none", "/dev", None, MS_REMOUNT | MS_BIND | MS_RDONLY | mount_flags("/dev"))
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    loopback_up()
    os.chdir("/tmp")


def program(argv):
    """PID 2 of the test: fds 0-2 are the test's streams, 3 the pipe to init, 4 the program. It
    inherits init's state: no capabilities, no_new_privs, the seccomp filter."""
    os.setsid()
    gc.enable()
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as a new interpreter has them (init's
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # are PID 1's): KeyboardInterrupt, BrokenPipeError
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # as after exec: the supervisor reads its /proc files
    launcher["forked_main"](argv)


def collect(result_r, child, cap):
    """Read the program's report (at most `cap` bytes are kept) while reaping every process that
    ends in the namespace, until the program itself has been reaped. Returns (data, overflow, status)."""
    chunks, size, overflow, status = [], 0, False, None
    pidfd = os.pidfd_open(child)
    os.set_blocking(result_r, False)
    sel = selectors.DefaultSelector()
    sel.register(result_r, selectors.EVENT_READ)
    sel.register(pidfd, selectors.EVENT_READ)
    eof = False
    while status is None:
        sel.select(0.05)  # orphans end here too: reaped at least every 50 ms
        while not eof:
            try:
                chunk = os.read(result_r, 1 << 16)
            except BlockingIOError:
                break
            if not chunk:
                sel.unregister(result_r)
                eof = True
                break
            if size + len(chunk) > cap + 1:
                overflow = True  # drain, keep nothing more
            else:
                chunks.append(chunk)
                size += len(chunk)
        while True:
            try:
                pid, st = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if pid == child:
                status = st
    try:  # what it wrote before it ended (a descendant may still hold the pipe: do not wait for EOF)
        while not eof and (chunk := os.read(result_r, 1 << 16)) and not overflow:
            if size + len(chunk) > cap + 1:
                overflow = True
            else:
                chunks.append(chunk)
                size += len(chunk)
    except (BlockingIOError, OSError):
        pass
    return b"".join(chunks), overflow, status


def init(sock, report_w, params):
    """PID 1 of a test's PID namespace, made before the test arrives: build its world, fork the
    program's process (PID 2, which waits too), wait for the test on `sock`, pass it on, hand the
    judge one checked message, report to the server."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, signal.SIG_DFL)  # PID 1 ignores default-action signals from its namespace
    gc.disable()  # short-lived: collections would only dirty (copy) the pages shared with the server
    fresh_world(params)
    close_from(3, keep=(sock.fileno(), report_w))
    drop_capabilities()  # from here on, init and the program it forks are as the program must be
    install_seccomp()
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # the program may not read our memory or descriptors
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    child = os.fork()  # the program's process, made now too: it waits for its test below
    if child == 0:
        try:
            sock.close()
            mine.close()
            os.close(report_w)
            msg, fds, _, _ = socket.recv_fds(theirs, 1 << 20, 5, socket.MSG_CMSG_CLOEXEC)
            if not msg:
                os._exit(0)
            for target, fd in enumerate([os.dup(fd) for fd in fds]):
                os.dup2(fd, target)
            close_from(5)
            program(json.loads(msg))
        except BaseException as err:
            say(2, err)
        finally:
            os._exit(127)
    theirs.close()
    try:
        msg, fds, _, _ = socket.recv_fds(sock, 1 << 20, 5, socket.MSG_CMSG_CLOEXEC)
    except OSError:
        os._exit(0)
    if not msg:
        os._exit(0)  # the server chose not to use this one
    sock.close()
    req = json.loads(msg)
    result_r, result_w = os.pipe()
    socket.send_fds(mine, [json.dumps(req["argv"]).encode()], [*fds[:3], result_w, fds[4]])
    mine.close()
    status_fd = fds[3]
    for fd in (result_w, fds[0], fds[1], fds[2], fds[4]):
        os.close(fd)
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(50000)  # as the launcher: results may hold integers that long
    data, overflow, status = collect(result_r, child, req["result_cap"])
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the program and everything reaped here
    write_all(status_fd, canonical(data, req["argv"][0], req["result_cap"], overflow))
    os.close(status_fd)
    write_all(report_w, f"{status} {usage.ru_utime + usage.ru_stime} {usage.ru_maxrss}\n".encode())
    os._exit(0)  # the kernel now kills every process left in the namespace


def canonical(data, mode, cap, overflow):
    """The one message handed to the judge: "R" (started) then, for call mode, compact JSON that
    was parsed and checked here, inside the sandbox, under the test's limits."""
    if not data.startswith(b"R"):
        return b""
    if mode != "call":
        return b"R"
    body = data[1:]
    if overflow:
        return b"R" + json.dumps({"oversize": cap}).encode()
    if not body:
        return b"R"
    try:
        msg = json.loads(body, parse_constant=lambda name: 1 / 0)
        if not isinstance(msg, dict):
            raise TypeError
        if "error" in msg:
            msg = {"error": str(msg["error"])[:500]}
        else:
            special = msg["special"]
            if not isinstance(special, list) or not all(
                    isinstance(s, list) and len(s) == 3 and isinstance(s[0], list) and isinstance(s[1], str)
                    for s in special):
                raise ValueError
            msg = {"value": msg["value"], "special": special}
        return b"R" + json.dumps(msg, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    except BaseException:
        return b"R" + json.dumps({"error": "malformed result message"}).encode()


class Pending:
    """A test's init, in its fresh namespaces or getting there, waiting for the test (see `prepare`)."""

    def __init__(self, params, sock, report_r, pid):
        self.params, self.sock, self.report_r, self.pid = params, sock, report_r, pid

    def discard(self):
        self.sock.close()  # it exits on EOF
        os.close(self.report_r)


def prepare(ctl, params, home_ns):
    """Fork the next test's init, PID 1 of a new PID namespace, before the test arrives (creating
    processes on a busy machine waits for a CPU, so it is done between tests). The namespace is
    unshared for that one fork, then `home_ns` (our own) is set back for the next ones: no helper
    process, which only works because we run in a PID namespace our user namespace owns (`main`)."""
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    report_r, report_w = os.pipe()
    check(libc.unshare(CLONE_NEWPID), "unshare pid")
    try:
        pid = os.fork()
        if pid == 0:
            try:
                ctl.close()
                mine.close()
                os.close(report_r)
                init(theirs, report_w, params)
            except BaseException as err:
                say(2, err)
            finally:
                os._exit(127)
    finally:
        check(libc.setns(home_ns, CLONE_NEWPID), "setns pid")
    theirs.close()
    os.close(report_w)
    return Pending(params, mine, report_r, pid)


def reap(pids):
    for pid in list(pids):
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == 0:
                continue
        except ChildProcessError:
            pass
        pids.remove(pid)


def main():
    global launcher, seccomp_bpf
    ctl = socket.socket(fileno=int(sys.argv[1]))
    os.set_inheritable(ctl.fileno(), False)
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    namespace = {"__name__": "evalkit_launcher"}
    with open("/box/launch.py", "rb") as f:
        exec(compile(f.read(), "/box/launch.py", "exec"), namespace)
    launcher = namespace
    for name in filter(None, (sys.argv[2] if len(sys.argv) > 2 else "").split(",")):
        try:  # the prelude's modules, imported once here instead of in every test (each test is a fork)
            __import__(name)
        except Exception:
            pass  # an older interpreter without it: the test imports (and fails) as it would have
    with open("/box/seccomp.bpf", "rb") as f:
        seccomp_bpf = f.read()
    os.chdir("/")
    gc.freeze()  # what is loaded now is never collected: forked children do not touch (copy) it
    # bwrap's PID namespace belongs to a user namespace above ours (--disable-userns nests one), so
    # setns back to it is refused: serve from PID 1 of a PID namespace of our own instead, from which
    # each test's namespace is one unshare + fork + setns (see `prepare`). This process only waits.
    check(libc.unshare(CLONE_NEWPID), "unshare pid")
    home = os.fork()
    if home != 0:
        ctl.close()
        os.waitpid(home, 0)
        os._exit(0)
    home_ns = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
    pending, previous = None, []
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(ctl, 1 << 20, 5, socket.MSG_CMSG_CLOEXEC)
        except OSError:
            return
        if not msg:
            return
        req = json.loads(msg)
        params = {"tmp_bytes": int(req["tmp_bytes"]), "tmp_inodes": int(req["tmp_inodes"])}
        if pending is not None and pending.params != params:
            pending.discard()
            previous.append(pending.pid)
            pending = None
        if pending is None:
            pending = prepare(ctl, params, home_ns)
        start = time.monotonic()
        current, pending = pending, None
        try:
            socket.send_fds(current.sock, [msg], fds)
        except OSError:
            pass  # its init died: reported below as a test that never ran
        for fd in fds:
            os.close(fd)
        ctl.send(json.dumps({"init": current.pid}).encode())  # which process the supervisor watches
        pending = prepare(ctl, params, home_ns)  # the next test's init, made while this test runs
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = os.read(current.report_r, 256)
            if not chunk:
                break
            reply += chunk
        wall = time.monotonic() - start
        current.discard()
        previous.append(current.pid)
        reap(previous)  # earlier inits: their namespaces take the kernel a while
        try:
            status, cpu, maxrss = (int(x) if i != 1 else float(x) for i, x in enumerate(reply.split()[:3]))
        except ValueError:
            status, cpu, maxrss = 127 << 8, 0.0, 0
        ctl.send(json.dumps({"status": status, "wall": wall, "cpu": cpu, "maxrss_kb": maxrss}).encode())


main()
