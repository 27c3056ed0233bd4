# ruff: noqa: S102, S110, BLE001, PTH, PLR2004
"""Trusted code that runs INSIDE a warm sandbox as its PID 1 (stdlib only): fresh namespaces per test.

Started by `python3 -I /box/boot.py CTL_FD MODULES MESSAGE_MAX` (sandbox/boot.py, which compiles
this file and /box/launch.py apart and calls `main` with the launcher's code; MODULES: the
prelude's, comma-separated; MESSAGE_MAX: the largest message either way on the control socket,
which the judge checks its requests against), with capabilities in the sandbox's own user
namespace (bwrap --cap-add ALL; they mean nothing outside it). It loads the launcher and the two
seccomp filters once. Each test gets its own
world, made from one fork of this already started interpreter, by a copy of it that does nothing
else (`zygote`):

    server (requests, results, reports) ── zygote ── the test's process (PID 1 of its own PID
                                                      namespace, then the program)

(The server serves from PID 1 of a PID namespace of its own, below bwrap's: only there may a
process set its PID namespace back after unsharing one for a fork. bwrap's PID 1 just waits.)

- At start, once: a mount namespace of our own (all private, /dev read-only), every capability but
  the two that build a world dropped, the sandbox seccomp filter installed, the zygote forked.
- The zygote never sees a test's data (a forked process starts with a copy of its parent's memory,
  which a program can read). Once, it makes what every test's process would otherwise make or set
  itself, at a cost in pages copied on write: the standard streams (on pipes, as a test's are),
  a new interpreter's signal handlers. Per test, *before* the test arrives (while the judge
  compares the previous test's output: on a busy machine a new process waits for a CPU), it makes
  sure it is in a network namespace exactly as a new one is (`Net`), reseeds `random`, forks the
  test's process and reaps it. The test's process unshares a mount namespace (a copy of the
  server's), mounts a fresh /tmp and /dev/shm (size= and nr_inodes= capped) and a new /proc
  (`fresh_world`), drops its last capabilities, installs the world seccomp filter and waits. Given
  the test (the launcher's argv plus the test's stdin, stdout, stderr, result pipe and program fds
  on its socket) it takes a new session and runs the launcher: the program runs as PID 1 of its
  namespace, so when it exits the kernel kills whatever it left running.
- Only the server writes what the judge reads of a test's result: the program reports on a pipe,
  the server keeps at most `result_cap` bytes and hands on one checked, compact message (so what
  user code writes never reaches the judge's parser; a large call-based result is checked in a
  child under the test's limits, and that CPU is the test's), in its report to the supervisor
  (`report`). It tells the supervisor which process to watch only if the test runs longer than
  SLOW_S (`wait_for_end`).

Files, POSIX queues, sockets (abstract names, in flight; IP sockets are refused), PIDs, xattrs or
mode bits of /tmp, results: nothing a test makes is visible to the next one. The server and the zygote are
outside the test's PID namespace, so prlimit, setpriority, sched_* and kill cannot name them; the
test's process lives for one test only. As PID 1 the program ignores signals it sends itself
without a handler (the kernel's own, such as SIGSEGV or the CPU limit's SIGKILL, still end it).

The report to the supervisor is {"status", "wall", "cpu", "maxrss_kb"}: the test process's wait
status and wait4 rusage (itself and every process of the test reaped by a waiting parent), plus
what checking its result took; then the judge's message. A request is the launcher's argv and the
limits (JSON) with the test's stdin, stdout, stderr and program descriptors.
"""

import ctypes
import errno
import gc
import json
import os
import re
import resource
import select
import signal
import socket
import sys
import time

PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, PR_CAP_AMBIENT = 4, 24, 38, 22, 47
SECCOMP_MODE_FILTER, PR_CAP_AMBIENT_CLEAR_ALL = 2, 4
CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID = 0x20000, 0x40000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
    1, 2, 4, 8, 32, 4096, 16384, 1 << 18)
