# ruff: noqa: S102, BLE001, PTH, PLR2004
"""Trusted code that runs INSIDE a warm sandbox as its PID 1 (stdlib only): fresh namespaces per test.

Started as `python3 -I /box/server.py CTL_FD`, with capabilities in the sandbox's own user namespace
(bwrap --cap-add ALL; they mean nothing outside it). It loads /box/launch.py and /box/seccomp.bpf
once. For each request on CTL_FD (a unix seqpacket socket: a JSON object plus the test's stdin,
stdout, stderr, status and program fds) it builds one test's world from three forks:

    server ── relay ── init (PID 1 of a new PID namespace) ── program (always PID 2)

- relay: unshares a PID namespace and forks `init`; it alone holds the status fd to the judge. The
  program reports to it over a pipe; it reads at most `result_cap` bytes and hands on one
  well-formed message (or an error), so what user code writes never reaches the judge's parser.
  It is outside the test's PID namespace: the program cannot name it.
- init: unshares network, IPC and mount namespaces and mounts a fresh /tmp and /dev/shm (size= and
  nr_inodes= capped), a read-only /dev and a new /proc; then drops every capability and waits for
  the program. When the program exits, init exits, and the kernel kills everything else in the
  namespace. Files, POSIX queues, sockets (TIME_WAIT, abstract names), PIDs, xattrs or mode bits
  of /tmp: nothing a test makes is visible to the next one, and the server is out of its reach (no
  shared PID namespace: prlimit, setpriority, sched_* and kill cannot name it).
- program: its own session, no capabilities, no_new_privs, the seccomp denylist, then the launcher.

The report {"status", "wall", "cpu", "maxrss_kb"} gives the program's wait status and the CPU time
of the whole tree (every reaped process is counted in its reaper's rusage).
"""

import ctypes
import json
import os
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


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def loopback_up():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        import fcntl

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
    """PID 2 of the test: fds 0-2 are the test's streams, 3 the pipe to the relay, 4 the program."""
    os.setsid()
    drop_capabilities()
    install_seccomp()
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # as after exec: the supervisor reads its /proc files
    launcher["forked_main"](argv)


def init(req, fds, result_w, status_w):
    """PID 1 of the test's PID namespace: build its world, run the program, report its wait status."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, signal.SIG_DFL)  # PID 1 ignores default-action signals from its namespace
    fresh_world(req)
    child = os.fork()
    if child == 0:
        try:
            os.close(status_w)
            for target, fd in enumerate([os.dup(fd) for fd in [*fds[:3], result_w, fds[4]]]):
                os.dup2(fd, target)
            close_from(5)
            program(req["argv"])
        except BaseException as err:
            try:
                os.write(2, f"sandbox: {err}\n".encode())
            except OSError:
                pass
        finally:
            os._exit(127)
    close_from(3, keep=(status_w,))
    drop_capabilities()
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    while True:
        pid, status = os.waitpid(-1, 0)
        if pid == child:
            write_all(status_w, b"%d\n" % status)
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


def relay(req, fds, report_w):
    """The server's child for one test: owns the status fd; forks the test's init in a new PID namespace."""
    status_fd = fds[3]
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(50000)  # as the launcher: results may hold integers that long
    result_r, result_w = os.pipe()
    wait_r, wait_w = os.pipe()
    check(libc.unshare(CLONE_NEWPID), "unshare pid")
    child = os.fork()
    if child == 0:
        try:
            os.close(result_r)
            os.close(wait_r)
            os.close(report_w)
            os.close(status_fd)
            init(req, fds, result_w, wait_w)
        except BaseException as err:
            try:
                os.write(fds[2], f"sandbox: {err}\n".encode())
            except OSError:
                pass
        finally:
            os._exit(127)
    for fd in (result_w, wait_w, fds[0], fds[1], fds[2], fds[4]):
        os.close(fd)
    drop_capabilities()
    cap, chunks, size, overflow = req["result_cap"], [], 0, False
    while True:  # until every holder of the pipe is gone (they all die with init)
        chunk = os.read(result_r, 1 << 16)
        if not chunk:
            break
        if size + len(chunk) > cap + 1:
            overflow = True
            continue  # drain, keep nothing more
        chunks.append(chunk)
        size += len(chunk)
    os.waitpid(child, 0)
    reply = os.read(wait_r, 64)
    write_all(status_fd, canonical(b"".join(chunks), req["argv"][0], cap, overflow))
    os.close(status_fd)
    write_all(report_w, reply or b"32512\n")  # 127 << 8: the test's process never ran
    os._exit(0)


def main():
    global launcher, seccomp_bpf
    ctl = socket.socket(fileno=int(sys.argv[1]))
    os.set_inheritable(ctl.fileno(), False)
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    namespace = {"__name__": "evalkit_launcher"}
    with open("/box/launch.py", "rb") as f:
        exec(compile(f.read(), "/box/launch.py", "exec"), namespace)
    launcher = namespace
    with open("/box/seccomp.bpf", "rb") as f:
        seccomp_bpf = f.read()
    os.chdir("/")
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(ctl, 1 << 20, 5, socket.MSG_CMSG_CLOEXEC)
        except OSError:
            return
        if not msg:
            return
        req = json.loads(msg)
        report_r, report_w = os.pipe()
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:
            try:
                ctl.close()
                os.close(report_r)
                relay(req, fds, report_w)
            except BaseException as err:
                try:
                    os.write(fds[2], f"sandbox: {err}\n".encode())
                except OSError:
                    pass
            finally:
                os._exit(127)
        for fd in (*fds, report_w):
            os.close(fd)
        _, _, usage = os.wait4(pid, 0)
        wall = time.monotonic() - start
        reply = os.read(report_r, 64)
        os.close(report_r)
        status = int(reply) if reply.strip().isdigit() else 127 << 8
        while True:  # nothing else should be left; reap it if it is
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        ctl.send(json.dumps({"status": status, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                             "maxrss_kb": usage.ru_maxrss}).encode())


main()
