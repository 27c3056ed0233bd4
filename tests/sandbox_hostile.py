"""Hostile programs of our own, one or more per class of issue 13, and the honest controls each fix
could hurt. Data only: tests/test_sandbox_adversarial.py runs them, inside its outer wall, with the
same host checks as the shared programs. Never run one of these except through the sandbox.

Each entry: name, class (the issue's numbering), source, tests ("SUM", "ADD" or a list), acceptable
verdicts, optional limits (Limits fields) and `same_output` (every test's stderr must be identical:
the program reports there what it saw of the sandbox's state).
"""

from __future__ import annotations

SUM = [{"input": "3\n1 2 3\n", "output": "6\n"}, {"input": "4\n17 9 1000003 -5\n", "output": "1000024\n"},
       {"input": "2\n5 5\n", "output": "10\n"}]
ADD = [{"input": "1\n2", "output": "3"}, {"input": "5\n6", "output": "11"}]
ANSWER = "print(sum(map(int, open(0).read().split()[1:])))\n"

# 1. State that would survive from one test to the next. Each test first looks for what an earlier
# test left, then leaves it behind itself; it answers correctly only if it found nothing.
STATE = r'''
import ctypes, os, socket, sys, errno
libc = ctypes.CDLL(None, use_errno=True)
leaks = []
# POSIX message queue
libc.mq_open.restype = ctypes.c_int
q = libc.mq_open(b"/evalkit_h01", os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600, None)
if q < 0 and ctypes.get_errno() == errno.EEXIST:
    leaks.append("mqueue")
# files in /dev, /tmp, /dev/shm
for path in ("/dev/evalkit_h01", "/tmp/evalkit_h01", "/dev/shm/evalkit_h01"):
    if os.path.exists(path):
        leaks.append(path)
    try:
        open(path, "w").close()
    except OSError:
        pass
# mode bits and xattrs of the scratch roots
for root in ("/tmp", "/dev/shm"):
    if os.stat(root).st_mode & 0o7777 != 0o1777:
        leaks.append(root + " mode")
    try:
        if os.listxattr(root):
            leaks.append(root + " xattr")
        os.setxattr(root, "user.evalkit", b"1")
    except OSError:
        pass
# a TCP port left in TIME_WAIT (the server side closes first)
try:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 47001))
    srv.listen(1)
    cli = socket.create_connection(("127.0.0.1", 47001))
    conn, _ = srv.accept()
    conn.close(); srv.close(); cli.close()
except OSError as err:
    if err.errno == errno.EADDRINUSE:
        leaks.append("time_wait")
# an abstract unix socket kept alive by an in-flight fd cycle
try:
    named = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    named.bind("\0evalkit_h01")
    a, b = socket.socketpair()
    socket.send_fds(a, [b"x"], [named.fileno(), a.fileno(), b.fileno()])
    named.close(); a.close(); b.close()
except OSError as err:
    if err.errno == errno.EADDRINUSE:
        leaks.append("abstract_socket")
# the PID counter: every test must see the same PID, however many processes ran before it
for _ in range(50):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
print("pid", os.getpid(), file=sys.stderr)
if leaks:
    print("LEAK", *leaks)
else:
''' + "    " + ANSWER

# 1, the network namespace: a test may run in the previous test's network namespace only if that
# one is exactly as a new one is (sandbox/server.py). Each test prints what it sees of its network
# namespace (a wider set of files than the server compares), then leaves behind all it can: traffic,
# a TIME_WAIT port, an IPv6 flow label (all three need IP sockets, which are refused: see
# h01_no_ip_sockets), and unix sockets kept alive in flight after its processes are gone.
NETWORK_SEEN = r"""
import hashlib, os, re, socket, sys
seen = []
for name in ("sockstat", "sockstat6", "snmp", "snmp6", "netstat", "dev", "unix", "tcp", "tcp6", "udp",
             "udp6", "raw", "raw6", "if_inet6", "igmp", "igmp6", "route", "ip6_flowlabel", "mcfilter",
             "mcfilter6", "anycast6"):
    try:
        with open("/proc/self/net/" + name, "rb") as f:
            data = f.read()
    except OSError as err:
        data = str(err.errno).encode()
    seen.append(re.sub(rb" mem \d+", b"", data))  # the host's TCP/UDP memory, not the namespace's
print("net", hashlib.sha256(b"\0".join(seen)).hexdigest()[:16], file=sys.stderr)
""" + ANSWER + r"""
sys.stdout.flush()
def attempt(step):
    try:
        step()
    except OSError:
        pass
def flow_label():  # an IPv6 flow label lingers in the namespace after its socket is closed, no packet sent
    import struct
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s6.setsockopt(41, 32, struct.pack("=16sIBBHHHI", socket.inet_pton(socket.AF_INET6, "::1"),
                                      socket.htonl(0x12345), 0, 255, 3, 0, 60, 0))  # IPV6_FLOWLABEL_MGR
    s6.close()
"""
# ... and what it leaves: everything at once, or only what changes no counter and leaves no socket.
NETWORK_STATE = NETWORK_SEEN + r"""
attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", 9)))
def time_wait():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 47002))
    srv.listen(1)
    cli = socket.create_connection(("127.0.0.1", 47002))
    conn, _ = srv.accept()
    conn.close(); srv.close(); cli.close()
attempt(time_wait)
def in_flight(make):
    held = make()
    a, b = socket.socketpair()
    socket.send_fds(a, [b"x"], [held.fileno(), a.fileno(), b.fileno()])
    held.close(); a.close(); b.close()
attempt(lambda: in_flight(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)))
attempt(lambda: in_flight(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)))
attempt(lambda: in_flight(lambda: socket.socketpair()[0]))
attempt(flow_label)
"""
NETWORK_QUIET = NETWORK_SEEN + "attempt(flow_label)\n"