libc = ctypes.CDLL(None, use_errno=True)
launcher = world_prog = world_buffer = reseed_random = None  # set by main()
message_max = 1 << 16  # set by main(): the largest message on the control socket (so also a test's
# argv) and the receive buffers' size (socket.recv_fds allocates all of it per call)


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


def check(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


_prctl = libc.prctl
_prctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong)


def prctl(option, arg2=0, arg3=0, arg4=0, arg5=0):
    return _prctl(option, arg2, arg3, arg4, arg5)


libc.mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p)


def mount(source, target, fstype, flags, data=None):
    """mount(2); every argument but `flags` bytes or None (made once, not per test)."""
    check(libc.mount(source, target, fstype, flags, data), f"mount {target.decode()}")


# What building a test's world needs: unshare, setns and mount (SYS_ADMIN) and dropping these from
# the bounding set afterwards (SETPCAP).
CAP_SETPCAP, CAP_SYS_ADMIN = 8, 21
WORLD_CAPS = (CAP_SETPCAP, CAP_SYS_ADMIN)


def set_capabilities(keep):
    """Only `keep` in the effective and permitted sets, nothing inheritable or ambient (all < 32)."""
    mask = sum(1 << cap for cap in keep)
    data = (ctypes.c_uint32 * 6)(mask, mask, 0, 0, 0, 0)
    check(libc.capset(ctypes.byref(CapHeader(0x20080522, 0)), data), "capset")


def keep_world_capabilities():
    """In the server, once: every capability but WORLD_CAPS gone from every set, bounding included."""
    for cap in range(64):
        if cap in WORLD_CAPS:
            continue
        if prctl(PR_CAPBSET_DROP, cap) != 0:
            break  # past the last capability this kernel knows
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    set_capabilities(WORLD_CAPS)


def drop_capabilities():
    """In a test's process once its world is built: the last ones gone, so that no capability is left
    in any set (the server kept only WORLD_CAPS): nothing to use, nothing to regain by exec."""
    for cap in WORLD_CAPS:
        check(prctl(PR_CAPBSET_DROP, cap), "drop capability")
    set_capabilities(())


def install_seccomp(prog):
    check(prctl(PR_SET_NO_NEW_PRIVS, 1), "no_new_privs")
    check(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(prog)), "seccomp")


def bpf_program(path):
    """(struct sock_fprog, its buffer) for the filter in `path`; the buffer must outlive its use."""
    with open(path, "rb") as f:
        bpf = f.read()
    buffer = ctypes.create_string_buffer(bpf, len(bpf))
    return SockFprog(len(bpf) // 8, ctypes.addressof(buffer)), buffer


def close_from(lowest, keep=-1):
    """Close every fd from `lowest` up, but `keep` (close_range: one syscall, not one per fd)."""
    if lowest <= keep:
        os.closerange(lowest, keep)
        lowest = keep + 1
    os.closerange(lowest, 1 << 20)


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


def mount_flags(path):
    """The flags `path` is mounted with (a remount must keep the ones locked by the user namespace)."""
    flag = os.statvfs(path).f_flag
    return (flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC | 1024 | 2048)) | ((1 << 21) if flag & 4096 else 0)


# What a test could leave in a network namespace: with sockets of any family but AF_UNIX refused
# (sandbox/seccomp.py), only unix sockets, abstract names and those in flight included, all counted
# by sockstat's "sockets: used". The " mem N" figures there are the host's, not the namespace's.
# (tests/sandbox_hostile.py checks a wider set from inside.)
NET_STATE = "/proc/self/net/sockstat"
HOST_WIDE = re.compile(rb"(?<= mem )\d+")
DIGITS = range(48, 58)


