# ruff: noqa: S102, S110, BLE001, UP031, PLR0124
"""Trusted code that runs INSIDE the sandbox, before the untrusted program (stdlib only).

It is copied into the sandbox as /box/launch.py and started as
`python3 -I -X int_max_str_digits=50000 /box/launch.py MODE STATUS_FD LIMITS PRELUDE [FN_NAME]`
with the program on fd 4.
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

import os
import resource
import sys
import types

PROGRAM = os.environ.get("EVALKIT_PROGRAM", "/box/prog.py")
PROGRAM_FD = 4  # in the sandbox the program arrives as a sealed (immutable) memfd on fd 4


def read_program():
    """The program's bytes: from fd 4 (closed afterwards, so the program cannot see it), or from
    $EVALKIT_PROGRAM in the unsandboxed mode."""
    if "EVALKIT_PROGRAM" in os.environ:
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


def main():
    mode, status_fd, limits, prelude = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    fn_name = sys.argv[5] if len(sys.argv) > 5 else ""
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


main()