# 1, the network itself: sockets of any family but AF_UNIX are refused (sandbox/seccomp.py), so a
# test has no IP stack to leave anything in (and no network at all, not even loopback). It tries IP
# sockets of every kind and the other families a program could make without privileges.
NO_IP_SOCKETS = r"""
import socket, sys
made = []
for family, kind in ((socket.AF_INET, socket.SOCK_STREAM), (socket.AF_INET, socket.SOCK_DGRAM),
                     (socket.AF_INET, socket.SOCK_RAW), (socket.AF_INET6, socket.SOCK_STREAM),
                     (socket.AF_INET6, socket.SOCK_DGRAM), (socket.AF_NETLINK, socket.SOCK_RAW),
                     (socket.AF_PACKET, socket.SOCK_DGRAM), (getattr(socket, "AF_ALG", 38), socket.SOCK_SEQPACKET),
                     (getattr(socket, "AF_VSOCK", 40), socket.SOCK_STREAM)):
    try:
        socket.socket(family, kind).close()
        made.append(f"{family}/{kind}")
    except OSError as err:
        print(family, kind, err.errno, file=sys.stderr)
try:
    socket.socketpair(socket.AF_INET, socket.SOCK_STREAM)
    made.append("socketpair(AF_INET)")
except OSError:
    pass
if made:
    print("MADE", *made)
else:
""" + "    " + ANSWER

# 1, memory: every test's process is a fork of the sandbox's own interpreter, so it starts with a
# copy of that interpreter's memory. Each test first looks there (every frame above it and every
# container the collector knows) for the result an earlier test returned, then returns it itself:
# the server that reads results must not be the process tests are forked from.
NEEDLE = "MARK-77777-EVALKIT"
RESULT_IN_MEMORY = r"""
import gc, sys
needle = "MARK-" + "7" * 5 + "-EVALKIT"
def found():
    seen, raw = set(), needle.encode()
    def look(value, where):
        if isinstance(value, str) and value is not needle and needle in value:
            seen.add(where)
        elif isinstance(value, (bytes, bytearray)) and raw in value:
            seen.add(where)
    frame = sys._getframe(1)
    while frame is not None:
        for value in list(frame.f_locals.values()):
            look(value, frame.f_code.co_name)
        frame = frame.f_back
    for obj in gc.get_objects():
        if isinstance(obj, (list, tuple)):
            for value in obj:
                look(value, "heap")
        elif isinstance(obj, dict) and obj is not globals():
            for value in list(obj.values()):
                look(value, "heap")
    return sorted(seen)
class Solution:
    def addTwo(self, a, b):
        print("seen", found(), file=sys.stderr)
        return needle * 2000
"""
RESULT_TESTS = [{"input": "1\n2", "output": '"' + NEEDLE * 2000 + '"'}] * 3