class Net:
    """The zygote's network namespace, which each test's process is forked into, and its state when
    it was new. It is kept only while nothing in it differs from that state, since making one costs
    more than the rest of a trivial test. What a test left in it is read into one buffer, compared
    there and zeroed (never made into new objects), so that no later test's process, a copy of the
    zygote, can find it."""

    buffer = bytearray(4096)

    def __init__(self):
        """A new one, which the calling process (the zygote) is then in."""
        check(libc.unshare(CLONE_NEWNET), "unshare net")
        size = self.read()
        self.pieces = HOST_WIDE.split(bytes(self.buffer[:size])) if size >= 0 else None
        self.wipe(size)

    def read(self):
        """NET_STATE into `buffer`; its size, or -1 if it cannot be read (or is larger)."""
        view, size = memoryview(self.buffer), 0
        try:
            fd = os.open(NET_STATE, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return -1
        try:
            while got := os.readv(fd, [view[size:]]):
                size += got
                if size == len(view):
                    return -1
        finally:
            os.close(fd)
        return size

    def wipe(self, size):
        size = max(size, 0)
        self.buffer[:size] = bytes(size)

    def as_new(self):
        """True if nothing in it differs from its state when new."""
        size = self.read()
        try:
            return self.pieces is not None and size >= 0 and self.same(size)
        finally:
            self.wipe(size)

    def same(self, size):
        view, at = memoryview(self.buffer), 0
        for i, piece in enumerate(self.pieces):
            if i:  # a host-wide figure: any digits
                while at < size and view[at] in DIGITS:
                    at += 1
            end = at + len(piece)
            if end > size or view[at:end] != piece:
                return False
            at = end
        return at == size


def tmpfs_options(msg):
    """The scratch filesystems' mount options from the zygote's request b"F<bytes> <inodes>"."""
    tmp_bytes, tmp_inodes = (int(x) for x in msg[1:].split())
    return b"size=%d,nr_inodes=%d,mode=1777" % (tmp_bytes, tmp_inodes)


def fresh_world(options):
    """In the test's process: its own mount namespace (a copy of the server's) with fresh scratch
    filesystems (`options`: `tmpfs_options`) and a /proc of its PID namespace. (Its network
    namespace is the zygote's: `Net`.)"""
    check(libc.unshare(CLONE_NEWNS), "unshare mount")
    for target in (b"/tmp", b"/dev/shm"):
        mount(b"tmpfs", target, b"tmpfs", MS_NOSUID | MS_NODEV, options)
    mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.chdir("/tmp")


def program(argv):
    """The test's process becomes the program: fds 0-2 are the test's streams, 3 the pipe to the
    server, 4 the program. It keeps its state: no capabilities, no_new_privs, the seccomp filter."""
    os.setsid()
    gc.enable()
    if reseed_random is not None:  # the hook `quiet_random` kept from the zygote's forks, for the program's own
        os.register_at_fork(after_in_child=reseed_random)
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # as after exec: the supervisor reads its /proc files
    launcher["forked_main"](argv)


def test_process(sock, options):
    """PID 1 of a test's PID namespace, made before the test arrives: build its world, give up
    every privilege, wait for the test on `sock`, then become the program. Being PID 1 it is
    also the namespace's reaper, and when it exits the kernel kills and reaps everything left in it.
    Every step here copies pages of the zygote on write (the zygote's gc is off, so it stays off
    until the program runs); what it holds from the zygote (its socket to the server, the home PID
    namespace) it keeps only until the test's descriptors are put in place, with no capability and
    running nothing but this."""
    fresh_world(options)
    drop_capabilities()
    install_seccomp(world_prog)
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # until the program runs, nothing may read this process
    try:
        msg, fds, _, _ = socket.recv_fds(sock, message_max, 5, socket.MSG_CMSG_CLOEXEC)
    except OSError:
        os._exit(0)
    if not msg or len(fds) != 5:
        os._exit(0)  # the server chose not to use this one
    for target, fd in enumerate([os.dup(fd) for fd in fds]):
        os.dup2(fd, target)
    close_from(5)  # all else: what was received, the zygote's descriptors, this socket
    program(msg.decode().split("\0"))  # not JSON: its decoder's Python code would be copied on write here


SLOW_S = 0.03  # a test not ended by then: the supervisor is told which process to watch


def wait_for_end(result_r, zyg, cap, slow):
    """Until the test's process has ended (the zygote's word on it is then waiting on `zyg`, for
    `reaped_by`): read the program's report, keeping at most `cap` bytes, and call `slow()` if the
    end has not come within SLOW_S. Most tests end sooner, and the supervisor, which first looks at
    50 ms, then never needs to be told (one message and one wake-up fewer per test). Once the test's
    process (PID 1 of its namespace) has ended, the kernel has killed the rest, so nothing writes the
    report any more and its end comes. Returns (data, overflow)."""
    chunks, size, overflow, reading = [], 0, False, True

    def keep(chunk):
        nonlocal size, overflow
        if overflow or size + len(chunk) > cap + 1:
            overflow = True  # drain, keep nothing more
        else:
            chunks.append(chunk)
            size += len(chunk)

    poller = select.poll()
    poller.register(result_r, select.POLLIN)
    poller.register(zyg, select.POLLIN)
    deadline = time.monotonic() + SLOW_S
    while True:
        events = dict(poller.poll(None if slow is None else max(0.0, deadline - time.monotonic()) * 1000))
        if not events:
            slow()
            slow = None
            continue
        if reading and result_r in events:
            if chunk := os.read(result_r, 1 << 16):
                keep(chunk)
            else:
                reading = False
                poller.unregister(result_r)
        if zyg.fileno() in events:
            break
    while reading and (chunk := os.read(result_r, 1 << 16)):
        keep(chunk)
    return b"".join(chunks), overflow


INLINE_PARSE = 1 << 16  # results up to this size are checked in the server; larger ones in a child


def relay(data, req, overflow, cpu_used):
    """The judge's one message for this test (see `canonical`), and the CPU seconds and peak KiB that
    checking it took, which count as the test's own. A call-based result over INLINE_PARSE is
    checked in a child of the server with no capability, the world filter, the test's memory limit
    and the CPU time the test has left, so that no program's output can make the server big or slow."""
    mode, cap = req["argv"][0], req["result_cap"]
    if mode != "call" or overflow or len(data) <= INLINE_PARSE:
        before = time.thread_time()
        message = canonical(data, mode, cap, overflow)
        return message, time.thread_time() - before, 0
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            close_from(3, keep=w)  # as little as a test's process: no descriptor, capability or call it may not have
            drop_capabilities()
            install_seccomp(world_prog)
            memory = int(req["argv"][2].split(",")[1])  # the rlimit spec's RLIMIT_DATA field
            left = max(1, int(req["timeout_s"] - cpu_used) + 1)
            resource.setrlimit(resource.RLIMIT_CPU, (left, left))
            resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
            gc.enable()
            write_all(w, canonical(data, mode, cap, overflow))
        except BaseException:
            pass
        finally:
            os._exit(0)
    os.close(w)
    out = []
    while chunk := os.read(r, 1 << 16):
        out.append(chunk)
    os.close(r)
    _, _, usage = os.wait4(pid, 0)
    message = b"".join(out) or b"R" + json.dumps({"error": "malformed result message"}).encode()
    return message, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


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


def report(ctl, fields, message):
    """The supervisor's one message on a test: its report (JSON), NUL, then the judge's message
    (`canonical`) if it fits in one message on `ctl`; a longer one is written on a pipe sent with
    the report (the judge reads it to its end at once)."""
    head = json.dumps(fields).encode() + b"\0"
    if len(head) + len(message) <= message_max:
        try:
            ctl.send(head + message)
            return
        except OSError as err:  # a host whose socket buffers are smaller than one such message
            if err.errno != errno.EMSGSIZE:
                raise
    r, w = os.pipe()
    try:
        socket.send_fds(ctl, [head], [r])
    finally:
        os.close(r)
    try:
        write_all(w, message)
    except OSError:
        pass  # the judge stopped reading
    finally:
        os.close(w)


class Pending:
    """A test's process, in its fresh namespaces or getting there, waiting for the test (see `prepare`)."""

    def __init__(self, params, sock):
        self.params, self.sock, self.pid = params, sock, None

    def take_pid(self, zyg):
        """Its PID, which the zygote sends as it forks (`spawn`): read when first needed, not waited for."""
        if self.pid is None:
            self.pid = int(zyg.recv(64))
        return self.pid

    def discard(self):
        self.sock.close()  # it exits on EOF


class Reaped(ctypes.Structure):
    """What wait4 gives back: the wait status and struct rusage (of which utime, stime and maxrss)."""
    _fields_ = [("status", ctypes.c_int), ("pad", ctypes.c_int), ("utime", ctypes.c_long * 2),
                ("stime", ctypes.c_long * 2), ("maxrss", ctypes.c_long), ("rest", ctypes.c_long * 13)]


def zygote(sock, home_ns):
    """Every test's process is forked from here, a copy of the server made before the first test,
    which never sees a test's data: requests, results and outputs go to the server, which forks no
    test, so that no program can find an earlier one's in the memory it was forked with (a fork
    copies all of it). On `sock` it gets b"F" + "tmp_bytes tmp_inodes" with the test's socket
    (`prepare`); it forks the test's process into a network namespace as new (`Net`), sends its
    PID, waits for it to end and sends the raw `Reaped` at once, unasked (`reaped_by`). What it
    keeps from one request to the next is the tmpfs options the limits give (`worlds`)."""
    gc.disable()
    # What every test's process would otherwise make or set itself, at a cost in pages copied on write:
    launcher["prepare_stdio"]()  # its standard streams
    signal.signal(signal.SIGINT, signal.default_int_handler)  # a new interpreter's handlers:
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # KeyboardInterrupt, BrokenPipeError
    reaped = Reaped()
    wait4 = libc.wait4
    wait4.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)
    net = None
    worlds = {}  # request -> tmpfs options: made once, not per test
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(sock, 256, 1, socket.MSG_CMSG_CLOEXEC)
        except OSError:
            os._exit(0)
        if not msg or len(fds) != 1:
            os._exit(0)
        if net is None or not net.as_new():  # the last test's process has ended: nothing of it runs there
            net = Net()
        options = worlds.get(msg) or worlds.setdefault(msg, tmpfs_options(msg))
        spawn(sock, options, fds[0], home_ns, wait4, reaped)


