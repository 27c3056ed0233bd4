# ruff: noqa: S102, S110, BLE001, UP031, PLR0124
"""Trusted code that runs INSIDE the sandbox, before the untrusted program (stdlib only).

In the sandbox it is bound as /box/launch.py and loaded once by the server, which forks a child per
test that calls `forked_main([MODE, STATUS_FD, LIMITS, PRELUDE, FN_NAME?])` with the test's fds on
0-4 (the program on fd 4): a fresh process without paying for a new interpreter. Unsandboxed, it is
started as `python3 -I -X int_max_str_digits=50000 launch.py MODE STATUS_FD LIMITS PRELUDE [FN_NAME]`.
It sets hard rlimits (which the program cannot raise: it has no capabilities), signals "started" on
STATUS_FD, then runs the program as `__main__` with the LCB prelude names it uses pre-bound.

- stdio mode: real stdin/stdout; the status fd is closed first. SystemExit ends the run normally
  (LCB compares the output produced so far).
- call mode: stdin holds a JSON array of arguments; the program's own prints go to stderr; the
  return value is written to STATUS_FD as strict JSON: {"value": ..., "special": [[path, kind, arg]]}
  (tuples below the top level, non-finite floats and non-JSON objects travel as "special" entries so
  that the judge outside can rebuild values that compare exactly as LCB's `==` would) or
  {"error": "..."}. Nothing is ever pickled.
"""

import atexit
import os
import resource
import sys
import types

# Read once, when the launcher is loaded (in the sandbox, by the server before it forks any test):
# each lookup or import done in a test's process instead copies pages of the server on write.
UNSANDBOXED = "EVALKIT_PROGRAM" in os.environ
PROGRAM = os.environ.get("EVALKIT_PROGRAM", "/box/prog.py")
PROGRAM_FD = 4  # in the sandbox the program arrives as a sealed (immutable) memfd on fd 4