# 2. Poisoning PID 1 (and every process it can name) for the tests after it. It first checks that it
# got exactly what the first test got.
POISON = r'''
import os, resource, signal, sys
state = (os.getpriority(os.PRIO_PROCESS, 0), os.sched_getscheduler(0), sorted(os.sched_getaffinity(0)),
         resource.getrlimit(resource.RLIMIT_FSIZE), resource.getrlimit(resource.RLIMIT_STACK))
print("state", state, file=sys.stderr)
sys.setrecursionlimit(100000)
def depth(n):
    return 0 if n == 0 else 1 + depth(n - 1)
assert depth(20000) == 20000  # honest recursion still works: the stack was not shrunk
''' + ANSWER + r'''
sys.stdout.flush()
pids = [p for p in [int(p) for p in os.listdir("/proc") if p.isdigit()] + [1, os.getppid()] if p > 0]
for pid in pids:
    for call in (lambda: resource.prlimit(pid, resource.RLIMIT_FSIZE, (1, 1)),
                 lambda: resource.prlimit(pid, resource.RLIMIT_STACK, (65536, 65536)),
                 lambda: resource.prlimit(pid, resource.RLIMIT_NOFILE, (4, 4)),
                 lambda: os.setpriority(os.PRIO_PROCESS, pid, 19),
                 lambda: os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0)),
                 lambda: os.sched_setaffinity(pid, {min(os.sched_getaffinity(0))}),
                 lambda: os.kill(pid, signal.SIGINT) if pid != os.getpid() else None):
        try:
            call()
        except (OSError, ValueError):
            pass
for which in (os.PRIO_USER, os.PRIO_PGRP):
    try:
        os.setpriority(which, 0, 19)
    except OSError:
        pass
'''

# 3. Memory the RSS poll did not see.
MEMFD = r'''
import os
chunk = b"x" * (1 << 20)
fds = []
for _ in range(8):  # each under the file-size limit; nobody maps them
    fd = os.memfd_create("hoard")
    for _ in range(50):
        os.write(fd, chunk)
    fds.append(fd)
''' + ANSWER

SHM_FILE = r'''
import os
chunk = b"x" * (1 << 20)
for i in range(4):  # files on both tmpfs mounts, each under the file-size limit, some unlinked
    for root in ("/dev/shm", "/tmp"):
        fd = os.open(f"{root}/hoard{i}", os.O_CREAT | os.O_RDWR)
        for _ in range(50):
            os.write(fd, chunk)
        if i % 2:
            os.unlink(f"{root}/hoard{i}")
''' + ANSWER + r'''
import time
time.sleep(0.5)
'''

MAIN_THREAD_EXITS = r'''
import ctypes, mmap, threading, time
def hoard():
    m = mmap.mmap(-1, 400 << 20)  # shared anonymous: RLIMIT_DATA does not count it
    for i in range(0, len(m), 4096):
        m[i] = 1
    time.sleep(1.5)
''' + ANSWER + r'''
import sys
sys.stdout.flush()
threading.Thread(target=hoard).start()
ctypes.CDLL(None).pthread_exit(None)  # the main thread leaves; the process lives on in the worker
'''

INODE_FLOOD = r'''
import os, sys
made = 0
for root in ("/tmp", "/dev/shm"):
    for i in range(20000):
        try:
            open(f"{root}/f{i}", "w").close()
            made += 1
        except OSError:
            break
print("made", made, file=sys.stderr)
''' + ANSWER

# 4. Gaming the time limit: helpers pinned to its CPU at nice 19 wait for that CPU all the time (a
# huge run-queue delay, which a "wall minus delay" clock would subtract) while the main process
# burns 1.5 s of CPU under a 1 s limit. The wall-clock backstop is set far away so that only the
# CPU-time limit can catch it.
TIME_GAME = r'''
import os, time
cpu = min(os.sched_getaffinity(0))
os.sched_setaffinity(0, {cpu})
for _ in range(3):
    if os.fork() == 0:
        os.nice(19)
        while True:
            pass
end = time.process_time() + 1.5
while time.process_time() < end:
    pass
''' + ANSWER

# 5. Knocking the judge over with what it must parse.
DEEP_STATUS = r'''
import os
os.write(3, b"[" * 200000 + b"]" * 200000)
class Solution:
    def addTwo(self, a, b):
        return a + b
'''
FORGED_STATUS = r'''
import os
os.write(3, b'{"value": 3, "special": [[[], "tuple", null]]}')
class Solution:
    def addTwo(self, a, b):
        return a + b
'''

# 6. A process name that is not UTF-8 (the poller reads /proc/PID/stat).
BAD_NAME = r'''
import ctypes, os, time
ctypes.CDLL(None).prctl(15, b"\xff\xfe)\x80 (x", 0, 0, 0)  # PR_SET_NAME
if os.fork() == 0:
    time.sleep(0.3)
    os._exit(0)
time.sleep(0.2)
''' + ANSWER

# 10. A directory tree deeper than Python's recursion limit.
DEEP_TREE = r'''
import os
fd = os.open("/tmp", os.O_RDONLY)
for _ in range(3000):
    os.mkdir("d", dir_fd=fd)
    new = os.open("d", os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = new
''' + ANSWER