def spawn(sock, options, fd, home_ns, wait4, reaped):
    """Fork one test's process (PID 1 of a new PID namespace, in the zygote's network namespace),
    send its PID, reap it and send what wait4 wrote (never made into Python objects here, and zeroed
    after). Nothing of an earlier test is held in this frame or the zygote's when it forks (not even
    the last PID: PIDs count the processes earlier tests made)."""
    test_sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET, 0, fileno=fd)  # no calls to ask what it is
    if reseed_random is not None:
        reseed_random()  # the test's random module seeded afresh, as in a new interpreter
    check(libc.unshare(CLONE_NEWPID), "unshare pid")
    try:
        pid = os.fork()
        if pid == 0:
            try:
                test_process(test_sock, options)
            except BaseException as err:
                say(2, err)
            finally:
                os._exit(127)
    finally:
        check(libc.setns(home_ns, CLONE_NEWPID), "setns pid")
    test_sock.close()
    sock.send(b"%d" % pid)
    at = ctypes.addressof(reaped)
    wait4(pid, at, 0, at + Reaped.utime.offset)
    sock.send(reaped)
    ctypes.memset(at, 0, ctypes.sizeof(reaped))


def prepare(zyg, params):
    """Have the zygote fork the next test's process, PID 1 of a new PID namespace, before the test
    arrives (creating processes on a busy machine waits for a CPU, so it is done between tests)."""
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        socket.send_fds(zyg, [b"F%d %d" % (params["tmp_bytes"], params["tmp_inodes"])], [theirs.fileno()])
    finally:
        theirs.close()
    return Pending(params, mine)


