# ruff: noqa: S102
"""Starts the sandbox's server INSIDE the sandbox (stdlib only): `python3 -I /box/boot.py ARGS...`.

server.py and launch.py are compiled in a child process and come back marshalled. Compiling them
here would leave the compiler's working memory (about 1.3 MiB of freed but resident heap, several
times the code's size) in the server, of which every test's process is a copy: each test would pay
for those pages at fork and at exit (8% of a trivial test's CPU). The server then runs with the
launcher's code object (`main(launcher_code)` in sandbox/server.py); ARGS are the server's.
"""

import marshal
import os

SERVER, LAUNCHER = "/box/server.py", "/box/launch.py"


def compiled_apart(paths):
    """The code objects of `paths`, compiled by a child that writes them marshalled on a pipe."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(r)
            codes = []
            for path in paths:
                with open(path, "rb") as f:
                    codes.append(compile(f.read(), path, "exec"))
            data = memoryview(marshal.dumps(codes))
            while data:
                data = data[os.write(w, data):]
            code = 0
        except BaseException as err:  # noqa: BLE001 -- said on stderr, which the judge shows
            os.write(2, f"sandbox: compiling the server failed: {type(err).__name__}: {err}\n".encode())
        finally:
            os._exit(code)
    os.close(w)
    chunks = []
    while chunk := os.read(r, 1 << 20):
        chunks.append(chunk)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise SystemExit(1)
    return marshal.loads(b"".join(chunks))


def boot():
    server, launcher = compiled_apart((SERVER, LAUNCHER))
    namespace = {"__name__": "evalkit_server", "__file__": SERVER}
    exec(server, namespace)
    namespace["main"](launcher)


if __name__ == "__main__":
    boot()
