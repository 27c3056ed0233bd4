"""A warm process that forks grading workers on request: `python -m evalkit.grading.zygote`.

Why: a fresh interpreter needs seconds to import sympy, so replacing a killed worker that way leaves
later checks waiting. The zygote imports and warms sympy once (`worker.py`), then listens on a private
Unix socket; each connection gets a forked child that is ready in milliseconds. It is a subprocess of
its own (not multiprocessing's forkserver), so the caller's `__main__` is never re-imported, and it is
single-threaded, so forking it is safe. It exits when its stdin (held by the parent) closes.
"""

from __future__ import annotations

import os
import select
import signal
import sys
from multiprocessing.connection import Listener


def main() -> None:
    address, authkey = sys.argv[1], bytes.fromhex(sys.stdin.readline().strip())
    from evalkit.grading.worker import worker_main  # imports and warms sympy

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # killed workers are reaped by the kernel
    with Listener(address, family="AF_UNIX", authkey=authkey) as listener:
        sock = listener._listener._socket  # needed to wait on accept and stdin together
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        while True:
            readable, _, _ = select.select([sock, sys.stdin], [], [])
            if sys.stdin in readable and not sys.stdin.readline():
                return  # the parent is gone
            if sock not in readable:
                continue
            try:
                conn = listener.accept()
            except (OSError, EOFError):
                continue
            if os.fork() == 0:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                sock.close()
                try:
                    worker_main(conn, announce_pid=True)
                finally:
                    os._exit(0)
            conn.close()


if __name__ == "__main__":
    main()