def read_program():
    """The program's bytes: from fd 4 (closed afterwards, so the program cannot see it), or from
    $EVALKIT_PROGRAM in the unsandboxed mode."""
    if UNSANDBOXED:
        with open(PROGRAM, "rb") as f:
            return f.read()
    size, chunks, offset = os.fstat(PROGRAM_FD).st_size, [], 0
    while offset < size:
        chunk = os.pread(PROGRAM_FD, size - offset, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    os.close(PROGRAM_FD)
    return b"".join(chunks)


def set_limits(spec):
    """Soft = hard for every limit, so nothing can be raised back (no CAP_SYS_RESOURCE in here).
    RLIMIT_DATA is the memory limit (it counts heap and private mappings, not reserved-but-shared
    address space, so threads and big arrays within the limit still work); RLIMIT_AS is only a far
    backstop; the supervisor also watches resident memory from outside."""
    cpu, data, nproc, nofile, fsize = (int(x) for x in spec.split(","))
    stack_soft, _ = resource.getrlimit(resource.RLIMIT_STACK)
    stack = stack_soft if stack_soft != resource.RLIM_INFINITY else 64 << 20
    lock = resource.getrlimit(resource.RLIMIT_MEMLOCK)[0]
    lock = lock if lock != resource.RLIM_INFINITY else 64 << 10
    for res, value in ((resource.RLIMIT_CORE, 0), (resource.RLIMIT_CPU, cpu), (resource.RLIMIT_DATA, data),
                       (resource.RLIMIT_AS, data + (8 << 30)), (resource.RLIMIT_STACK, stack),
                       (resource.RLIMIT_MEMLOCK, lock), (resource.RLIMIT_NPROC, nproc),
                       (resource.RLIMIT_NOFILE, nofile), (resource.RLIMIT_FSIZE, fsize)):
        resource.setrlimit(res, (value, value))


def main_namespace(prelude):
    """A fresh __main__ module with the prelude names the program mentions ("name=module[.attr],...")."""
    module = types.ModuleType("__main__")
    module.__file__ = PROGRAM
    sys.modules["__main__"] = module
    ns = module.__dict__
    for item in filter(None, prelude.split(",")):
        name, _, target = item.partition("=")
        mod_name, _, attr = target.partition(".")
        try:
            mod = __import__(mod_name)
            ns[name] = getattr(mod, attr) if attr else mod
        except Exception:
            pass
    return ns


def encode(value, path, special, depth=0):
    """Plain JSON for plain values; everything else is recorded in `special` (never trusted `==`)."""
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        return value
    if kind is float:
        if value != value or value in (float("inf"), float("-inf")):
            special.append([path, "float", repr(value)])
            return None
        return value
    if depth > 200:
        special.append([path, "opaque", "too deep"])
        return None
    if kind is list or kind is tuple:
        out = [encode(v, path + [i], special, depth + 1) for i, v in enumerate(value)]
        if kind is tuple:
            special.append([path, "tuple", None])
        return out
    if kind is dict and all(type(k) is str for k in value):
        return {k: encode(v, path + [k], special, depth + 1) for k, v in value.items()}
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return encode(float.__float__(value), path, special, depth)
    if isinstance(value, str):
        return str.__str__(value)
    special.append([path, "opaque", kind.__name__[:100]])
    return None


def run_call(status_fd, fn_name, ns, program):
    import json

    def report(obj):
        os.write(status_fd, json.dumps(obj, allow_nan=False).encode())

    args = json.loads(sys.stdin.read())
    os.dup2(2, 1)  # the program's own prints must not mix with the result
    try:
        source = program.decode("utf-8", errors="replace")
        exec(compile(program, PROGRAM, "exec"), ns)
        if "class Solution" in source:
            target = getattr(ns["Solution"](), fn_name)
        else:
            target = ns[fn_name]
    except BaseException as err:
        report({"error": "load: %s: %s" % (type(err).__name__, str(err)[:500])})
        return 1
    try:
        value = target(*args)
    except BaseException as err:
        report({"error": "%s: %s" % (type(err).__name__, str(err)[:500])})
        return 1
    if type(value) is tuple:
        value = list(value)
    special = []
    try:
        encoded = encode(value, [], special)
        report({"value": encoded, "special": special})
    except BaseException as err:
        report({"error": "unserialisable result: %s" % type(err).__name__})
        return 1
    return 0


def main(argv):
    mode, status_fd, limits, prelude = argv[0], int(argv[1]), argv[2], argv[3]
    fn_name = argv[4] if len(argv) > 4 else ""
    set_limits(limits)
    program = read_program()
    os.write(status_fd, b"R")
    sys.setrecursionlimit(50000)
    sys.argv = [PROGRAM]
    ns = main_namespace(prelude)
    if mode == "call":
        os._exit(run_call(status_fd, fn_name, ns, program))
    os.close(status_fd)
    code = compile(program, PROGRAM, "exec")
    try:
        exec(code, ns)
    except SystemExit:
        pass


def reopen_stdio():
    """Standard streams on fds 0-2 made exactly as a new interpreter makes them (CPython's
    create_stdio), with the encoding and error handlers this interpreter was started with."""
    import io

    def stream(fd, mode, like, line_buffering):
        buffer = io.open(fd, mode + "b", buffering=-1, closefd=False)
        buffer.raw.name = like.name  # "<stdin>", ...
        return io.TextIOWrapper(buffer, encoding=like.encoding, errors=like.errors, newline="\n",
                                line_buffering=line_buffering)

    sys.stdin = sys.__stdin__ = stream(0, "r", sys.__stdin__, False)
    sys.stdout = sys.__stdout__ = stream(1, "w", sys.__stdout__, False)
    sys.stderr = sys.__stderr__ = stream(2, "w", sys.__stderr__, True)


def prepare_stdio():
    """In the sandbox's zygote, once: the standard streams of every test's process (each a copy of
    the zygote), made on a pipe put on fds 0-2 for the while, so that they are what `reopen_stdio`
    makes on a test's own pipes (not seekable, no terminal, a pipe's buffer size). Made in each test
    instead, they cost a quarter of a trivial test's CPU (in pages copied on write)."""
    global STDIO_READY
    saved = [os.dup(fd) for fd in (0, 1, 2)]
    r, w = os.pipe()
    try:
        for fd, end in ((0, r), (1, w), (2, w)):
            os.dup2(end, fd)
        reopen_stdio()
        STDIO_READY = True
    finally:
        for fd, old in zip((0, 1, 2), saved):
            os.dup2(old, fd)
            os.close(old)
        os.close(r)
        os.close(w)


STDIO_READY = False


def _exit_code(exc):
    """The status a new interpreter would exit with after an uncaught SystemExit."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        sys.stderr.write(str(code) + "\n")
    except BaseException:
        pass
    return 1


def forked_main(argv):
    """Run one test in a process forked from the sandbox's server (no exec: Python is already up,
    with the interpreter settings `python3 -X int_max_str_digits=50000` gives, set by the server),
    then end it the way a new interpreter ends: wait for non-daemon threads, run atexit callbacks,
    flush stdout and stderr (exit status 120 if that fails)."""
    code = 0
    try:
        if not STDIO_READY:
            reopen_stdio()
        main(argv)
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    try:
        if "threading" in sys.modules:
            sys.modules["threading"]._shutdown()
        atexit._run_exitfuncs()
    except BaseException:
        pass
    for name in ("stdout", "stderr"):
        try:
            getattr(sys, name).flush()
        except BaseException:
            code = code or 120
    os._exit(code)


if __name__ == "__main__":  # the unsandboxed runner starts this file as a script
    main(sys.argv[1:])