def reaped_by(zyg):
    """(wait status, CPU seconds, peak RSS in KiB) of the test's process, sent by the zygote once it
    has ended (`spawn`)."""
    got = Reaped.from_buffer_copy(zyg.recv(ctypes.sizeof(Reaped)))
    cpu = got.utime[0] + got.utime[1] / 1e6 + got.stime[0] + got.stime[1] / 1e6
    return got.status, cpu, got.maxrss


def quiet_random():
    """Import random without its reseed-after-fork hook and return its `seed` (None without it):
    the zygote reseeds it before each fork instead, where that copies no page of the test's process
    on write (0.1 ms less per test), and the test's process registers the hook again for the forks
    the program makes (`program`)."""
    register = os.register_at_fork
    os.register_at_fork = lambda **hooks: None
    try:
        import random
    except Exception:
        return None
    finally:
        os.register_at_fork = register
    return random.seed


def main(launcher_code):
    global launcher, world_prog, world_buffer, reseed_random, message_max
    ctl = socket.socket(fileno=int(sys.argv[1]))
    message_max = int(sys.argv[3])
    os.set_inheritable(ctl.fileno(), False)
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    namespace = {"__name__": "evalkit_launcher"}
    exec(launcher_code, namespace)
    launcher = namespace
    reseed_random = quiet_random()
    for name in filter(None, sys.argv[2].split(",")):
        try:  # the prelude's modules, imported once here instead of in every test (each test is a fork)
            __import__(name)
        except Exception:
            pass  # an older interpreter without it: the test imports (and fails) as it would have
    sandbox_filter = bpf_program("/box/seccomp.bpf")
    world_filter = bpf_program("/box/world.bpf")
    # Once, in a mount namespace of our own (bwrap's belongs to a user namespace above ours), for
    # every test's copy of it: nothing propagates between them, and /dev is read-only (a file left
    # there would outlive its test).
    check(libc.unshare(CLONE_NEWNS), "unshare mount")
    mount(b"none", b"/", None, MS_REC | MS_PRIVATE)
    mount(b"none", b"/dev", None, MS_REMOUNT | MS_BIND | MS_RDONLY | mount_flags("/dev"))
    os.chdir("/")
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(50000)  # as `python3 -X int_max_str_digits=50000`, for every test
    keep_world_capabilities()
    install_seccomp(sandbox_filter[0])  # for the server and every test: all but the calls that build a world
    world_prog, world_buffer = world_filter  # the rest, installed by each test's process (`test_process`)
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
    zyg, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    if os.fork() == 0:
        ctl.close()
        zyg.close()
        zygote(theirs, home_ns)
    theirs.close()
    os.close(home_ns)
    pending = None
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(ctl, message_max, 4, socket.MSG_CMSG_CLOEXEC)
        except OSError:
            return
        if not msg:
            return
        req = json.loads(msg)
        params = {"tmp_bytes": int(req["tmp_bytes"]), "tmp_inodes": int(req["tmp_inodes"])}
        if pending is not None and pending.params != params:
            pending.take_pid(zyg)  # the zygote's messages come in order: its PID, then its end
            pending.discard()  # it ends on EOF
            reaped_by(zyg)
            pending = None
        current = pending if pending is not None else prepare(zyg, params)
        pending = None
        current.take_pid(zyg)
        start = time.monotonic()
        result_r, result_w = os.pipe()
        try:  # it reads the test once its world is built
            socket.send_fds(current.sock, ["\0".join(req["argv"]).encode()], [*fds[:3], result_w, fds[3]])
        except OSError:
            pass  # it died: reported below as a test that never ran (its end of the socket is gone, and
            # with it anything sent to it: the program's fds, result_w among them)
        for fd in (*fds, result_w):
            os.close(fd)
        data, overflow = wait_for_end(result_r, zyg, req["result_cap"],  # which process the supervisor watches:
                                      lambda pid=current.pid: ctl.send(json.dumps({"init": pid}).encode()))
        status, cpu, maxrss = reaped_by(zyg)
        wall = time.monotonic() - start
        os.close(result_r)
        current.sock.close()
        message, check_cpu, check_rss = relay(data, req, overflow, cpu)
        report(ctl, {"status": status, "wall": wall, "cpu": cpu + check_cpu, "maxrss_kb": max(maxrss, check_rss)},
               message)
        pending = prepare(zyg, params)  # the next test's process, made while the judge compares