HOSTILE = [
    {"name": "h01_state_everywhere", "class": 1, "source": STATE, "tests": SUM, "acceptable": ["AC"],
     "same_output": True},
    {"name": "h01_network_state", "class": 1, "source": NETWORK_STATE, "tests": SUM, "acceptable": ["AC"],
     "same_output": True},
    {"name": "h01_network_quiet", "class": 1, "source": NETWORK_QUIET, "tests": SUM, "acceptable": ["AC"],
     "same_output": True},
    {"name": "h01_no_ip_sockets", "class": 1, "source": NO_IP_SOCKETS, "tests": SUM, "acceptable": ["AC"],
     "same_output": True},
    {"name": "h01_result_in_memory", "class": 1, "source": RESULT_IN_MEMORY, "tests": RESULT_TESTS,
     "fn_name": "addTwo", "acceptable": ["AC"], "same_output": True},
    {"name": "h02_poison_pid1", "class": 2, "source": POISON, "tests": SUM, "acceptable": ["AC"],
     "same_output": True},
    {"name": "h03_memfd", "class": 3, "source": MEMFD, "tests": SUM, "acceptable": ["MLE", "RE"],
     "limits": {"memory_mb": 256}},
    {"name": "h03_tmpfs_pages", "class": 3, "source": SHM_FILE, "tests": SUM, "acceptable": ["MLE"],
     "limits": {"memory_mb": 256, "tmp_mb": 1024}},
    {"name": "h03_main_thread_exits", "class": 3, "source": MAIN_THREAD_EXITS, "tests": SUM, "acceptable": ["MLE"],
     "limits": {"memory_mb": 256}},
    {"name": "h03_inode_flood", "class": 3, "source": INODE_FLOOD, "tests": SUM, "acceptable": ["AC"],
     "max_made": 2 * 4096},
    {"name": "h04_time_game", "class": 4, "source": TIME_GAME, "tests": SUM, "acceptable": ["TLE"],
     "limits": {"timeout_s": 1.0, "wall_factor": 10.0}},
    {"name": "h05_deep_status", "class": 5, "source": DEEP_STATUS, "tests": ADD, "fn_name": "addTwo",
     "acceptable": ["RE", "WA"]},
    {"name": "h05_forged_status", "class": 5, "source": FORGED_STATUS, "tests": ADD, "fn_name": "addTwo",
     "acceptable": ["RE", "WA"]},
    {"name": "h06_bad_process_name", "class": 6, "source": BAD_NAME, "tests": SUM, "acceptable": ["AC"]},
    {"name": "h10_deep_tree", "class": 10, "source": DEEP_TREE, "tests": SUM, "acceptable": ["AC"]},
]

# Honest programs the fixes could hurt: each must be accepted on every SUM test.
CONTROLS = {
    "dev_stdin": "print(sum(map(int, open('/dev/stdin').read().split()[1:])))\n",
    "dev_stdout": "with open('/dev/stdout', 'w') as out:\n    out.write(str(sum(map(int, open(0).read().split()[1:]))))\n",
    "uses_tmp": ("import tempfile, os\ndata = open(0).read()\nwith tempfile.NamedTemporaryFile('w+', dir='/tmp') as f:\n"
                 "    f.write(data); f.flush(); f.seek(0)\n    print(sum(map(int, f.read().split()[1:])))\n"),
    "deep_recursion": ("import sys\nsys.setrecursionlimit(200000)\ndef s(xs, i):\n    return 0 if i == len(xs) else xs[i] + s(xs, i + 1)\n"
                       "xs = list(map(int, open(0).read().split()[1:])) + [0] * 30000\nprint(s(xs, 0))\n"),
    "threads": ("import threading\nxs = list(map(int, open(0).read().split()[1:]))\nout = []\n"
                "ts = [threading.Thread(target=lambda: out.append(sum(xs))) for _ in range(4)]\n"
                "[t.start() for t in ts]; [t.join() for t in ts]\nprint(out[0])\n"),
    "multiprocessing": ("import multiprocessing as mp\nxs = list(map(int, open(0).read().split()[1:]))\n"
                        "with mp.get_context('fork').Pool(2) as pool:\n    print(sum(pool.map(abs, [1])) * 0 + sum(xs))\n"),
    "sleeps": "import time\ntime.sleep(0.4)\n" + ANSWER,
    # no IP sockets, but an event loop (its self-pipe is a unix socketpair) and unix sockets still work
    "event_loop": ("import asyncio\nasync def total():\n    await asyncio.sleep(0)\n"
                   "    return sum(map(int, open(0).read().split()[1:]))\nprint(asyncio.run(total()))\n"),
    "unix_socketpair": ("import socket\na, b = socket.socketpair()\na.sendall(open(0).read().encode()); a.close()\n"
                        "data = b''\nwhile chunk := b.recv(4096):\n    data += chunk\nprint(sum(map(int, data.split()[1:])))\n"),
}
